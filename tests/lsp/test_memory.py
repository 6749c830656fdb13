"""The workspace memory in the editor, through pytest-lsp's real client: hover on a name shows
what is remembered with its sources, completion offers the names the memory knows, and
`/remember` stores the selection about the entity it names, asking which when it names two."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from chatx.memory.models import NewEntity
from chatx.memory.store import open_memory
from tests.lsp.helpers import CONFIG, open_doc, start_session

NOTES = "# Notes\n\nPriya and Marco agreed to ship on Thursday.\n\nZanele runs the audit.\n"


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    store = open_memory(lsp_workspace)
    store.create_entities(
        [
            NewEntity(name="Priya", entityType="person", observations=["prefers async updates"]),
            NewEntity(name="Zanele Mokoena", entityType="person", observations=["audits Q3"]),
        ],
        source="user",
    )
    store.add_alias("Zanele Mokoena", "Zanele")
    store.close()
    (lsp_workspace / "notes.md").write_text(NOTES, encoding="utf-8")
    asked: list[list[str]] = []
    lsp_client.asked = asked  # type: ignore[attr-defined]

    @lsp_client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def pick(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        asked.append([action.title for action in params.actions or []])
        return types.MessageActionItem(title="Marco")

    await start_session(lsp_client, lsp_workspace)
    yield
    await lsp_client.shutdown_session()


async def remember(client: LanguageClient, uri: str, line: int) -> Any:
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(line, 0), types.Position(line, 0)),
        context=types.CodeActionContext(diagnostics=[]),
    )
    found = await client.text_document_code_action_async(params) or []
    action = next(
        a for a in found if isinstance(a, types.CodeAction) and a.title.startswith("/remember")
    )
    assert action.command is not None and action.command.command == "chatx.remember"
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="chatx.remember", arguments=action.command.arguments)
    )


async def test_hover_on_a_remembered_name(client: LanguageClient, lsp_workspace: Path) -> None:
    uri = open_doc(client, lsp_workspace / "notes.md", "markdown")
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(2, 2))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("**Priya** · person · ChatX memory")
    assert "- prefers async updates _(user)_" in hover.contents.value
    assert "→ _chats_with_ → Priya, 8 messages" in hover.contents.value  # from the team chat
    assert "_(chats/team-orders.txt:" in hover.contents.value  # where that was seen
    assert "](file://" in hover.contents.value  # and the related passages below it


async def test_completion_offers_the_names_the_memory_knows(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    doc = lsp_workspace / "draft.md"
    doc.write_text("Ask Zan", encoding="utf-8")
    uri = open_doc(client, doc, "markdown")
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(0, 7))
    )
    assert isinstance(result, types.CompletionList)
    assert "Zanele Mokoena" in [item.label for item in result.items]


async def test_remember_stores_the_line_about_whom_it_names(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = open_doc(client, lsp_workspace / "notes.md", "markdown")
    zanele = await remember(client, uri, 4)
    assert zanele == {
        "stored": True,
        "entity": "Zanele Mokoena",
        "added": ["Zanele runs the audit."],
        "source": "notes.md:5",
    }
    both = await remember(client, uri, 2)  # Priya and Marco: the user is asked
    assert client.asked == [["Priya", "Marco"]]  # type: ignore[attr-defined]
    assert both["entity"] == "Marco" and both["source"] == "notes.md:3"
    store = open_memory(lsp_workspace)
    facts = [(o.text, o.source) for o in store.show("Marco").observations]
    store.close()
    assert facts == [("Priya and Marco agreed to ship on Thursday.", "notes.md:3")]
    forgotten = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="chatx.forget", arguments=[{"name": "Zanele"}])
    )
    assert forgotten == {"retired": 1}
