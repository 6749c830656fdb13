"""`chatx agent init`: what a repository needs to use ChatX from Claude Code, as pure
functions from the files' current text to their new text (the CLI prints the diff or writes).

- `.mcp.json`: the `chatx` MCP server (the installed executable, `mcp`; the server finds the
  workspace in `$CLAUDE_PROJECT_DIR`, which Claude Code sets).
- `.claude/settings.json`: `enabledMcpjsonServers`, least-privilege permissions (the read-only
  chatx tools allowed; secret files denied to Read and Edit; network commands asked for) and
  the four hooks (`chatx hook …`).
- `.claude/commands/<action>.md`: one command per action of the action table.
- `.claude/agents/privacy-guardian.md`: a subagent that checks outbound content with the
  Shield.
- With `plugin`, the Claude Code plugin manifest and its marketplace entry
  (`.claude-plugin/`), for the ChatX repository itself.

Merging never drops or rewrites a user's entry: JSON files gain only what is missing (our own
hook entries are refreshed in place), and a command or agent file that lacks the generated
marker is the user's and is kept. A file whose merge changes nothing is left byte for byte.
"""

from __future__ import annotations

import copy
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from chatx import __version__
from chatx.actions import SPECS, ActionSpec
from chatx.agent.hooks import NETWORK_COMMANDS, SECRET_DIRS
from chatx.index.walker import SECRET_NAMES, SECRET_SUFFIXES
from chatx.problems import ChatxError, ProblemCode

SERVER = "chatx"
MARKER = "chatx-generated"  # a frontmatter key: delete its line to keep your edits
TOOL_NAMES = frozenset(
    {
        "search",
        "status",
        "ask",
        "redact",
        "recall",
        "read_graph",
        "search_nodes",
        "open_nodes",
        "create_entities",
        "create_relations",
        "add_observations",
        "delete_entities",
        "delete_observations",
        "delete_relations",
    }
)
READ_ONLY_TOOLS = (
    "search",
    "status",
    "redact",
    "recall",
    "read_graph",
    "search_nodes",
    "open_nodes",
)
SECRET_PREFIXES = (".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")
PLUGIN = "chatx"
MARKETPLACE = "chatx-marketplace"
HOOKS = (  # (event, matcher, `chatx hook` argument, timeout in seconds)
    ("SessionStart", None, "session-start", 30),
    ("UserPromptSubmit", None, "prompt", 30),
    (
        "PreToolUse",
        "Read|Edit|MultiEdit|Write|NotebookEdit|Grep|Glob|Bash|WebFetch|WebSearch",
        "pre-tool",
        30,
    ),
    ("PostToolUse", "Edit|MultiEdit|Write|NotebookEdit", "post-tool", 120),
)
GUARDIAN = """\
---
name: privacy-guardian
description: "Checks outbound content (a message, a web request, a commit, a file to share) \
with ChatX's Policy Shield before it leaves this machine. Use it before WebFetch, curl, git \
push, or posting or sharing any text."
tools: {tools}
{marker}: true
---
You are the privacy guardian of this repository. Before anything leaves the machine, you check
it with ChatX's Policy Shield, which runs locally.

1. Take the exact outbound content: the text, the URL with its query, or the command's
   payload. For a file, do not read it: what you read reaches your model unredacted.
2. Call the chatx `redact` tool on it: the text as `text`, a file as `path`.
3. If the report counts nothing, say it may leave as it is.
4. Otherwise say which kinds were found and how many (never the values themselves), and give
   the redacted text as what may be sent instead.
5. If the tool fails, the Shield could not verify the content: it must not leave.

Never repeat a personal or secret value in your answer. People appear as `CN_…` pseudonyms;
keep them so.
"""


@dataclass(frozen=True)
class Planned:
    """One file `chatx agent init` writes: its path in the workspace, its text before (None
    when it does not exist) and after."""

    path: str
    old: str | None
    new: str
    kept: bool = False  # the user's own file, left as it is

    @property
    def changed(self) -> bool:
        """Whether writing it changes anything."""
        return self.old != self.new

    @property
    def state(self) -> str:
        """created, updated, unchanged, or kept (the user's own)."""
        if self.kept:
            return f"kept (yours: no `{MARKER}` key)"
        if self.old is None:
            return "created"
        return "updated" if self.changed else "unchanged"


def tool(name: str) -> str:
    """The Claude Code name of a chatx MCP tool (`mcp__chatx__search`)."""
    return f"mcp__{SERVER}__{name}"


def plugin_tool(name: str) -> str:
    """The name the same tool has when the chatx plugin provides the server."""
    return f"mcp__plugin_{PLUGIN}_{SERVER}__{name}"


def hook_command(command: str, event: str) -> str:
    """The shell command of one hook: an executable path relative to the workspace runs from
    `$CLAUDE_PROJECT_DIR`, so the hook works from any directory."""
    if "/" in command and not PurePath(command).is_absolute():
        return f'"$CLAUDE_PROJECT_DIR"/{shlex.quote(command)} hook {event}'
    return f"{shlex.quote(command)} hook {event}"


def hooks(command: str) -> dict[str, list[dict[str, Any]]]:
    """The `hooks` block of settings (and of the plugin) for the chatx executable `command`."""
    out: dict[str, list[dict[str, Any]]] = {}
    for event, matcher, name, timeout in HOOKS:
        group: dict[str, Any] = {} if matcher is None else {"matcher": matcher}
        entry: dict[str, Any] = {
            "type": "command",
            "command": hook_command(command, name),
            "timeout": timeout,
        }
        if name == "pre-tool":
            entry["onFailure"] = "block"  # a guard that cannot run (no chatx on PATH) blocks
        group["hooks"] = [entry]
        out.setdefault(event, []).append(group)
    return out


def secret_patterns() -> list[str]:
    """Gitignore-style patterns of the files the indexer never reads and agents never touch."""
    patterns = [f"**/{prefix}*" for prefix in SECRET_PREFIXES]
    patterns += [f"**/{name}" for name in sorted(SECRET_NAMES) if not name.startswith("id_")]
    patterns += [f"**/*{suffix}" for suffix in sorted(SECRET_SUFFIXES)]
    patterns += [f"**/{folder}/**" for folder in sorted(SECRET_DIRS)]
    return list(dict.fromkeys(patterns))


def permissions() -> dict[str, list[str]]:
    """Allow the read-only chatx tools; deny Read and Edit of secret files; ask before a
    network command runs in Bash."""
    secrets = secret_patterns()
    return {
        "allow": [tool(name) for name in READ_ONLY_TOOLS],
        "deny": [f"Read({p})" for p in secrets] + [f"Edit({p})" for p in secrets],
        "ask": [f"Bash({name} *)" for name in sorted(NETWORK_COMMANDS)],
    }


def mcp_server(command: str) -> dict[str, Any]:
    """The `chatx` entry of `mcpServers`."""
    return {"type": "stdio", "command": command, "args": ["mcp"]}


def command_file(spec: ActionSpec) -> str:
    """`.claude/commands/<name>.md` for an action."""
    description = spec.agent_task.split("\n")[0].replace("$ARGUMENTS", spec.agent_hint)
    allowed = []
    for name in spec.agent_tools:
        allowed += [tool(name), plugin_tool(name)] if name in TOOL_NAMES else [name]
    lines = [
        "---",
        f"description: {json.dumps(description, ensure_ascii=False)}",
        f"argument-hint: {json.dumps(spec.agent_hint, ensure_ascii=False)}",
        f"allowed-tools: {json.dumps(', '.join(allowed))}",
        f"{MARKER}: true",
        "---",
        spec.agent_task,
        "",
        "Use the chatx MCP tools for what this workspace's chats and docs say; never read "
        "`.env*` or other secret files. Cite every passage you rely on as `path:line` (a "
        "result's `source` and `line_start`-`line_end`). People appear as `CN_…` pseudonyms: "
        "keep them so.",
        "",
    ]
    return "\n".join(lines)


def guardian_file() -> str:
    """`.claude/agents/privacy-guardian.md`."""
    tools = ", ".join([tool("redact"), plugin_tool("redact")])
    return GUARDIAN.format(tools=tools, marker=MARKER)


def merge_mcp(current: dict[str, Any], command: str) -> dict[str, Any]:
    """`.mcp.json` with the chatx server added. Ours (it runs `mcp`) gets the current command
    and keeps the user's other keys (`env`, …); a `chatx` that runs something else is kept."""
    merged = copy.deepcopy(current)
    servers = _member(merged, "mcpServers", dict, ".mcp.json")
    mine = servers.get(SERVER)
    if not isinstance(mine, dict):
        servers[SERVER] = mcp_server(command)
    elif isinstance(mine.get("args"), list) and mine["args"][:1] == ["mcp"]:
        mine.update(type="stdio", command=command, args=["mcp", *mine["args"][1:]])
    return merged


def merge_settings(current: dict[str, Any], command: str) -> dict[str, Any]:
    """`.claude/settings.json` with what chatx needs added to the user's own. Our hook entries
    (`<chatx> hook <event>`) replace our earlier ones; the user's entries stay where they are."""
    name = ".claude/settings.json"
    merged = copy.deepcopy(current)
    _add(_member(merged, "enabledMcpjsonServers", list, name), [SERVER])
    rules = _member(merged, "permissions", dict, name)
    for key, values in permissions().items():
        _add(_member(rules, key, list, f"{name} permissions"), values)
    events = _member(merged, "hooks", dict, name)
    for event, groups in hooks(command).items():
        kept = []
        for group in _member(events, event, list, f"{name} hooks"):
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                kept.append(group)
                continue
            theirs = [entry for entry in group["hooks"] if not _ours(entry)]
            if theirs:
                kept.append({**group, "hooks": theirs})
        events[event] = kept + groups
    return merged


def plugin_manifest(command: str) -> dict[str, Any]:
    """`.claude-plugin/plugin.json`: the commands and agent of `.claude/` and the hooks, with
    `command` found on PATH wherever the plugin is installed. The MCP server is the
    repository's `.mcp.json`, which Claude Code loads for a plugin too."""
    return {
        "name": PLUGIN,
        "version": __version__,
        "description": "ChatX: search your chats and docs with citations, hooks that keep "
        "secrets and personal data on this machine, and slash commands for cited answers.",
        "author": {"name": "ChatX"},
        "license": "MIT",
        "keywords": ["chat", "search", "privacy", "mcp", "citations"],
        "commands": "./.claude/commands/",
        "agents": ["./.claude/agents/privacy-guardian.md"],
        "hooks": hooks(command),
    }


def marketplace() -> dict[str, Any]:
    """`.claude-plugin/marketplace.json`: this checkout as a marketplace of one plugin."""
    return {
        "name": MARKETPLACE,
        "owner": {"name": "ChatX"},
        "metadata": {"description": "ChatX from a local checkout", "version": __version__},
        "plugins": [
            {
                "name": PLUGIN,
                "source": "./",
                "description": "ChatX for Claude Code: cited search of your chats and docs, "
                "privacy hooks and slash commands.",
                "version": __version__,
            }
        ],
    }


def plan(workspace: Path, command: str, plugin: bool = False) -> list[Planned]:
    """Every file `agent init` would write in `workspace`, current and new text."""
    planned = [
        _json(workspace, ".mcp.json", lambda cur: merge_mcp(cur, command)),
        _json(workspace, ".claude/settings.json", lambda cur: merge_settings(cur, command)),
    ]
    for spec in SPECS:
        name = f".claude/commands/{spec.name}.md"
        planned.append(_generated(workspace, name, command_file(spec)))
    planned.append(_generated(workspace, ".claude/agents/privacy-guardian.md", guardian_file()))
    if plugin:
        manifest = plugin_manifest(SERVER)  # the plugin finds `chatx` on PATH
        planned.append(_json(workspace, ".claude-plugin/plugin.json", lambda _: manifest))
        planned.append(_json(workspace, ".claude-plugin/marketplace.json", lambda _: marketplace()))
    return planned


def _json(workspace: Path, name: str, merge: Callable[[dict[str, Any]], dict[str, Any]]) -> Planned:
    old = _read(workspace / name)
    try:
        current = json.loads(old) if old and old.strip() else {}
    except json.JSONDecodeError as exc:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT,
            f"{name} is not valid JSON ({exc.msg}, line {exc.lineno}); fix it and run again",
            name,
        ) from exc
    if not isinstance(current, dict):
        raise ChatxError.of(ProblemCode.INVALID_INPUT, f"{name} is not a JSON object", name)
    merged = merge(current)
    if old is not None and merged == current:
        return Planned(name, old, old)
    return Planned(name, old, json.dumps(merged, indent=2, ensure_ascii=False) + "\n")


def _generated(workspace: Path, name: str, text: str) -> Planned:
    old = _read(workspace / name)
    if old is not None and MARKER not in old:
        return Planned(name, old, old, kept=old != text)
    return Planned(name, old, text)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _add(values: list[Any], wanted: list[Any]) -> None:
    values.extend(value for value in wanted if value not in values)


def _ours(entry: Any) -> bool:
    """Whether a hook entry is one `agent init` wrote: `<…chatx> hook <event>`."""
    command = str(entry.get("command", "")) if isinstance(entry, dict) else ""
    head, _, event = command.rpartition(" hook ")
    return event in {name for _, _, name, _ in HOOKS} and head.rstrip("'\"").endswith("chatx")


def _member(parent: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """`parent[key]`, created empty when missing; INVALID_INPUT when it has another type."""
    value = parent.setdefault(key, kind())
    if not isinstance(value, kind):
        wanted = "an object" if kind is dict else "a list"
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT, f"{where}: `{key}` must be {wanted}; fix it and run again"
        )
    return value
