// ChatX for VS Code: starts `chatx serve` over stdio and hands it the `chatx.*` settings.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const [command, ...args] = vscode.workspace
    .getConfiguration("chatx")
    .get<string[]>("serverCommand", ["chatx", "serve"]);
  return { command, args, transport: TransportKind.stdio };
}

function settings(): Record<string, unknown> {
  // Every `chatx.*` setting except the launcher's own, as the server's config model expects.
  const section = vscode.workspace.getConfiguration("chatx");
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(section)) {
    const value = section.get(key);
    if (key !== "serverCommand" && typeof value !== "function") {
      values[key] = value;
    }
  }
  return values;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }],
    initializationOptions: { chatx: settings() },
    synchronize: { configurationSection: "chatx" },
    outputChannelName: "ChatX",
  };
  client = new LanguageClient("chatx", "ChatX", serverOptions(), clientOptions);
  await client.start();
  context.subscriptions.push(client);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("chatx.restart", async () => {
      await client?.stop();
      await start(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
