"""Work-done progress through a real client: file counts while indexing, and a cancel that
stops the run with what was committed kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.helpers import CONFIG, start_session, wait_for


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    await start_session(lsp_client, lsp_workspace, options={"watch": False})
    yield
    await lsp_client.shutdown_session()


def reports(client: LanguageClient, kind: type) -> list:  # type: ignore[type-arg]
    return [r for values in client.progress_reports.values() for r in values if isinstance(r, kind)]


async def test_first_run_reports_file_counts(client: LanguageClient) -> None:
    begin = reports(client, types.WorkDoneProgressBegin)[0]
    assert begin.title.startswith("ChatX: indexing") and begin.cancellable
    messages = [r.message for r in reports(client, types.WorkDoneProgressReport)]
    assert messages[-1].startswith("5/5 files")
    end = reports(client, types.WorkDoneProgressEnd)[0]
    assert end.message.startswith("4 indexed, 0 unchanged")


async def test_cancel_stops_a_run_and_keeps_what_was_indexed(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    notes = lsp_workspace / "notes"
    notes.mkdir()
    for i in range(60):
        (notes / f"n{i:02d}.md").write_text(f"# Note {i}\n\n" + "The deploy went fine. " * 40)
    known = set(client.progress_reports)
    reindex = asyncio.ensure_future(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="chatx.reindex", arguments=[])
        )
    )
    token = await wait_for(lambda: next(iter(set(client.progress_reports) - known), None))
    await wait_for(lambda: len(client.progress_reports[token]) >= 2, what="a first report")
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    summary = (await reindex)[0]
    assert 0 < summary["files_indexed"] < 60
    end = client.progress_reports[token][-1]
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message.endswith("(cancelled)")
    again = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="chatx.reindex", arguments=[])
    )
    assert again[0]["files_indexed"] == 60 - summary["files_indexed"]
