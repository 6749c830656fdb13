"""Every request gets an answer: bad params, broken frames and stray bodies are answered (or
logged) and the server keeps serving. A real `chatx -v serve` over stdio, driven with raw
JSON-RPC so that the test can send what no real client would."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.rpc import RawClient, frame, initialize_params, start_stdio

URI = "file:///nowhere/notes.md"
HOVER_OK = {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    client: RawClient
    root: Path
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()):
            assert time.monotonic() < deadline, f"{text!r} never logged"
            time.sleep(0.05)
        return log


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module, initialized (without `initialized`: no index run)."""
    root = tmp_path_factory.mktemp("ws")
    (root / "notes.md").write_text("# Deploys\n\nRoll back with helm.\n", encoding="utf-8")
    stderr = root.parent / "stderr.log"
    with stderr.open("wb") as sink:
        proc, client = start_stdio(["-v", "serve"], sink)
    result = client.request("initialize", initialize_params(root))["result"]
    assert result["serverInfo"]["name"] == "chatx"
    yield Server(proc, client, root.resolve(), stderr)
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def assert_alive(server: Server) -> None:
    """The server still answers a valid request, with the right result."""
    reply = server.client.request("workspace/executeCommand", {"command": "chatx.status"})
    assert reply["result"]["workspace"] == str(server.root)


INVALID = [
    pytest.param(
        "textDocument/hover",
        {"textDocument": {"uri": URI}, "position": {"line": -1, "character": 0}},
        "position: Position.line should be in range [0:2147483647], but was -1.",
        id="negative-position",
    ),
    pytest.param(
        "textDocument/hover",
        {"textDocument": {"uri": URI}, "position": None},
        "position.line: invalid value for type, expected int; "
        "position.character: invalid value for type, expected int",
        id="null-position",
    ),
    pytest.param(
        "textDocument/hover",
        {"position": {"line": 0, "character": 0}},
        "textDocument: required field missing",
        id="missing-textDocument",
    ),
    pytest.param(
        "textDocument/completion",
        {"textDocument": {"uri": URI}, "position": {"line": "one", "character": 0}},
        "position.line: invalid value for type, expected int",
        id="string-line",
    ),
    pytest.param(
        "workspace/executeCommand",
        {"command": "chatx.query", "arguments": "deploy"},
        "arguments: expected an array, got a string",
        id="string-arguments",
    ),
    pytest.param(
        "workspace/executeCommand",
        {"command": "chatx.query", "arguments": {"query": "deploy"}},
        "arguments: expected an array, got an object",
        id="object-arguments",
    ),
]


@pytest.mark.parametrize(("method", "params", "detail"), INVALID)
def test_invalid_params_are_answered_with_a_problem(
    server: Server, method: str, params: Any, detail: str
) -> None:
    reply = server.client.request(method, params, timeout=30)

    error = reply["error"]
    assert error["code"] == -32602
    problem = error["data"]
    assert problem["code"] == "INVALID_INPUT"
    assert problem["status"] == 400
    assert problem["title"] == "Invalid input"
    assert problem["instance"] == method
    assert problem["detail"] == f"invalid params of {method}: {detail}"
    assert error["message"] == problem["detail"]
    assert_alive(server)


def test_a_bad_notification_is_logged_and_dropped(server: Server) -> None:
    server.client.notify("textDocument/didOpen", {"textDocument": None})

    assert [m for m in server.client.received_within(1.0) if "id" in m] == []
    server.wait_for_log("dropped a textDocument/didOpen notification: invalid params")
    assert_alive(server)


def test_a_notification_method_sent_as_a_request_is_answered(server: Server) -> None:
    params = {"textDocument": {"uri": URI}}
    reply = server.client.request("textDocument/didClose", params)

    assert reply["error"]["code"] == -32600
    assert reply["error"]["data"]["detail"] == (
        "textDocument/didClose is a notification: it takes no id"
    )
    assert_alive(server)


def test_a_second_initialize_is_refused(server: Server) -> None:
    other = server.root.parent / "elsewhere"
    other.mkdir(exist_ok=True)
    reply = server.client.request("initialize", initialize_params(other))

    assert reply["error"] == {"code": -32600, "message": "initialize was already received"}
    assert_alive(server)  # still on its first folder


FRAMING = [
    pytest.param(b"hello there\r\n", None, id="garbage-line"),
    pytest.param(b"\x00\xff\xfe binary \r\n\r\n", None, id="binary-garbage"),
    pytest.param(b"Content-Length: abc\r\n\r\n{}", None, id="non-numeric-length"),
    pytest.param(b"Content-Type: text/plain\r\n\r\n{}", None, id="no-length"),
    pytest.param(b"Content-Length: 10\n\n{}", None, id="LF-only-header"),
    pytest.param(b"Content-Length: 99999999999\r\n\r\n{}", None, id="length-over-limit"),
    pytest.param(b'Content-Length: 5000\r\n\r\n{"jsonrpc": "2.0", ', None, id="length-too-long"),
    pytest.param(
        b'Content-Length: 12\r\n\r\n{"jsonrpc": "2.0", "id": 99, "method": "shutdown"}',
        -32700,
        id="length-too-short",
    ),
    pytest.param(frame(b"this is not json"), -32700, id="body-not-json"),
    pytest.param(frame(b"[" * 100_000), -32700, id="body-nested-too-deep"),
    pytest.param(frame(b"[1, 2]"), -32600, id="body-not-an-object"),
    pytest.param(frame(b'{"jsonrpc": "1.0", "method": "x"}'), -32600, id="wrong-version"),
]


PROTOCOL_WARNING = re.compile(r"WARNING (?:LSP framing error|an LSP message)")


@pytest.mark.parametrize(("data", "code"), FRAMING)
def test_a_framing_error_is_logged_and_the_stream_recovers(
    server: Server, data: bytes, code: int | None
) -> None:
    before = len(PROTOCOL_WARNING.findall(server.log()))
    server.client.send_raw(data)

    if code is not None:  # the body could not be read: answered with "id": null
        assert server.client.reply(None, timeout=30)["error"]["code"] == code
    assert_alive(server)
    assert len(PROTOCOL_WARNING.findall(server.log())) > before  # logged
    assert 99 not in server.client.replies  # the truncated shutdown did not run


def test_an_invalid_request_with_an_id_is_answered_with_that_id(server: Server) -> None:
    server.client.send({"id": 7, "method": "textDocument/hover", "params": HOVER_OK})

    assert server.client.reply(7)["error"]["code"] == -32600  # no "jsonrpc": "2.0"
    assert_alive(server)


def records(log: str) -> list[tuple[str, str]]:
    """(level, text) of each record of a `chatx -v` stderr."""
    parts = re.split(r"(?m)^chatx: (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", log)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_tracebacks_of_expected_rejections_go_to_the_debug_log_only(server: Server) -> None:
    bad_hover = {"textDocument": {"uri": URI}, "position": {"line": -5, "character": 0}}
    assert server.client.request("textDocument/hover", bad_hover)["error"]["code"] == -32602
    unknown = server.client.request("workspace/executeCommand", {"command": "chatx.deploy"})
    assert unknown["error"]["data"]["detail"].startswith("unknown command 'chatx.deploy'")
    assert_alive(server)

    log = server.wait_for_log("answered with error -32602\nTraceback")
    with_traceback = [(level, text) for level, text in records(log) if "Traceback" in text]
    assert {level for level, _ in with_traceback} == {"DEBUG"}
    assert any(text.startswith("rejected textDocument/hover") for _, text in with_traceback)
    shown = [m["params"]["message"] for m in server.client.notifications]
    assert shown and not any("Traceback" in message for message in shown)


def test_after_shutdown_requests_are_refused_and_exit_ends_the_server(server: Server) -> None:
    assert server.client.request("shutdown")["result"] is None

    refused = server.client.request("textDocument/hover", HOVER_OK)
    assert refused["error"] == {"code": -32600, "message": "the server is shutting down"}
    server.client.notify("exit")
    assert server.proc.wait(timeout=30) == 0
