"""The protocol boundary, in-process: `$/cancelRequest` reaches a running command through
pygls' public path, Problems carry fitting JSON-RPC codes, and one decorator maps failures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest

from chatx.lsp.context import ChatxProtocol, ChatxServer, ProblemError, guarded
from chatx.problems import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    REQUEST_FAILED,
    ChatxError,
    ProblemCode,
    jsonrpc_code,
    make_problem,
)


class Wire:
    """A writer that keeps the messages the server sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data.split(b"\r\n\r\n", 1)[1]))

    def close(self) -> None:
        pass

    def reply(self, msg_id: str) -> dict[str, Any] | None:
        return next((m for m in self.sent if m.get("id") == msg_id), None)


def send(ls: ChatxServer, message: dict[str, Any]) -> None:
    assert ls.protocol.receive(json.dumps({"jsonrpc": "2.0", **message}).encode())


async def settle(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_cancel_request_cancels_a_running_command() -> None:
    ls, wire = ChatxServer(), Wire()
    ls.protocol.set_writer(wire)
    started, seen = asyncio.Event(), asyncio.Event()

    @ls.command("chatx.wait")
    async def wait(ls: ChatxServer, *args: Any) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.set()
            raise

    params = {"command": "chatx.wait", "arguments": []}
    send(ls, {"id": "w-1", "method": "workspace/executeCommand", "params": params})
    await asyncio.wait_for(started.wait(), 5)
    send(ls, {"method": "$/cancelRequest", "params": {"id": "w-1"}})
    await asyncio.wait_for(seen.wait(), 5)
    await settle(lambda: wire.reply("w-1"))
    reply = wire.reply("w-1")
    assert reply is not None and reply["error"]["code"] == -32800  # RequestCancelled


async def test_a_command_gets_its_json_arguments_and_answers() -> None:
    ls, wire = ChatxServer(), Wire()
    ls.protocol.set_writer(wire)

    @ls.command("chatx.echo")
    async def echo(ls: ChatxServer, *args: Any) -> list[Any]:
        return list(args)

    params = {"command": "chatx.echo", "arguments": ["x", {"k": 1}]}
    send(ls, {"id": "e-1", "method": "workspace/executeCommand", "params": params})
    await settle(lambda: wire.reply("e-1"))
    assert wire.reply("e-1") == {"jsonrpc": "2.0", "id": "e-1", "result": ["x", {"k": 1}]}


def test_no_private_cancel_override() -> None:
    assert "_handle_cancel_notification" not in vars(ChatxProtocol)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (ProblemCode.INVALID_INPUT, INVALID_PARAMS),
        (ProblemCode.UNSUPPORTED_FORMAT, INVALID_PARAMS),
        (ProblemCode.PARSE_ERROR, INVALID_PARAMS),
        (ProblemCode.NOT_INDEXED, REQUEST_FAILED),
        (ProblemCode.CLOUD_DISABLED, REQUEST_FAILED),
        (ProblemCode.POLICY_SHIELD_FAILURE, REQUEST_FAILED),
        (ProblemCode.BACKEND_UNAVAILABLE, REQUEST_FAILED),
        (ProblemCode.TIMEOUT, REQUEST_FAILED),
        (ProblemCode.INTERNAL, INTERNAL_ERROR),
    ],
)
def test_each_problem_has_a_fitting_jsonrpc_code(code: ProblemCode, expected: int) -> None:
    assert jsonrpc_code(code) == expected
    error = ProblemError(make_problem(code, "why"))
    assert error.code == expected and error.data["code"] == code.value


def test_an_explicit_code_and_an_unknown_problem_code() -> None:
    problem = make_problem(ProblemCode.INVALID_INPUT, "no token")
    assert ProblemError(problem, -32600).code == -32600
    assert jsonrpc_code("SOMETHING_NEW") == INTERNAL_ERROR


async def boom() -> int:
    raise RuntimeError("secret detail")


async def timeout() -> int:
    raise ChatxError.of(ProblemCode.TIMEOUT, "no answer in 30 s")


async def rejected() -> int:
    raise JsonRpcInvalidRequest("no")


async def cancelled() -> int:
    raise asyncio.CancelledError


async def test_a_feature_answers_its_default_on_an_unexpected_failure() -> None:
    assert await guarded(lambda: 0)(boom)() == 0


async def test_a_command_answers_an_internal_problem_on_an_unexpected_failure() -> None:
    with pytest.raises(ProblemError) as caught:
        await guarded()(boom)()
    assert caught.value.code == INTERNAL_ERROR and caught.value.data["code"] == "INTERNAL"
    assert caught.value.data["detail"] == "boom failed (RuntimeError); see the log"


@pytest.mark.parametrize("default", [None, lambda: 0])
async def test_problems_rejections_and_cancellation_pass_through(default: Any) -> None:
    with pytest.raises(ProblemError) as caught:
        await guarded(default)(timeout)()
    assert caught.value.code == REQUEST_FAILED and caught.value.data["code"] == "TIMEOUT"
    with pytest.raises(JsonRpcException) as other:
        await guarded(default)(rejected)()
    assert other.value.code == -32600
    with pytest.raises(asyncio.CancelledError):
        await guarded(default)(cancelled)()
