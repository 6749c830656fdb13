"""Display columns of every stored chunk, keyed by chunk id, in SQLite beside the lance table.

Search ranks ids in lance and then needs ten rows' text and metadata. Reading them back from
lance costs 4-7 ms (a random read per column); a primary-key lookup here costs ~0.2 ms
(ADR 0002). Lance stays the source of truth: a chunk id is derived from its content, so a row
found here is the row lance holds, and an id missing here (a run killed between the two
writes, an index built before this table existed) is read from lance instead.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from chatx.index.store import iso_utc
from chatx.index.terms import terms_of
from chatx.models import Chunk
from chatx.wal import to_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    chunk_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    line_start INTEGER, line_end INTEGER,
    msg_ids TEXT NOT NULL,
    date_start TEXT, date_end TEXT,
    participants TEXT NOT NULL,
    anchor TEXT
);
CREATE INDEX IF NOT EXISTS rows_source ON rows (source);
CREATE TABLE IF NOT EXISTS source_terms (
    source TEXT NOT NULL, term TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (source, term, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS terms (
    term TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (term, kind)
) WITHOUT ROWID;
"""
ROWS_FILE = "chunks.sqlite"  # in the state dir, beside the lance database
TermCounts = dict[str, Counter[tuple[str, str]]]  # source -> (term, kind) -> count
# Bumped when the tables change; an older mirror is emptied, and `LanceStore.finalize()`
# refills it from lance (readers fall back to lance meanwhile).
SCHEMA_VERSION = 3
COLUMNS = (
    "chunk_id",
    "source",
    "kind",
    "text",
    "line_start",
    "line_end",
    "msg_ids",
    "date_start",
    "date_end",
    "participants",
    "anchor",
)
_LISTS = ("msg_ids", "participants")
_INSERT = f"INSERT OR REPLACE INTO rows VALUES ({', '.join('?' * len(COLUMNS))})"
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM rows WHERE chunk_id IN "


class ChunkRows:
    """`<state dir>/chunks.sqlite`: one row per chunk with what a search hit shows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            to_wal(db)
            if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                with db:
                    for table in ("rows", "source_terms", "terms"):
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def replace(self, sources: Iterable[str], chunks: list[Chunk]) -> None:
        """Drop the sources' rows and add these chunks', in one transaction."""
        sources = list(sources)
        values = [
            (
                c.chunk_id,
                c.meta.source,
                c.kind,
                c.text,
                c.meta.line_start,
                c.meta.line_end,
                json.dumps(c.meta.message_ids),
                iso_utc(c.meta.date_start),
                iso_utc(c.meta.date_end),
                json.dumps(c.meta.participants),
                c.meta.anchor,
            )
            for c in chunks
        ]
        counts = term_counts((c.meta.source, c.text, c.meta.participants) for c in chunks)
        with self._lock, self._conn() as db:
            _drop_terms(db, sources)
            db.executemany("DELETE FROM rows WHERE source = ?", [(s,) for s in sources])
            db.executemany(_INSERT, values)
            _add_terms(db, counts)

    def put(self, records: list[dict[str, Any]]) -> None:
        """Add rows given as column dicts (read back from lance, lists as lists)."""
        values = [
            tuple(json.dumps(r[c] or []) if c in _LISTS else r.get(c) for c in COLUMNS)
            for r in records
        ]
        counts = term_counts((r["source"], r["text"], r["participants"] or []) for r in records)
        with self._lock, self._conn() as db:
            db.executemany(_INSERT, values)
            _add_terms(db, counts)

    def delete(self, sources: Iterable[str]) -> None:
        """Drop every row of the sources."""
        sources = list(sources)
        with self._lock, self._conn() as db:
            _drop_terms(db, sources)
            db.executemany("DELETE FROM rows WHERE source = ?", [(s,) for s in sources])

    def clear(self) -> None:
        """Drop every row."""
        with self._lock, self._conn() as db:
            db.execute("DELETE FROM rows")
            db.execute("DELETE FROM source_terms")
            db.execute("DELETE FROM terms")

    def count(self) -> int:
        """Number of rows."""
        if not self.path.exists():
            return 0
        with self._lock:
            return int(self._conn().execute("SELECT count(*) FROM rows").fetchone()[0])

    def ids(self) -> set[str]:
        """Every chunk id held."""
        with self._lock:
            return {row[0] for row in self._conn().execute("SELECT chunk_id FROM rows")}

    def by_source(
        self, sources: Iterable[str] | None = None
    ) -> Iterator[tuple[str, str, list[str]]]:
        """`(source, text, participants)` of every row, or of the given sources' rows.

        Streams through its own read-only connection, so a long scan blocks no lookup.
        """
        if not self.path.exists():
            return
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            query = "SELECT source, text, participants FROM rows"
            if sources is None:
                cursors: Iterable[Iterable[tuple[str, str, str]]] = [db.execute(query)]
            else:
                cursors = (db.execute(query + " WHERE source = ?", (s,)) for s in sources)
            for cursor in cursors:
                for source, text, participants in cursor:
                    yield source, text, json.loads(participants)
        finally:
            db.close()

    def get(self, chunk_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The rows of these ids that are present, as column dicts (lists decoded)."""
        if not chunk_ids or not self.path.exists():
            return {}
        query = _SELECT + f"({', '.join('?' * len(chunk_ids))})"
        with self._lock:
            found = self._conn().execute(query, chunk_ids).fetchall()
        rows = {}
        for values in found:
            row = dict(zip(COLUMNS, values, strict=True))
            for name in _LISTS:
                row[name] = json.loads(row[name])
            rows[row["chunk_id"]] = row
        return rows

    def participants(self) -> list[str]:
        """Display names of every chat participant in the stored chunks."""
        if not self.path.exists():
            return []
        with self._lock:
            found = (
                self._conn()
                .execute("SELECT DISTINCT term FROM terms WHERE kind = 'participant' AND n > 0")
                .fetchall()
            )
        return sorted(name for (name,) in found)

    def vocabulary(self) -> list[tuple[str, str, int]]:
        """`(term, kind, count)` over every stored chunk; kind is `participant` or `token`."""
        if not self.path.exists():
            return []
        with self._lock:
            return self._conn().execute("SELECT term, kind, n FROM terms").fetchall()


def term_counts(rows: Iterable[tuple[str, str, list[str]]]) -> TermCounts:
    """Per source, the tokens of its texts and the names of its participants, counted."""
    counts: TermCounts = {}
    for source, text, participants in rows:
        found = counts.setdefault(source, Counter())
        for term, n in terms_of(text).items():
            found[(term, "token")] += n
        for name in participants:
            found[(name, "participant")] += 1
    return counts


def _drop_terms(db: sqlite3.Connection, sources: Iterable[str]) -> None:
    for source in sources:
        old = db.execute(
            "SELECT n, term, kind FROM source_terms WHERE source = ?", (source,)
        ).fetchall()
        db.executemany("UPDATE terms SET n = n - ? WHERE term = ? AND kind = ?", old)
        db.execute("DELETE FROM source_terms WHERE source = ?", (source,))
    db.execute("DELETE FROM terms WHERE n <= 0")


def _add_terms(db: sqlite3.Connection, counts: TermCounts) -> None:
    db.executemany(
        "INSERT INTO source_terms VALUES (?, ?, ?, ?) ON CONFLICT (source, term, kind)"
        " DO UPDATE SET n = n + excluded.n",
        [(source, t, k, n) for source, found in counts.items() for (t, k), n in found.items()],
    )
    total: Counter[tuple[str, str]] = Counter()
    for found in counts.values():
        total.update(found)
    db.executemany(
        "INSERT INTO terms VALUES (?, ?, ?) ON CONFLICT (term, kind)"
        " DO UPDATE SET n = n + excluded.n",
        [(t, k, n) for (t, k), n in total.items()],
    )
