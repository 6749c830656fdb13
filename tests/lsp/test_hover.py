"""hover through a real client: related chunks with path:line links, nothing for noise."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.helpers import CONFIG, open_doc, start_session, until


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    await start_session(lsp_client, lsp_workspace)
    yield
    await lsp_client.shutdown_session()


async def hover(client: LanguageClient, uri: str, line: int, character: int) -> str | None:
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
    )
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


async def test_hover_on_a_word_in_code_cites_the_runbook(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = open_doc(client, lsp_workspace / "src" / "deploy.py", "python")
    text = await hover(client, uri, 0, 6)  # `rollback`
    assert text is not None
    runbook = (lsp_workspace / "docs" / "runbook.md").as_uri()
    assert f"[docs/runbook.md:11-15]({runbook}#L11)" in text
    assert "helm rollback orders" in text


async def test_hover_in_a_chat_export_shows_date_and_participants(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = open_doc(client, lsp_workspace / "docs" / "runbook.md", "markdown")
    text = await hover(client, uri, 16, 5)  # "On-call" heading
    assert text is not None
    assert "chats/team-orders.txt:" in text
    assert "Aiko" in text and "Marco" in text


async def test_hover_on_noise_is_empty(client: LanguageClient, lsp_workspace: Path) -> None:
    path = lsp_workspace / "src" / "noise.py"
    path.write_text("zqxj_vwkb = 1\nx = 2\n", encoding="utf-8")
    uri = open_doc(client, path, "python")
    assert await hover(client, uri, 0, 3) is None
    assert await hover(client, uri, 1, 0) is None  # too short to search


async def test_settings_change_turns_hover_off(client: LanguageClient, lsp_workspace: Path) -> None:
    uri = open_doc(client, lsp_workspace / "src" / "deploy.py", "python")
    assert await hover(client, uri, 0, 6) is not None
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"chatx": {"hoverResults": 0}})
    )
    await until(lambda: is_empty(client, uri), "hover to go quiet")


async def is_empty(client: LanguageClient, uri: str) -> bool:
    return await hover(client, uri, 0, 6) is None
