"""The workspace socket: one owner per workspace, mode 0600, JSON lines, problems carried as
RFC 7807 objects, and `call` answering None whenever no daemon does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from chatx import endpoint
from chatx.problems import ChatxError, ProblemCode


async def echo(params: dict[str, Any]) -> Any:
    return {"echo": params}


async def refuse(params: dict[str, Any]) -> Any:
    raise ChatxError.of(ProblemCode.NOT_INDEXED, "no index here; run `chatx index`")


HANDLERS = {"echo": echo, "refuse": refuse}


async def started(workspace: Path) -> asyncio.Task[None]:
    task = asyncio.create_task(endpoint.serve(HANDLERS, workspace))
    for _ in range(100):
        if endpoint.socket_path(workspace).exists():
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the socket never appeared")


async def stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def ask(workspace: Path, method: str, **params: Any) -> Any:
    return endpoint.call(workspace, method, params, timeout=5)


async def test_a_request_is_answered_and_the_socket_is_private(tmp_path: Path) -> None:
    task = await started(tmp_path)
    path = endpoint.socket_path(tmp_path)
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert await asyncio.to_thread(ask, tmp_path, "echo", n=3) == {"echo": {"n": 3}}
    await stopped(task)
    assert not path.exists()


async def test_a_problem_comes_back_as_rfc_7807(tmp_path: Path) -> None:
    task = await started(tmp_path)
    with pytest.raises(endpoint.DaemonError) as caught:
        await asyncio.to_thread(ask, tmp_path, "refuse")
    assert caught.value.problem["code"] == "NOT_INDEXED"
    assert "chatx index" in caught.value.problem["detail"]
    with pytest.raises(endpoint.DaemonError) as unknown:
        await asyncio.to_thread(ask, tmp_path, "drop_tables")
    assert unknown.value.problem["code"] == "INVALID_INPUT"
    await stopped(task)


async def test_one_owner_per_workspace(tmp_path: Path) -> None:
    first = await started(tmp_path)
    second = asyncio.create_task(endpoint.serve({}, tmp_path))
    await asyncio.wait_for(second, 5)  # returns at once: the first holds the lock
    assert await asyncio.to_thread(ask, tmp_path, "echo") == {"echo": {}}
    await stopped(first)


async def test_a_stale_socket_is_replaced(tmp_path: Path) -> None:
    path = endpoint.socket_path(tmp_path)
    path.parent.mkdir()
    path.write_text("left by a process that died")
    assert ask(tmp_path, "echo") is None  # not a socket: nobody answers
    task = await started(tmp_path)
    for _ in range(100):
        if stat.S_ISSOCK(path.stat().st_mode):
            break
        await asyncio.sleep(0.01)
    assert await asyncio.to_thread(ask, tmp_path, "echo") == {"echo": {}}
    await stopped(task)


def test_no_daemon_means_none(tmp_path: Path) -> None:
    assert ask(tmp_path, "echo") is None
    long = tmp_path / ("x" * 120)
    long.mkdir()
    assert ask(long, "echo") is None


async def test_a_path_too_long_for_a_socket_serves_nothing(tmp_path: Path) -> None:
    long = tmp_path / ("x" * 120)
    long.mkdir()
    await asyncio.wait_for(endpoint.serve(HANDLERS, long), 5)
    assert not endpoint.socket_path(long).exists()


async def slow(params: dict[str, Any]) -> Any:
    await asyncio.sleep(2)
    return "late"


async def test_a_daemon_that_does_not_answer_in_time_is_an_error_not_a_retry(
    tmp_path: Path,
) -> None:
    task = asyncio.create_task(endpoint.serve({"slow": slow}, tmp_path))
    while not endpoint.socket_path(tmp_path).exists():
        await asyncio.sleep(0.01)
    with pytest.raises(endpoint.DaemonError) as caught:
        await asyncio.to_thread(endpoint.call, tmp_path, "slow", {}, 0.3)
    assert caught.value.problem["code"] == "TIMEOUT"
    await stopped(task)


async def test_a_socket_of_another_user_or_a_link_is_not_used(tmp_path: Path) -> None:
    task = await started(tmp_path)
    path = endpoint.socket_path(tmp_path)
    os.chown(path, 12345, 12345)  # as if another user's daemon listened there
    assert await asyncio.to_thread(ask, tmp_path, "echo") is None
    os.chown(path, os.getuid(), os.getgid())
    other = tmp_path / "other"
    (other / ".claude-context").mkdir(parents=True)
    endpoint.socket_path(other).symlink_to(path)  # a link committed into a cloned repository
    assert await asyncio.to_thread(ask, other, "echo") is None
    await stopped(task)


def test_a_hook_the_daemon_answers_stays_light(tmp_path: Path) -> None:
    """The prompt hook answered over the socket loads no asyncio, pydantic, numpy or LanceDB."""
    import subprocess
    import sys
    import threading

    async def context(params: dict[str, Any]) -> Any:
        return f"<chatx-context>{params['prompt']}</chatx-context>"

    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(endpoint.serve({"context": context}, tmp_path))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    while not endpoint.socket_path(tmp_path).exists():
        pass
    heavy = "('asyncio', 'pydantic', 'numpy', 'lancedb', 'chatx.config')"
    code = (
        "import json, sys; from pathlib import Path; from chatx.cli import hook\n"
        f"answer = hook.prompt({{'prompt': 'hi'}}, Path({str(tmp_path)!r}))\n"
        f"print(json.dumps([answer, [m for m in {heavy} if m in sys.modules]]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    answer, loaded = json.loads(out.stdout)
    assert answer["hookSpecificOutput"]["additionalContext"] == "<chatx-context>hi</chatx-context>"
    assert loaded == [], out.stderr
    loop.call_soon_threadsafe(lambda: [t.cancel() for t in asyncio.all_tasks(loop)])
    thread.join(5)
