"""The Policy Shield in the editor, through pytest-lsp's real client: diagnostics, `/redact`,
and hover on a pseudonym."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.helpers import CONFIG, apply_edits, open_doc, start_session, wait_for

NOTE = "Ask Priya at priya@example.com or +44 20 7946 0958.\n\nNothing here.\n"


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    options = {"shieldDebounceMs": 150, "shieldMe": ["Sam Carter"]}
    await start_session(lsp_client, lsp_workspace, options=options)
    yield
    await lsp_client.shutdown_session()


def shield_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, []) if d.source == "chatx-shield"]


def open_note(client: LanguageClient, workspace: Path) -> str:
    path = workspace / "note.md"
    path.write_text(NOTE, encoding="utf-8")
    return open_doc(client, path, "markdown")


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_diagnostics_follow_edits_and_clear_on_close(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = open_note(client, lsp_workspace)
    found = await wait_for(lambda: shield_diagnostics(client, uri), what="shield diagnostics")
    assert [(d.code, d.range.start.character, d.range.end.character) for d in found] == [
        ("name", 4, 9),
        ("email", 13, 30),
        ("phone", 34, 50),
    ]
    assert all(d.severity == types.DiagnosticSeverity.Information for d in found)
    assert "priya@example.com" not in " ".join(d.message for d in found)
    assert re.search(r"redacted to ⟦TKN:email:[0-9a-f]{8}⟧", found[1].message)

    # a burst of edits: only the last version is published
    for version in range(2, 7):
        change(client, uri, version, NOTE.replace("Priya", "Marco" if version % 2 else "Priya"))
    change(client, uri, 7, "Call Marco, or write to marco@example.com.\n")

    def settled() -> list[types.Diagnostic] | None:
        now = shield_diagnostics(client, uri)
        return now if [d.code for d in now] == ["name", "email"] else None

    final = await wait_for(settled, timeout=20, what="diagnostics of the last edit")
    assert final[0].range.start.character == 5

    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    await wait_for(
        lambda: list(client.diagnostics.get(uri, [None])) == [], what="diagnostics cleared"
    )


async def test_redact_action_and_hover_on_its_tokens(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = open_note(client, lsp_workspace)
    selection = types.Range(types.Position(0, 0), types.Position(0, 51))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri), selection, types.CodeActionContext(diagnostics=[])
        )
    )
    actions = {a.title.split(":")[0]: a for a in result or [] if isinstance(a, types.CodeAction)}
    assert "/redact" in actions and actions["/redact"].kind == "refactor.chatx.redact"
    action = actions["/redact"]
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None and action.edit.changes is not None
    text = apply_edits(NOTE, list(action.edit.changes[uri]))
    first = text.splitlines()[0]
    assert re.fullmatch(
        r"Ask CN_[0-9a-f]{6} at ⟦TKN:email:[0-9a-f]{8}⟧ or ⟦TKN:phone:[0-9a-f]{8}⟧\.", first
    ), first
    assert text.endswith("\n\nNothing here.\n")

    change(client, uri, 2, text)
    hovers = {}
    for token in re.findall(r"CN_[0-9a-f]{6}|⟦TKN:\w+:[0-9a-f]{8}⟧", first):
        column = first.index(token) + 2
        hover = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, column))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        hovers[token.split(":")[1] if "TKN" in token else "name"] = hover.contents.value
    assert "**Priya** (name)" in hovers["name"]
    assert "**priya@example.com** (email)" in hovers["email"]
    assert "**+44 20 7946 0958** (phone)" in hovers["phone"]
    assert all("never sent" in value for value in hovers.values())


async def test_typed_redact_command_replaces_its_line(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    path = lsp_workspace / "todo.md"
    original = "# Todo\n\n/redact mail marco@example.com about key AKIAIOSFODNN7EXAMPLE\n\nEnd.\n"
    path.write_text(original, encoding="utf-8")
    uri = open_doc(client, path, "markdown")
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(2, 3), types.Position(2, 3)),
            types.CodeActionContext(diagnostics=[]),
        )
    )
    actions = [a for a in result or [] if isinstance(a, types.CodeAction)]
    assert [a.title.split(":")[0] for a in actions] == ["/redact"]
    action = actions[0]
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None and action.edit.changes is not None
    lines = apply_edits(original, list(action.edit.changes[uri])).splitlines()
    assert lines[:2] == ["# Todo", ""] and lines[3:] == ["", "End."]
    assert re.fullmatch(r"mail ⟦TKN:email:\w{8}⟧ about key ⟦TKN:secret:\w{8}⟧", lines[2])


@pytest_lsp.fixture(config=CONFIG)
async def warning_client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    await start_session(lsp_client, lsp_workspace, options={"shieldSeverity": "warning"})
    yield
    await lsp_client.shutdown_session()


async def test_severity_is_configurable(
    warning_client: LanguageClient, lsp_workspace: Path
) -> None:
    uri = open_note(warning_client, lsp_workspace)
    found = await wait_for(lambda: shield_diagnostics(warning_client, uri), what="diagnostics")
    assert {d.severity for d in found} == {types.DiagnosticSeverity.Warning}
