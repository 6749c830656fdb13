"""codeAction through real clients: /related and /cite insert cited blocks as WorkspaceEdits."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from chatx.actions import SPECS
from tests.lsp.helpers import CONFIG, apply_edits, open_doc, start_session

SLASH = [f"/{c.name}" for c in SPECS]


@pytest_lsp.fixture(config=CONFIG, params=["visual-studio-code", "emacs"])
async def client(request, lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    # VS Code resolves an action's edit lazily; eglot (emacs) needs it with the list.
    await start_session(lsp_client, lsp_workspace, capabilities=request.param)
    yield
    await lsp_client.shutdown_session()


async def actions_for(
    client: LanguageClient, uri: str, start: tuple[int, int], end: tuple[int, int]
) -> dict[str, types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(*start), types.Position(*end)),
            types.CodeActionContext(diagnostics=[]),
        )
    )
    actions = {}
    for action in result or []:
        assert isinstance(action, types.CodeAction)
        actions[action.title.split(":")[0]] = action
    return actions


async def edited(client: LanguageClient, action: types.CodeAction, path: Path) -> str:
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None and action.edit.changes is not None
    return apply_edits(path.read_text(encoding="utf-8"), list(action.edit.changes[path.as_uri()]))


async def test_related_on_a_selection_inserts_a_commented_block(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    path = lsp_workspace / "src" / "deploy.py"
    uri = open_doc(client, path, "python")
    actions = await actions_for(client, uri, (4, 2), (4, 39))
    assert sorted(actions) == sorted(SLASH)
    assert actions["/related"].kind == "refactor.chatx.related"
    text = await edited(client, actions["/related"], path)
    lines = text.splitlines()
    assert lines[:5] == path.read_text(encoding="utf-8").splitlines()
    assert lines[5] == '# Related (ChatX) — "how do we roll back a failed deploy?"'
    assert lines[6].startswith("# - docs/runbook.md:11-15 (doc): A failed deploy is rolled back")
    assert all(line.startswith("# - ") for line in lines[6:])


async def test_typed_cite_command_is_replaced_by_markdown_citations(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    path = lsp_workspace / "notes.md"
    path.write_text("# Notes\n\n/cite how do we roll back a failed deploy?\n\nEnd.\n")
    uri = open_doc(client, path, "markdown")
    actions = await actions_for(client, uri, (2, 3), (2, 3))
    assert list(actions) == ["/cite"]  # the typed command only
    text = await edited(client, actions["/cite"], path)
    lines = text.splitlines()
    assert lines[0:2] == ["# Notes", ""]
    assert lines[2].startswith("Sources: [docs/runbook.md:11-15](docs/runbook.md#L11)")
    assert lines[3:] == ["", "End."]


async def test_paragraph_under_the_cursor_in_markdown(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    path = lsp_workspace / "docs" / "runbook.md"
    uri = open_doc(client, path, "markdown")
    actions = await actions_for(client, uri, (18, 4), (18, 4))  # the on-call paragraph
    text = await edited(client, actions["/related"], path)
    lines = text.splitlines()
    original = path.read_text(encoding="utf-8").splitlines()
    assert len(original) == 20
    assert lines[:20] == original
    assert lines[20] == ""
    assert lines[21].startswith("> **Related** (ChatX)")
    assert any(
        "[chats/team-orders.txt:" in line and "](../chats/team-orders.txt#L" in line
        for line in lines[22:]
    )
