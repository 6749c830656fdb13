"""executeCommand and settings through a real client: the CLI's JSON contracts, Problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp.helpers import CONFIG, index_runs_ended, start_session, wait_for

REPO = Path(__file__).resolve().parents[2]


def schema(name: str) -> dict[str, Any]:
    return json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    (lsp_workspace / "chats" / "broken.json").write_text('{"mapping": {', encoding="utf-8")
    options = {"chatx": {"hoverResults": "many", "noSuchSetting": 1, "completionLimit": 5}}
    await start_session(lsp_client, lsp_workspace, options=options)
    yield
    await lsp_client.shutdown_session()


async def run(client: LanguageClient, command: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


async def test_query_returns_the_query_contract(client: LanguageClient) -> None:
    result = await run(client, "chatx.query", "how do we roll back a failed deploy?")
    jsonschema.validate(result, schema("query-result"))
    top = result["citations"][0]
    assert (top["source"], top["line_start"], top["line_end"]) == ("docs/runbook.md", 11, 15)
    chats = await run(client, "chatx.query", {"query": "pizza", "kind": "chat", "k": 2})
    assert len(chats["citations"]) == 2 and {c["kind"] for c in chats["citations"]} == {"chat"}
    aiko = await run(client, "chatx.query", {"query": "pizza", "participant": "AIKO"})
    assert {c["source"] for c in aiko["citations"]} == {"chats/team-orders.txt"}


async def test_status_lists_every_file_with_its_state(client: LanguageClient) -> None:
    report = await run(client, "chatx.status")
    jsonschema.validate(report, schema("status-report"))
    states = {f["path"]: f["state"] for f in report["files"]}
    assert states["docs/runbook.md"] == "indexed"
    assert states["chats/.env.local"] == "skipped"
    assert states["chats/broken.json"] == "failed"
    broken = next(f for f in report["files"] if f["path"] == "chats/broken.json")
    assert broken["problem"]["code"] == "PARSE_ERROR"


async def test_reindex_reports_progress_and_summaries(client: LanguageClient) -> None:
    before = len(index_runs_ended(client))
    summaries = await run(client, "chatx.reindex")
    assert len(summaries) == 1
    jsonschema.validate(summaries[0], schema("index-summary"))
    assert summaries[0]["files_indexed"] == 0 and summaries[0]["files_unchanged"] >= 4
    ended = await wait_for(lambda: len(index_runs_ended(client)) > before, what="reindex end")
    assert ended


async def test_bad_arguments_and_unknown_commands_carry_a_problem(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException) as bad:
        await run(client, "chatx.query", {"query": "x", "k": 0})
    jsonschema.validate(bad.value.data, schema("problem"))
    assert bad.value.data["code"] == "INVALID_INPUT" and "k" in bad.value.data["detail"]
    with pytest.raises(JsonRpcException) as unknown:
        await run(client, "chatx.nope")
    assert unknown.value.data["code"] == "INVALID_INPUT"
    assert "chatx.query" in unknown.value.data["detail"]


async def test_invalid_settings_are_reported_and_defaulted(client: LanguageClient) -> None:
    messages = [m.message for m in client.messages]
    assert any("noSuchSetting" in m for m in messages)
    assert any("invalid settings hoverResults" in m for m in messages)
    # completionLimit=5 was valid and applies; hoverResults fell back to 3.
    result = await run(client, "chatx.query", "deploy")
    assert result["citations"]
