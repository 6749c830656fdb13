"""LanceDB store: writes and index management through `lancedb`, searches through `lance`.

Reads go through pylance (the lance core lancedb 0.40 is built on) because importing
`lancedb` costs ~2.5 s on this machine, more than a cold query may take (ADR 0002).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from chatx.index.store import SCHEMA, Filters, Hit, to_arrow
from chatx.models import Chunk

os.environ.setdefault("LANCE_LOG", "error")
log = logging.getLogger(__name__)

TABLE = "chunks"
RRF_K = 60
_COLUMNS = [
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
]


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def glob_to_like(glob: str) -> str:
    """Translate a path glob (`*`, `**`, `?`) into a SQL LIKE pattern."""
    out = []
    for ch in glob.replace("**", "*"):
        if ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append({"*": "%", "?": "_"}.get(ch, ch))
    return "".join(out)


def where_clause(filters: Filters) -> str | None:
    """The SQL prefilter for `filters`, or None when nothing is filtered."""
    parts: list[str] = []
    if filters.kind:
        parts.append(f"kind = {sql_str(filters.kind)}")
    if filters.platform:
        parts.append(f"platform = {sql_str(filters.platform)}")
    if filters.participant:
        parts.append(f"array_has(participants_lc, {sql_str(filters.participant.casefold())})")
    if filters.since:
        parts.append(f"date_end >= {sql_str(filters.since.isoformat())}")
    if filters.until:
        nxt = filters.until + timedelta(days=1)
        parts.append(f"date_start < {sql_str(nxt.isoformat())}")
    if filters.path_glob:
        parts.append(f"source LIKE {sql_str(glob_to_like(filters.path_glob))}")
    return " AND ".join(parts) or None


class LanceStore:
    """Chunks of one workspace in `<workspace>/.claude-context/lancedb/chunks.lance`."""

    def __init__(self, db_dir: Path, ann_threshold: int = 50_000) -> None:
        self.db_dir = db_dir
        self.uri = db_dir / f"{TABLE}.lance"
        self.ann_threshold = ann_threshold
        self._table: Any = None
        self._dataset: Any = None

    # -- writes (lancedb) -------------------------------------------------
    def _writer(self) -> Any:
        if self._table is None:
            import lancedb

            self.db_dir.mkdir(parents=True, exist_ok=True)
            db = lancedb.connect(str(self.db_dir))
            self._table = db.create_table(TABLE, schema=SCHEMA, exist_ok=True)
        return self._table

    def replace_sources(self, sources: list[str], chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Delete the sources' rows, then add the new ones; the catalog commits after both."""
        table = self._writer()
        if sources:
            table.delete(f"source IN ({', '.join(sql_str(s) for s in sources)})")
        if chunks:
            table.add(to_arrow(chunks, vectors))
        self._dataset = None

    def delete_sources(self, sources: list[str]) -> None:
        """Remove every row of the given sources."""
        if sources and self.uri.exists():
            self._writer().delete(f"source IN ({', '.join(sql_str(s) for s in sources)})")
            self._dataset = None

    def reset(self) -> None:
        """Drop every row (used when the embedding model changes)."""
        if self.uri.exists():
            import lancedb

            lancedb.connect(str(self.db_dir)).drop_table(TABLE)
        self._table = None
        self._dataset = None

    def finalize(self) -> None:
        """Compact, fold new rows into indices, and build missing FTS / ANN indices."""
        from lancedb.index import FTS

        table = self._writer()
        names = {ix.name: ix for ix in table.list_indices()}
        rows = table.count_rows()
        if "text_idx" not in names:
            table.create_index("text", config=FTS(with_position=False), name="text_idx")
        if "vector_idx" not in names and rows >= self.ann_threshold:
            partitions = max(1, int(np.sqrt(rows) / 4))
            table.create_index(
                metric="cosine",
                vector_column_name="vector",
                index_type="IVF_HNSW_SQ",
                num_partitions=partitions,
                name="vector_idx",
            )
        table.optimize(cleanup_older_than=timedelta(minutes=5))
        self._dataset = None

    # -- reads (pylance) ---------------------------------------------------
    def dataset(self) -> Any:
        """The lance dataset at its latest version, or None when nothing is indexed."""
        if self._dataset is None and self.uri.exists():
            import lance

            self._dataset = lance.dataset(str(self.uri))
        return self._dataset

    def count(self) -> int:
        """Number of chunks stored."""
        dataset = self.dataset()
        return int(dataset.count_rows()) if dataset is not None else 0

    def has_fts(self) -> bool:
        """True once the full-text index exists."""
        dataset = self.dataset()
        return dataset is not None and any(
            ix.name == "text_idx" for ix in dataset.describe_indices()
        )

    def search(
        self, query: str, vector: np.ndarray, k: int, filters: Filters, depth: int | None = None
    ) -> list[Hit]:
        """Vector and full-text top-`depth` lists fused with reciprocal-rank fusion."""
        dataset = self.dataset()
        if dataset is None:
            return []
        depth = depth or max(k * 4, 20)
        where = where_clause(filters)
        common: dict[str, Any] = {"filter": where, "prefilter": True} if where else {}
        vec_rows = dataset.to_table(
            columns=[*_COLUMNS, "_distance"],
            nearest={
                "column": "vector",
                "q": vector,
                "k": depth,
                "metric": "cosine",
                "nprobes": 20,
                "ef": max(depth * 2, 64),
            },
            **common,
        ).to_pylist()
        fts_rows: list[dict[str, Any]] = []
        if query.strip() and self.has_fts():
            fts_rows = dataset.to_table(
                columns=[*_COLUMNS, "_score"], full_text_query=query, limit=depth, **common
            ).to_pylist()
        return fuse({"vector": vec_rows, "fts": fts_rows}, k)


def fuse(ranked: dict[str, list[dict[str, Any]]], k: int) -> list[Hit]:
    """Reciprocal-rank fusion of several ranked row lists (ties broken by chunk id)."""
    hits: dict[str, Hit] = {}
    for name, rows in ranked.items():
        for rank, row in enumerate(rows, start=1):
            hit = hits.get(row["chunk_id"])
            if hit is None:
                hit = hits[row["chunk_id"]] = Hit(
                    chunk_id=row["chunk_id"],
                    source=row["source"],
                    kind=row["kind"],
                    text=row["text"],
                    line_start=row["line_start"],
                    line_end=row["line_end"],
                    msg_ids=list(row["msg_ids"] or []),
                    date_start=row["date_start"],
                    date_end=row["date_end"],
                    participants=list(row["participants"] or []),
                    score=0.0,
                )
            hit.score += 1.0 / (RRF_K + rank)
            hit.ranks[name] = rank
    return sorted(hits.values(), key=lambda h: (-h.score, h.chunk_id))[:k]
