"""Switching a SQLite file to WAL when several processes may open it for the first time at once
(the daemon, the command line, the hooks, the MCP server)."""

from __future__ import annotations

import sqlite3


def to_wal(db: sqlite3.Connection) -> None:
    """Put `db` in WAL mode. While another process is switching a new file, SQLite answers
    "locked" at once, without waiting its busy timeout: then wait and try again (up to 60 s)."""
    try:
        db.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as exc:
        if not _locked(exc):
            raise
        _retry_to_wal(db)


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def _retry_to_wal(db: sqlite3.Connection) -> None:
    # imported here, on the rare path: tenacity costs ~45 ms, and the hooks open these files
    from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random

    retrying = Retrying(
        retry=retry_if_exception(_locked),
        wait=wait_random(0.01, 0.2),
        stop=stop_after_delay(60),
        reraise=True,
    )
    retrying(db.execute, "PRAGMA journal_mode=WAL")
