"""Work-done progress ($/progress) for index runs, safe to report from worker threads."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

from lsprotocol import types

from chatx.lsp.context import ChatxServer

log = logging.getLogger("chatx.lsp.progress")
REPORT_EVERY_S = 0.2


async def begin_progress(
    ls: ChatxServer,
    token: types.ProgressToken,
    begin: types.WorkDoneProgressBegin,
    on_cancel: Callable[[object], None],
) -> bool:
    """Create `token` with the client and begin it; `on_cancel` runs when the user cancels.
    False when the client shows no progress or refuses the token (the work goes on)."""
    capabilities = ls.client_capabilities.window
    if not (capabilities and capabilities.work_done_progress):
        return False
    try:
        await ls.work_done_progress.create_async(token)
    except Exception:
        log.warning("client refused a progress token", exc_info=True)
        return False
    ls.work_done_progress.begin(token, begin)
    ls.work_done_progress.tokens[token].add_done_callback(on_cancel)
    return True


def end_progress(ls: ChatxServer, token: types.ProgressToken, message: str) -> None:
    """End a begun progress with a summary line and forget its token."""
    ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
    ls.work_done_progress.tokens.pop(token, None)


class IndexProgress:
    """begin / report (file counts) / end of one run; a user cancel stops the run."""

    def __init__(self, ls: ChatxServer, title: str) -> None:
        self.ls = ls
        self.title = title
        self.token: types.ProgressToken = f"chatx-{uuid.uuid4()}"
        self._loop = asyncio.get_running_loop()
        self._last = 0.0
        self.active = False

    async def __aenter__(self) -> IndexProgress:
        begin = types.WorkDoneProgressBegin(title=self.title, cancellable=True, percentage=0)
        self.active = await begin_progress(self.ls, self.token, begin, self._cancelled)
        return self

    def _cancelled(self, future: object) -> None:
        if self.ls.daemon:
            self.ls.daemon.cancel_indexing()

    def report(self, done: int, total: int, path: str) -> None:
        """Called by the indexer (worker thread) after each changed file."""
        now = time.monotonic()
        if not self.active or (now - self._last < REPORT_EVERY_S and done < total):
            return
        self._last = now
        value = types.WorkDoneProgressReport(
            message=f"{done}/{total} files · {path}",
            percentage=int(done * 100 / total) if total else 100,
            cancellable=True,
        )
        self._loop.call_soon_threadsafe(self.ls.work_done_progress.report, self.token, value)

    def finish(self, message: str) -> None:
        """End the progress with a summary line."""
        if self.active:
            self.active = False
            end_progress(self.ls, self.token, message)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish("failed" if exc else "done")


class TaskProgress:
    """begin / report / end of one background task (a model call); cancelling it in the
    client's progress UI cancels the task."""

    def __init__(self, ls: ChatxServer, title: str, task: asyncio.Future[Any] | None) -> None:
        self.ls = ls
        self.title = title
        self.task = task
        self.token: types.ProgressToken = f"chatx-{uuid.uuid4()}"
        self.active = False

    async def __aenter__(self) -> TaskProgress:
        begin = types.WorkDoneProgressBegin(title=self.title, cancellable=True, message="routing")
        self.active = await begin_progress(self.ls, self.token, begin, self._cancelled)
        return self

    def _cancelled(self, future: object) -> None:
        if self.task is not None and self.ls.loop is not None:
            self.ls.loop.call_soon_threadsafe(self.task.cancel)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.active:
            self.active = False
            message = (
                "cancelled" if kind is asyncio.CancelledError else ("failed" if exc else "done")
            )
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)
