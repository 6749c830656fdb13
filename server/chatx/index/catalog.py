"""The catalog: one SQLite row per file, committed only after its chunks are in the store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chatx.models import Problem
from chatx.wal import to_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    format TEXT,
    state TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER,
    seen_hash TEXT,
    indexed_hash TEXT,
    messages INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    problem TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


FILE_COLUMNS = (
    "path",
    "format",
    "state",
    "size",
    "mtime_ns",
    "seen_hash",
    "indexed_hash",
    "messages",
    "chunks",
    "problem",
)


@dataclass
class FileRecord:
    """What the catalog knows of one file."""

    path: str
    format: str | None
    state: str
    size: int | None
    mtime_ns: int | None
    seen_hash: str | None
    indexed_hash: str | None
    messages: int = 0
    chunks: int = 0
    problem: Problem | None = None

    @classmethod
    def of_row(cls, row: Sequence[Any]) -> FileRecord:
        """A `files` row (FILE_COLUMNS, the problem as JSON) as its record."""
        path, fmt, state, size, mtime_ns, seen, indexed, messages, chunks, problem = row
        return cls(
            path, fmt, state, size, mtime_ns, seen, indexed, messages, chunks, _problem(problem)
        )

    def values(self) -> tuple[object, ...]:
        """The record as a `files` row (the problem as JSON)."""
        problem = self.problem.model_dump_json() if self.problem else None
        return (
            self.path,
            self.format,
            self.state,
            self.size,
            self.mtime_ns,
            self.seen_hash,
            self.indexed_hash,
            self.messages,
            self.chunks,
            problem,
        )


class IndexCatalog(Protocol):
    """What the indexer keeps of each file: `Catalog` (SQLite, beside LanceDB) or
    `pgvector.PgCatalog` (in the shared database)."""

    def close(self) -> None:
        """Release it."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store a metadata value."""
        ...

    def all(self) -> dict[str, FileRecord]:
        """Every file record, by path."""
        ...

    def save(self, records: list[FileRecord]) -> None:
        """Insert or replace records."""
        ...

    def remove(self, paths: list[str]) -> None:
        """Forget files."""
        ...

    def clear(self) -> None:
        """Forget every file."""
        ...


class Catalog:
    """`<workspace>/.claude-context/catalog.sqlite`, WAL mode, one transaction per batch."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30)
        to_wal(self._db)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def get_meta(self, key: str) -> str | None:
        """A metadata value (e.g. the embedder id)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a metadata value."""
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def all(self) -> dict[str, FileRecord]:
        """Every file record, by path."""
        rows = self._db.execute(f"SELECT {', '.join(FILE_COLUMNS)} FROM files").fetchall()
        return {row[0]: FileRecord.of_row(row) for row in rows}

    def save(self, records: list[FileRecord]) -> None:
        """Insert or replace records in one transaction."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?)",
                [record.values() for record in records],
            )

    def remove(self, paths: list[str]) -> None:
        """Forget files that are gone from the workspace."""
        with self._db:
            self._db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def clear(self) -> None:
        """Forget every file (the store was reset)."""
        with self._db:
            self._db.execute("DELETE FROM files")


def _problem(raw: str | None) -> Problem | None:
    return Problem.model_validate(json.loads(raw)) if raw else None
