"""The watched index through a real client: saved text shows in hover, deletes and renames
remove citations, a broken file never stops the server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from chatx import endpoint
from tests.clirun import chatx
from tests.lsp.helpers import CONFIG, open_doc, start_session, until


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    await start_session(lsp_client, lsp_workspace)
    yield
    await lsp_client.shutdown_session()


async def hover_text(client: LanguageClient, uri: str) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 3))
    )
    if result is None:
        return ""
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def sources(client: LanguageClient, query: str) -> set[str]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="chatx.query", arguments=[query])
    )
    return {c["source"] for c in result["citations"]}


async def test_saved_edited_and_deleted_files_follow_in_hover(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    probe = lsp_workspace / "probe.md"
    probe.write_text("flamingo\n", encoding="utf-8")
    uri = open_doc(client, probe, "markdown")
    birds = lsp_workspace / "docs" / "birds.md"
    birds.write_text("# Birds\n\nThe flamingo migration starts in March.\n", encoding="utf-8")

    async def shows(text: str) -> bool:
        return text in await hover_text(client, uri)

    await until(lambda: shows("[docs/birds.md:1-3]"), "the new file in hover")
    assert "March" in await hover_text(client, uri)

    birds.write_text("# Birds\n\nThe flamingo migration starts in October.\n", encoding="utf-8")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(birds.as_uri()))
    )
    await until(lambda: shows("October"), "the saved text in hover")
    assert "March" not in await hover_text(client, uri)

    birds.unlink()
    await until(lambda: absent(client, uri, "docs/birds.md"), "the deleted file gone")


async def absent(client: LanguageClient, uri: str, source: str) -> bool:
    return source not in await hover_text(client, uri)


async def test_rename_moves_citations_and_a_broken_file_changes_nothing(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    assert "docs/runbook.md" in await sources(client, "helm rollback orders")
    (lsp_workspace / "docs" / "runbook.md").rename(lsp_workspace / "docs" / "ops.md")
    (lsp_workspace / "chats" / "broken.jsonl").write_text('{"type": "user", "mess\n')

    async def moved() -> bool:
        found = await sources(client, "helm rollback orders")
        return "docs/ops.md" in found and "docs/runbook.md" not in found

    await until(moved, "the renamed file's citations")
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="chatx.status", arguments=[])
    )
    states = {f["path"]: f["state"] for f in report["files"]}
    assert "docs/runbook.md" not in states and states["docs/ops.md"] == "indexed"
    assert states["chats/broken.jsonl"] in {"failed", "skipped"}
    assert await sources(client, "pizza on Friday") >= {"chats/team-orders.txt"}


async def test_the_editors_daemon_answers_the_cli_on_the_workspace_socket(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    async def answers() -> bool:
        reply = await asyncio.to_thread(endpoint.call, lsp_workspace, "ping", {}, 5)
        return bool(reply and reply["ready"])

    await until(answers, "the daemon's socket", timeout=60)
    query = (
        "-v",
        "query",
        "roll back a failed deploy",
        "--workspace",
        str(lsp_workspace),
        "--json",
        "--k",
        "2",
    )
    done = await asyncio.to_thread(chatx, *query)
    assert "answered by the daemon" in done.stderr
    assert json.loads(done.stdout)["citations"][0]["source"] == "docs/runbook.md"
