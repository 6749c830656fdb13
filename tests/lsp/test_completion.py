"""completion through a real client: slash commands after `/`, participants and index terms."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.helpers import CONFIG, open_doc, start_session


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    await start_session(lsp_client, lsp_workspace)
    yield
    await lsp_client.shutdown_session()


async def complete(client: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
    )
    assert isinstance(result, types.CompletionList)
    return [item.label for item in result.items]


def scratch(client: LanguageClient, root: Path, name: str, text: str, language: str) -> str:
    path = root / name
    path.write_text(text, encoding="utf-8")
    return open_doc(client, path, language)


async def test_slash_commands_at_line_start_and_after_a_comment(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = scratch(client, lsp_workspace, "notes.md", "/\nsome text /\n", "markdown")
    assert await complete(client, uri, 0, 1) == [
        "/related",
        "/cite",
        "/redact",
        "/remember",
        "/ask",
        "/summarize",
        "/reply",
        "/plan-slice",
        "/tdd-loop",
        "/security-review",
    ]
    assert await complete(client, uri, 1, 11) == []  # not at the start of the line
    py = scratch(client, lsp_workspace, "a.py", "x = 1\n    # /re\n", "python")
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(py), types.Position(1, 9))
    )
    assert isinstance(result, types.CompletionList)
    related = result.items[0]
    assert related.label == "/related"
    assert isinstance(related.documentation, types.MarkupContent)
    assert "citation" in related.documentation.value
    assert isinstance(related.text_edit, types.TextEdit)
    assert related.text_edit.range == types.Range(types.Position(1, 6), types.Position(1, 9))
    assert related.text_edit.new_text == "/related "


async def test_participants_and_terms_from_the_index(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = scratch(client, lsp_workspace, "n.md", "Ai\npri\nreadin\nhel\n", "markdown")
    labels = await complete(client, uri, 0, 2)
    assert labels[0] == "Aiko"
    assert (await complete(client, uri, 1, 3))[0] == "Priya"
    assert "readiness" in await complete(client, uri, 2, 6)
    assert "helm" not in await complete(client, uri, 3, 3)  # short plain words are not terms
