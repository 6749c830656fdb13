"""Background jobs: retries with backoff and jitter, a concurrency limit per lane, idempotency
keys, a time ceiling and cancellation. tenacity retries, anyio limits and times.

A second `run` with the key of a running job joins it instead of starting the work again.
A job is cancelled when every caller waiting on it has been cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from chatx.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed attempt is retried."""

    attempts: int
    initial_s: float  # first backoff
    max_s: float  # backoff ceiling, and the cap on a server's retry-after hint
    jitter_s: float
    timeout_s: float  # ceiling of the whole job, retries included

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        """Retries and the per-request ceiling the settings configure."""
        m = settings.models
        return cls(
            attempts=m.retry_attempts,
            initial_s=min(0.5, m.retry_max_delay_s),
            max_s=m.retry_max_delay_s,
            jitter_s=min(0.5, m.retry_max_delay_s),
            timeout_s=m.request_timeout_s,
        )


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is worth another attempt (errors declare it with `transient`)."""
    return bool(getattr(exc, "transient", False))


@dataclass
class _Job:
    task: asyncio.Task[Any]
    waiters: int = 0


@dataclass
class TaskRunner:
    """Runs keyed jobs in lanes (one per backend), each lane with its own concurrency limit."""

    limits: dict[str, int] = field(default_factory=dict)
    default_limit: int = 2
    _limiters: dict[str, anyio.CapacityLimiter] = field(default_factory=dict)
    _jobs: dict[str, _Job] = field(default_factory=dict)

    def limiter(self, lane: str) -> anyio.CapacityLimiter:
        """The lane's limiter (created on first use)."""
        if lane not in self._limiters:
            self._limiters[lane] = anyio.CapacityLimiter(self.limits.get(lane, self.default_limit))
        return self._limiters[lane]

    def running(self) -> list[str]:
        """Keys of the jobs in progress."""
        return list(self._jobs)

    async def run(
        self,
        key: str,
        lane: str,
        work: Callable[[], Awaitable[T]],
        policy: RetryPolicy,
    ) -> T:
        """The result of `work`, retried per `policy`, under the lane's limit; joins a running
        job with the same `key`. Raises TimeoutError past the policy's ceiling."""
        job = self._jobs.get(key)
        if job is None:
            coroutine = self._attempts(lane, work, policy)
            job = _Job(asyncio.get_running_loop().create_task(coroutine, name=key))
            self._jobs[key] = job
            job.task.add_done_callback(lambda _: self._jobs.pop(key, None))
        job.waiters += 1
        try:
            result: T = await asyncio.shield(job.task)
            return result
        except asyncio.CancelledError:
            if not job.task.done():
                job.waiters -= 1
                if job.waiters == 0:
                    job.task.cancel()
            raise

    async def _attempts(self, lane: str, work: Callable[[], Awaitable[T]], p: RetryPolicy) -> T:
        backoff = wait_exponential_jitter(multiplier=p.initial_s, max=p.max_s, jitter=p.jitter_s)

        def wait(state: RetryCallState) -> float:
            hint = getattr(
                state.outcome.exception() if state.outcome else None, "retry_after", None
            )
            return min(float(hint), p.max_s) if hint is not None else float(backoff(state))

        def note(state: RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
            log.info("attempt %d on %s failed (%s); retrying", state.attempt_number, lane, failure)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(p.attempts),
            wait=wait,
            retry=retry_if_exception(is_transient),
            before_sleep=note,
            reraise=True,
        )
        with anyio.fail_after(p.timeout_s):
            async for attempt in retrying:
                with attempt:
                    async with self.limiter(lane):
                        return await work()
        raise AssertionError("unreachable: tenacity reraises the last failure")
