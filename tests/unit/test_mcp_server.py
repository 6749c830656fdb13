"""`chatx mcp` through the official MCP Python client over stdio, as a coding agent starts it:
the tools and their schemas, search citing `path:line`, the Shield gate on every result, and
Problems as tool errors."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from tests.clirun import indexed_example

RAW = ("Priya", "Marco")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_example(tmp_path_factory.mktemp("mcp"))


def server(workspace: Path, **env: str) -> StdioServerParameters:
    variables = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatx", "mcp", "--workspace", str(workspace)],
        env=variables,
    )


def connect(workspace: Path, **env: str) -> Client:
    """A client of `chatx mcp` started for `workspace` (used as `async with`)."""
    return Client(server(workspace, **env), read_timeout_seconds=120)


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    return dict(result.structured_content)


def problem(result: Any) -> dict[str, Any]:
    assert result.is_error
    text = result.content[0].text
    return dict(json.loads(text[text.index("{") :]))


async def test_the_tools_and_their_schemas(indexed: Path) -> None:
    async with connect(indexed) as client:
        listed = await client.list_tools()
        tools = {tool.name: tool for tool in listed.tools}
        assert {"ask", "redact", "search", "status", "recall", "read_graph"} <= set(tools)
        search = tools["search"].input_schema
        assert search["required"] == ["query"]
        assert {"k", "kind", "since", "until", "participant", "platform", "path_glob"} <= set(
            search["properties"]
        )
        assert tools["search"].output_schema["title"] == "QueryResult"
        assert tools["search"].annotations.read_only_hint is True


async def test_search_cites_path_and_line_with_people_pseudonymised(indexed: Path) -> None:
    async with connect(indexed) as client:
        result = structured(
            await client.call_tool("search", {"query": "roll back a failed deploy"})
        )
        top = {(c["source"], c["line_start"]) for c in result["citations"][:3]}
        assert ("docs/runbook.md", 11) in top
        chat = next(c for c in result["citations"] if c["source"] == "chats/team-orders.txt")
        assert chat["line_start"] == 1 and "CN_" in chat["snippet"]
        text = json.dumps(result)
        assert not any(name in text for name in RAW)


async def test_status_and_redact(indexed: Path) -> None:
    async with connect(indexed) as client:
        status = structured(await client.call_tool("status", {}))
        assert status["totals"]["indexed"] == 4
        # `--store pgvector` (make test's second pass) must reach the server process
        assert status["store"].startswith(os.environ.get("CHATX_VECTOR_STORE", "lancedb"))
        redacted = structured(
            await client.call_tool("redact", {"text": "Ask Priya, priya@orders.example"})
        )
        assert "Priya" not in redacted["text"] and "priya@orders.example" not in redacted["text"]
        assert redacted["report"]["passed"] is True
        chat = structured(await client.call_tool("redact", {"path": "chats/team-orders.txt"}))
        assert "Staging deploy of orders failed" in chat["text"]
        assert not any(name in chat["text"] for name in RAW)
        (indexed / ".env").write_text("STRIPE_KEY=sk-live-00000000\n")
        refused = problem(await client.call_tool("redact", {"path": ".env"}))
        assert refused["code"] == "INVALID_INPUT" and ".env is a secret file" in refused["detail"]
        outside = problem(await client.call_tool("redact", {"path": "../../etc/passwd"}))
        assert outside["code"] == "INVALID_INPUT"


async def test_ask_without_a_model_answers_from_the_index_with_its_route(indexed: Path) -> None:
    async with connect(indexed, CHATX_LOCAL_BACKEND="ollama") as client:  # nothing answers
        result = structured(await client.call_tool("ask", {"question": "how do we roll back?"}))
        assert result["route"]["backend"] == "extractive"
        assert "From the index:" in result["answer"]
        assert not any(name in json.dumps(result) for name in RAW)


async def test_bad_arguments_and_unknown_tools_are_errors(indexed: Path) -> None:
    async with connect(indexed) as client:
        empty = problem(await client.call_tool("search", {"query": ""}))
        assert (empty["code"], empty["detail"]) == (
            "INVALID_INPUT",
            "invalid arguments for search: query",
        )
        zero = problem(await client.call_tool("search", {"query": "x", "k": 0, "kind": "email"}))
        assert zero["detail"] == "invalid arguments for search: k, kind"
        unknown = problem(await client.call_tool("nope", {}))
        assert unknown["code"] == "INVALID_INPUT"
        tools = "unknown tool 'nope'; the tools are search, status, ask"
        assert unknown["detail"].startswith(tools)
        failed = problem(await client.call_tool("ask", {"question": "x", "backend": "cloud"}))
        assert failed["code"] == "CLOUD_DISABLED"


async def test_an_unindexed_workspace_says_what_to_run(tmp_path: Path) -> None:
    async with connect(tmp_path) as connected:
        failed = problem(await connected.call_tool("search", {"query": "deploy"}))
    assert failed["code"] == "NOT_INDEXED" and "chatx index" in failed["detail"]


async def test_the_gate_can_be_turned_off_for_a_local_agent(indexed: Path) -> None:
    async with connect(indexed, CHATX_AGENT_SHIELD="false") as c:
        result = structured(await c.call_tool("search", {"query": "staging deploy failed"}))
    assert "Priya" in json.dumps(result)
