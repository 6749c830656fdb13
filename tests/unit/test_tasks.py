"""The task runner: retries on transient errors only, per-lane limits, idempotent joins,
the time ceiling and cancellation."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from chatx.llm.base import AuthError, RateLimitedError
from chatx.llm.tasks import RetryPolicy, TaskRunner

FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.01, timeout_s=5)


async def test_transient_errors_are_retried_until_success() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RateLimitedError("x", "slow down", retry_after=0.01)
        return "ok"

    assert await TaskRunner().run("k", "cloud", flaky, FAST) == "ok"
    assert calls == 3


async def test_permanent_errors_fail_at_once_and_attempts_are_bounded() -> None:
    calls = 0

    async def refused() -> str:
        nonlocal calls
        calls += 1
        raise AuthError("x", "bad key")

    with pytest.raises(AuthError):
        await TaskRunner().run("k", "cloud", refused, FAST)
    assert calls == 1

    async def always_limited() -> str:
        nonlocal calls
        calls += 1
        raise RateLimitedError("x", "slow down")

    calls = 0
    with pytest.raises(RateLimitedError):
        await TaskRunner().run("k", "cloud", always_limited, FAST)
    assert calls == 4


async def test_retry_after_is_honoured_but_capped() -> None:
    stamps: list[float] = []

    async def limited() -> str:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            raise RateLimitedError("x", "slow down", retry_after=30)  # capped at max_s
        return "ok"

    policy = RetryPolicy(attempts=2, initial_s=0.01, max_s=0.2, jitter_s=0, timeout_s=5)
    assert await TaskRunner().run("k", "cloud", limited, policy) == "ok"
    assert 0.15 <= stamps[1] - stamps[0] < 1.0


async def test_same_key_joins_the_running_job() -> None:
    calls = 0

    async def slow() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.1)
        return calls

    runner = TaskRunner()
    results = await asyncio.gather(*(runner.run("same", "local", slow, FAST) for _ in range(3)))
    assert results == [1, 1, 1] and calls == 1
    assert await runner.run("same", "local", slow, FAST) == 2  # finished jobs are not reused


async def test_lane_limit_bounds_concurrency() -> None:
    running = peak = 0

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    runner = TaskRunner({"local": 1, "cloud": 3})
    await asyncio.gather(*(runner.run(f"l{i}", "local", work, FAST) for i in range(4)))
    assert peak == 1
    peak = 0
    await asyncio.gather(*(runner.run(f"c{i}", "cloud", work, FAST) for i in range(6)))
    assert peak == 3


async def test_ceiling_and_cancellation() -> None:
    async def hang() -> None:
        await asyncio.sleep(10)

    runner = TaskRunner()
    with pytest.raises(TimeoutError):
        await runner.run("t", "local", hang, dataclasses.replace(FAST, timeout_s=0.1))

    first = asyncio.create_task(runner.run("c", "local", hang, FAST))
    second = asyncio.create_task(runner.run("c", "local", hang, FAST))
    await asyncio.sleep(0.05)
    assert runner.running() == ["c"]
    first.cancel()
    await asyncio.sleep(0.05)
    assert runner.running() == ["c"]  # the other caller still waits
    second.cancel()
    await asyncio.sleep(0.05)
    assert runner.running() == []
