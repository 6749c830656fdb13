"""File watching: watchfiles events, debounced per path, grouped by workspace folder.

The watcher only learns paths; whether a path is ever read is the walker's decision when the
index run that follows walks the folder (`index/walker.py`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from chatx import STATE_DIR

log = logging.getLogger(__name__)
TICK_MS = 50


class WorkspaceFilter(DefaultFilter):
    """watchfiles' default ignores plus the index's own directory (its writes are not edits)."""

    ignore_dirs = (*DefaultFilter.ignore_dirs, STATE_DIR)


def owner(path: Path, roots: Sequence[Path]) -> Path | None:
    """The workspace folder containing `path` (the deepest, for nested folders)."""
    matches = [root for root in roots if path == root or root in path.parents]
    return max(matches, key=lambda root: len(root.parts), default=None)


async def debounced_changes(
    roots: Sequence[Path], quiet_ms: int, stop: asyncio.Event
) -> AsyncIterator[dict[Path, set[Path]]]:
    """Yield `{folder: changed paths}` once each changed path has been quiet for `quiet_ms`.

    A path that keeps changing (an editor writing in several steps, a file being copied) is
    held back until it settles; other paths are not delayed by it.
    """
    pending: dict[Path, float] = {}
    async for changes in awatch(
        *roots,
        watch_filter=WorkspaceFilter(),
        debounce=max(quiet_ms, TICK_MS),
        step=TICK_MS,
        stop_event=stop,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
    ):
        now = time.monotonic()
        for change, raw in changes:
            log.debug("watch: %s %s", Change(change).name, raw)
            pending[Path(raw)] = now + quiet_ms / 1000
        due = [path for path, deadline in pending.items() if deadline <= now]
        if not due:
            continue
        grouped: dict[Path, set[Path]] = {}
        for path in due:
            del pending[path]
            folder = owner(path, roots)
            if folder is not None:
                grouped.setdefault(folder, set()).add(path)
        if grouped:
            yield grouped
