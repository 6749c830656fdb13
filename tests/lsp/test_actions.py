"""Model-backed slash actions in the editor, through pytest-lsp's real client: the code action
carries `chatx.action`, which runs with `$/progress`, applies its edit with
`workspace/applyEdit` and can be cancelled from the progress UI. The model is the stand-in
Ollama server (tests/standins), reached through the official client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.helpers import CONFIG, apply_edits, open_doc, start_session, wait_for
from tests.standins.ollama_standin import OllamaStandIn

ANSWER = "Roll back with `helm rollback orders 41` [1]."


@pytest.fixture()
def ollama() -> Iterator[OllamaStandIn]:
    with OllamaStandIn(ANSWER) as server:
        yield server  # type: ignore[misc]


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path, ollama: OllamaStandIn):  # type: ignore[no-untyped-def]
    applied: list[types.WorkspaceEdit] = []
    lsp_client.applied = applied  # type: ignore[attr-defined]

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        applied.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    options = {"ollamaHost": ollama.url, "localBackend": "ollama"}
    await start_session(lsp_client, lsp_workspace, options=options)
    yield
    await lsp_client.shutdown_session()


async def action(client: LanguageClient, uri: str, line: int, name: str) -> types.CodeAction:
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(line, 2), types.Position(line, 2)),
        context=types.CodeActionContext(diagnostics=[]),
    )
    found = await client.text_document_code_action_async(params) or []
    by_title = {a.title.split(":")[0]: a for a in found if isinstance(a, types.CodeAction)}
    return by_title[f"/{name}"]


async def run(client: LanguageClient, found: types.CodeAction) -> Any:
    assert found.command is not None and found.command.command == "chatx.action"
    assert found.edit is None  # the model runs only when the user picks the action
    params = types.ExecuteCommandParams(
        command=found.command.command, arguments=found.command.arguments
    )
    return await client.workspace_execute_command_async(params)


def progress_titles(client: LanguageClient) -> dict[str, list[object]]:
    titles = {}
    for reports in list(client.progress_reports.values()):
        begins = [r for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
        if begins:
            titles[begins[0].title] = reports
    return titles


async def test_ask_line_is_answered_with_sources_and_route(
    client: LanguageClient, lsp_workspace: Path, ollama: OllamaStandIn
) -> None:
    path = lsp_workspace / "notes.md"
    path.write_text("# Notes\n\n/ask how do we roll back a failed deploy?\n\nEnd.\n")
    uri = open_doc(client, path, "markdown")
    found = await action(client, uri, 2, "ask")
    assert found.kind == "refactor.chatx.ask"
    result = await run(client, found)
    assert result["route"]["backend"] == "ollama"
    assert result["route"]["reason"] == "local first: local confidence 0.95 >= 0.70"
    assert result["citations"][0]["source"] == "docs/runbook.md"
    assert "Question: how do we roll back a failed deploy?" in ollama.requests[-1]["prompt"]

    edit = client.applied[-1]  # type: ignore[attr-defined]
    text = apply_edits(path.read_text(), list(edit.changes[uri]))
    lines = text.splitlines()
    assert lines[2].startswith("> **ChatX /ask · ollama gemma3:4b — local first: local conf")
    assert lines[4] == f"> {ANSWER}"
    assert lines[6].startswith("> Sources: [1] [docs/runbook.md:11](docs/runbook.md#L11)")
    assert "/ask how" not in text  # the typed command is replaced
    reports = progress_titles(client)["ChatX /ask"]
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "done"


async def test_tdd_loop_creates_a_test_file(
    client: LanguageClient, lsp_workspace: Path, ollama: OllamaStandIn
) -> None:
    ollama.answer = "```python\ndef test_rollback():\n    assert rollback(41) is None\n```"
    path = lsp_workspace / "src" / "deploy.py"
    uri = open_doc(client, path, "python")
    result = await run(client, await action(client, uri, 0, "tdd-loop"))
    assert result["file"]["path"] == "tests/test_deploy.py"
    assert "Code under test (src/deploy.py)" in ollama.requests[-1]["prompt"]
    edit = client.applied[-1]  # type: ignore[attr-defined]
    create, content, note = edit.document_changes
    assert isinstance(create, types.CreateFile)
    assert create.uri == (lsp_workspace / "tests" / "test_deploy.py").as_uri()
    assert content.edits[0].new_text == "def test_rollback():\n    assert rollback(41) is None\n"
    assert note.text_document.uri == uri
    lines = note.edits[0].new_text.splitlines()
    assert lines[0].startswith("# ChatX /tdd-loop · ollama gemma3:4b — /tdd-loop is a heavy")
    assert lines[1] == "# Failing tests in tests/test_deploy.py"


async def test_cancel_from_the_progress_ui_stops_the_model_call(
    client: LanguageClient, lsp_workspace: Path, ollama: OllamaStandIn
) -> None:
    ollama.slow_s = 20
    ollama.fail_next("slow")
    path = lsp_workspace / "src" / "deploy.py"
    uri = open_doc(client, path, "python")
    pending = asyncio.ensure_future(run(client, await action(client, uri, 0, "summarize")))
    reports = await wait_for(lambda: progress_titles(client).get("ChatX /summarize"))
    token = next(t for t, r in list(client.progress_reports.items()) if r is reports)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(pending, 10)
    await wait_for(lambda: isinstance(reports[-1], types.WorkDoneProgressEnd), what="the end")
    assert reports[-1].message == "cancelled"
    assert client.applied == []  # type: ignore[attr-defined]


async def test_cancel_request_stops_the_model_call(
    client: LanguageClient, lsp_workspace: Path, ollama: OllamaStandIn
) -> None:
    ollama.slow_s = 20
    ollama.fail_next("slow")
    path = lsp_workspace / "src" / "deploy.py"
    uri = open_doc(client, path, "python")
    found = await action(client, uri, 0, "plan-slice")
    assert found.command is not None
    params = types.ExecuteCommandParams(
        command=found.command.command, arguments=found.command.arguments
    )
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="plan-1")
    )
    reports = await wait_for(lambda: progress_titles(client).get("ChatX /plan-slice"))
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="plan-1"))
    with pytest.raises(Exception, match="cancel"):
        await asyncio.wait_for(pending, 10)
    await wait_for(lambda: isinstance(reports[-1], types.WorkDoneProgressEnd), what="the end")
    assert reports[-1].message == "cancelled"
    assert client.applied == []  # type: ignore[attr-defined]
