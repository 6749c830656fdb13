"""The token ledger (one row per model call) and the response cache, in
`<workspace>/.claude-context/llm.sqlite`.

A response is cached under (model id, prompt hash, source hash, schema version): the same
question over the same indexed sources with the same prompt template gives the same answer
without a model call. Only deterministic (temperature 0) calls are cached.
"""

from __future__ import annotations

import hashlib
import sqlite3
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chatx.models import LedgerEntry, LedgerGroup, LedgerSummary
from chatx.wal import to_wal

FILE = "llm.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    at REAL NOT NULL, action TEXT NOT NULL, backend TEXT NOT NULL, model TEXT NOT NULL,
    reason TEXT NOT NULL, escalated INTEGER NOT NULL, tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL, latency_ms REAL NOT NULL, cache_hit INTEGER NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, text TEXT NOT NULL, tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL, confidence REAL, created REAL NOT NULL
);
"""


def digest(*parts: str) -> str:
    """sha256 over the parts, each length-prefixed so that ("ab", "c") != ("a", "bc")."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def cache_key(model_id: str, prompt: str, source_hash: str, schema_version: str) -> str:
    """The response-cache key of a call."""
    return digest(model_id, digest(prompt), source_hash, schema_version)


@dataclass(frozen=True)
class Cached:
    """A stored response."""

    text: str
    model: str
    tokens_in: int
    tokens_out: int
    confidence: float | None


class Ledger:
    """Ledger rows and cached responses of one workspace; safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        # WAL with synchronous=NORMAL: a ledger row costs no fsync (durable at checkpoints)
        to_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def record(self, entry: LedgerEntry) -> None:
        """Append one call to the ledger."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO ledger VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    entry.at,
                    entry.action,
                    entry.backend,
                    entry.model,
                    entry.reason,
                    int(entry.escalated),
                    entry.tokens_in,
                    entry.tokens_out,
                    entry.latency_ms,
                    int(entry.cache_hit),
                    entry.outcome,
                ),
            )

    def entries(self, since: float | None = None) -> list[LedgerEntry]:
        """Every ledger row (since a Unix time), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM ledger WHERE at >= ? ORDER BY at", (since or 0.0,)
            ).fetchall()
        names = list(LedgerEntry.model_fields)
        return [LedgerEntry.model_validate(dict(zip(names, row, strict=True))) for row in rows]

    def get(self, key: str) -> Cached | None:
        """A cached response, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT text, model, tokens_in, tokens_out, confidence FROM responses "
                "WHERE key = ?",
                (key,),
            ).fetchone()
        return Cached(*row) if row else None

    def put(self, key: str, value: Cached) -> None:
        """Store a response."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?)",
                (
                    key,
                    value.model,
                    value.text,
                    value.tokens_in,
                    value.tokens_out,
                    value.confidence,
                    time.time(),
                ),
            )

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def summarise(entries: Iterable[LedgerEntry]) -> LedgerSummary:
    """Calls, tokens, cache hits and latency per backend and model, and why calls were routed."""
    groups: dict[tuple[str, str], list[LedgerEntry]] = {}
    rows = list(entries)
    for entry in rows:
        groups.setdefault((entry.backend, entry.model), []).append(entry)
    reasons = Counter(_reason_kind(entry.reason) for entry in rows)
    return LedgerSummary(
        calls=len(rows),
        tokens_in=sum(e.tokens_in for e in rows),
        tokens_out=sum(e.tokens_out for e in rows),
        cache_hits=sum(e.cache_hit for e in rows),
        escalations=sum(e.escalated for e in rows),
        groups=[
            _group(backend, model, items) for (backend, model), items in sorted(groups.items())
        ],
        reasons=dict(reasons.most_common()),
    )


def _group(backend: str, model: str, items: list[LedgerEntry]) -> LedgerGroup:
    latencies = sorted(e.latency_ms for e in items if not e.cache_hit) or [0.0]
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    return LedgerGroup(
        backend=backend,
        model=model,
        calls=len(items),
        cache_hits=sum(e.cache_hit for e in items),
        failures=sum(e.outcome != "ok" for e in items),
        tokens_in=sum(e.tokens_in for e in items),
        tokens_out=sum(e.tokens_out for e in items),
        latency_p50_ms=round(statistics.median(latencies), 1),
        latency_p95_ms=round(p95, 1),
    )


def _reason_kind(reason: str) -> str:
    """A reason without its figures, so that equal causes group together."""
    head = reason.split(";")[0].split(":")[0]
    return " ".join(w for w in head.split() if not any(c.isdigit() for c in w))
