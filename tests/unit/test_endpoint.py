"""The workspace socket: one owner per workspace, mode 0600, JSON lines, problems carried as
RFC 7807 objects, and `call` answering None whenever no daemon does."""

from __future__ import annotations

import asyncio
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


def test_the_client_stays_light() -> None:
    """A hook answered by the daemon must not pay for asyncio, pydantic or the models."""
    import subprocess
    import sys

    heavy = "('asyncio', 'pydantic', 'numpy', 'lancedb')"
    code = f"import sys, chatx.cli.hook; print([m for m in {heavy} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ
    )
    assert out.stdout.strip() == "[]", out.stderr
