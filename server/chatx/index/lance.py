"""LanceDB store: writes and index management through `lancedb`, searches through `lance`.

Reads go through pylance (the lance core lancedb 0.40 is built on) because importing
`lancedb` costs ~2.5 s on this machine, more than a cold query may take (ADR 0002).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from chatx.config import DEFAULTS
from chatx.index.rows import COLUMNS, ROWS_FILE, ChunkRows
from chatx.index.store import (
    SCHEMA,
    Filters,
    Hit,
    chunk_of,
    conditions,
    fuse,
    hit_of,
    to_arrow,
)
from chatx.models import Chunk

os.environ.setdefault("LANCE_LOG", "error")
log = logging.getLogger(__name__)

TABLE = "chunks"
# ANN search: IVF partitions probed (40 of 250 at 1M chunks: recall@10 0.90), and candidates
# per result re-scored on full vectors (2: recall 0.93, +3 ms at p95); bench/scale_bench.py
# measures both at 1M (ADR 0017)
NPROBES = 40
REFINE_FACTOR: int | None = None
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chatx-search")
# Scalar indices that make the metadata prefilters cheap.
_SCALAR_INDICES = {
    "kind": "bitmap",
    "platform": "bitmap",
    "source": "btree",
    "participants_lc": "label_list",
    "date_start": "btree",
    "date_end": "btree",
}
_COLUMNS = list(COLUMNS)


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def where_clause(filters: Filters) -> str | None:
    """The SQL prefilter for `filters`, or None when nothing is filtered."""
    parts = [
        f"array_has({column}, {sql_str(value)})"
        if op == "has"
        else f"{column} {op} {sql_str(value)}"
        for column, op, value in conditions(filters)
    ]
    return " AND ".join(parts) or None


class LanceStore:
    """Chunks of one workspace in `<workspace>/.claude-context/lancedb/chunks.lance`.

    Their display columns are mirrored in `<workspace>/.claude-context/chunks.sqlite`
    (`ChunkRows`) so that a search reads its winners by primary key.
    """

    def __init__(
        self,
        db_dir: Path,
        ann_threshold: int = DEFAULTS.index.ann_threshold,
        read_consistency_interval: float = 1.0,
        question_vector_weight: float = DEFAULTS.index.question_vector_weight,
    ) -> None:
        self.db_dir = db_dir
        self.question_vector_weight = question_vector_weight
        self.uri = db_dir / f"{TABLE}.lance"
        self.rows = ChunkRows(db_dir.parent / ROWS_FILE)
        self.ann_threshold = ann_threshold
        self.read_consistency_interval = read_consistency_interval
        self._table: Any = None
        self._dataset: Any = None
        self._checked_at = 0.0
        self._has_fts = False
        self._fts_version: int | None = None
        self.nprobes = NPROBES
        self.refine_factor: int | None = REFINE_FACTOR

    def exists(self) -> bool:
        """True once the table has a committed version (a killed create leaves only a folder)."""
        versions = self.uri / "_versions"
        return versions.is_dir() and any(versions.iterdir())

    # -- writes (lancedb) -------------------------------------------------
    def repair(self, compact: bool = True) -> list[str]:
        """Put right what a killed run may have left, and say what was done.

        Checked: a table folder with no committed version, missing full-text or scalar
        indices, rows a run added but never folded into the text index, and a row mirror
        whose count disagrees with the table. Reads go through pylance, so a healthy index
        costs no `lancedb` import. `compact=False` (the daemon's live updates, which leave
        folding new rows in to `maintain`) skips the unindexed-rows check. The caller holds
        the writer lock.
        """
        if self.uri.exists() and not self.exists():
            shutil.rmtree(self.uri)
            self._table = self._dataset = None
            return ["removed a chunk table that a killed run left uncommitted"]
        self.refresh()
        dataset = self.dataset()
        if dataset is None:
            return []
        found = {ix.name for ix in dataset.describe_indices()}
        missing = sorted({"text_idx", *(f"{c}_idx" for c in _SCALAR_INDICES)} - found)
        repairs = [f"rebuilt missing indices: {', '.join(missing)}"] if missing else []
        if compact and not missing:
            unindexed = int(dataset.stats.index_stats("text_idx")["num_unindexed_rows"])
            if unindexed:
                noun = "row" if unindexed == 1 else "rows"
                repairs.append(f"compacted the table and indexed {unindexed} {noun} left out")
        if self.rows.count() != dataset.count_rows() and (
            doubled := self._drop_duplicates(dataset)
        ):
            repairs.append(f"removed {doubled} duplicate {'row' if doubled == 1 else 'rows'}")
            dataset = self.dataset()
        rows = int(dataset.count_rows())
        if repairs:
            self.finalize()
        elif self.rows.count() != rows:
            self._sync_rows(rows)
            repairs.append("rebuilt the chunk row mirror")
        return repairs

    def _drop_duplicates(self, dataset: Any) -> int:
        """Keep one row per chunk id (a chunk stored twice, as a file listed twice in one run
        once was, keeps the mirror a row short forever); the number of rows dropped."""
        ids = dataset.to_table(columns=["chunk_id"]).column("chunk_id").to_pylist()
        doubled = sorted({i for i, n in Counter(ids).items() if n > 1})
        if not doubled:
            return 0
        where = f"chunk_id IN ({', '.join(sql_str(i) for i in doubled)})"
        copies = dataset.to_table(filter=where)
        first: dict[str, int] = {}
        for index, chunk_id in enumerate(copies.column("chunk_id").to_pylist()):
            first.setdefault(chunk_id, index)
        table = self._writer()
        table.delete(where)
        table.add(copies.take(list(first.values())))
        self._dataset = None
        return int(copies.num_rows) - len(first)

    def _writer(self) -> Any:
        if self._table is None:
            import lancedb

            self.db_dir.mkdir(parents=True, exist_ok=True)
            db = lancedb.connect(str(self.db_dir))
            try:
                self._table = db.open_table(TABLE)
            except ValueError:  # not there yet
                self._table = db.create_table(TABLE, schema=SCHEMA)
            missing = [f for f in SCHEMA if f.name not in self._table.schema.names]
            if missing:  # a table an older ChatX made: its rows get the new columns as null
                self._table.add_columns(missing)
        return self._table

    def replace_sources(self, sources: list[str], chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Delete the sources' rows, then add the new ones; the catalog commits after both."""
        table = self._writer()
        if sources:
            table.delete(f"source IN ({', '.join(sql_str(s) for s in sources)})")
        if chunks:
            table.add(to_arrow(chunks, vectors))
        self.rows.replace(sources, chunks)
        self._dataset = None

    def delete_sources(self, sources: list[str]) -> None:
        """Remove every row of the given sources."""
        if sources and self.exists():
            self._writer().delete(f"source IN ({', '.join(sql_str(s) for s in sources)})")
            self._dataset = None
        self.rows.delete(sources)

    def reset(self) -> None:
        """Drop every row (used when the embedding model changes)."""
        if self.exists():
            import lancedb

            lancedb.connect(str(self.db_dir)).drop_table(TABLE)
        elif self.uri.exists():
            shutil.rmtree(self.uri)
        self.rows.clear()
        self._table = None
        self._dataset = None

    def finalize(self) -> None:
        """Compact, fold new rows into indices, and build missing FTS / ANN indices.

        Compaction comes first: after a first index build it would re-index every row again,
        which took 341 s and 3 GiB at 1M chunks (bench/scale_bench.py)."""
        from lancedb.index import FTS, Bitmap, BTree, LabelList

        configs = {"btree": BTree, "bitmap": Bitmap, "label_list": LabelList}
        table = self._writer()
        table.optimize(cleanup_older_than=timedelta(minutes=5))
        names = {ix.name: ix for ix in table.list_indices()}
        rows = table.count_rows()
        if "text_idx" not in names:
            table.create_index("text", config=FTS(with_position=False), name="text_idx")
        for column, kind in _SCALAR_INDICES.items():
            if f"{column}_idx" not in names:
                table.create_index(column, config=configs[kind](), name=f"{column}_idx")
        if "vector_idx" not in names and rows >= self.ann_threshold:
            partitions = max(1, int(np.sqrt(rows) / 4))
            table.create_index(
                metric="cosine",
                vector_column_name="vector",
                index_type="IVF_SQ",
                num_partitions=partitions,
                name="vector_idx",
            )
        self._dataset = None
        self._sync_rows(rows)

    def _sync_rows(self, rows: int) -> None:
        """Rebuild the row mirror when it disagrees with the table (a killed run, an old index)."""
        if self.rows.count() == rows:
            return
        log.info("rebuilding the chunk row mirror from %d lance rows", rows)
        self.rows.clear()
        dataset = self.dataset()
        if dataset is None:
            return
        for batch in dataset.to_batches(columns=columns_of(dataset), batch_size=4096):
            self.rows.put(batch.to_pylist())

    # -- reads (pylance) ---------------------------------------------------
    def dataset(self) -> Any:
        """The lance dataset, or None when nothing is indexed.

        A reader sees versions committed by other processes (another `chatx index`, the
        daemon) within `read_consistency_interval` seconds.
        """
        now = time.monotonic()
        if self._dataset is None:
            if self.exists():
                import lance

                self._dataset = lance.dataset(str(self.uri))
                self._checked_at = now
        elif now - self._checked_at >= self.read_consistency_interval:
            self._checked_at = now
            latest = self._dataset.latest_version
            if latest != self._dataset.version:
                self._dataset = self._dataset.checkout_version(latest)
        return self._dataset

    def chunks(self, batch: int = 4096) -> Iterator[tuple[list[Chunk], np.ndarray]]:
        """Every stored chunk with its vector, in batches (what `chatx migrate` copies)."""
        dataset = self.dataset()
        if dataset is None:
            return
        names = [f.name for f in SCHEMA if f.name in set(dataset.schema.names)]
        for found in dataset.to_batches(columns=names, batch_size=batch):
            records = found.to_pylist()
            if records:
                vectors = np.asarray([r["vector"] for r in records], dtype=np.float32)
                yield [chunk_of(r) for r in records], vectors

    def version(self) -> int | None:
        """The table's version as this reader sees it (None before the first commit)."""
        dataset = self.dataset()
        return int(dataset.version) if dataset is not None else None

    def indexed(self) -> bool:
        """Whether the workspace has an index to search."""
        return self.dataset() is not None

    def describe(self) -> str:
        """What the status shows of this store."""
        return f"lancedb ({self.db_dir})"

    def vocabulary(self) -> list[tuple[str, str, int]]:
        """`(term, kind, count)` over every stored chunk (`ChunkRows.vocabulary`)."""
        return self.rows.vocabulary()

    def participants(self) -> list[str]:
        """Display names of every chat participant in the stored chunks."""
        return self.rows.participants()

    def refresh(self) -> None:
        """Look for a newer version on the next read (after this process wrote one)."""
        self._checked_at = float("-inf")

    def count(self) -> int:
        """Number of chunks stored."""
        dataset = self.dataset()
        return int(dataset.count_rows()) if dataset is not None else 0

    def has_fts(self) -> bool:
        """True once the full-text index exists (looked up once per opened version)."""
        dataset = self.dataset()
        if dataset is None:
            return False
        if self._fts_version != dataset.version:
            self._has_fts = any(ix.name == "text_idx" for ix in dataset.describe_indices())
            self._fts_version = dataset.version
        return self._has_fts

    def search(
        self,
        query: str,
        vector: np.ndarray | Callable[[], np.ndarray] | None,
        k: int,
        filters: Filters,
        depth: int | None = None,
        question: bool = False,
    ) -> list[Hit]:
        """Vector and full-text top-`depth` ids, fused by reciprocal rank; then fetch the top k.

        The full-text search starts first, in a worker thread; meanwhile this thread embeds
        the query (when `vector` is a callable) and runs the vector search (lance releases
        the GIL). Both return ids only; only the k winners' columns are read. Without a vector
        (the embedder still loading) the search is full-text only.
        """
        dataset = self.dataset()
        if dataset is None:
            return []
        depth = depth or max(k * 4, 20)
        where = where_clause(filters)
        common: dict[str, Any] = {"filter": where, "prefilter": True} if where else {}
        fts_rows = None
        if query.strip() and self.has_fts():
            fts_rows = _pool.submit(
                dataset.to_table,
                columns=["chunk_id", "_score"],
                with_row_id=True,
                full_text_query=query,
                limit=depth,
                **common,
            )
        ranked: dict[str, list[str]] = {"vector": [], "fts": []}
        row_ids: dict[str, int] = {}
        similarity: dict[str, float] = {}
        if vector is not None:
            nearest = dataset.to_table(
                columns=["chunk_id", "_distance"],
                with_row_id=True,
                nearest={
                    "column": "vector",
                    "q": vector() if callable(vector) else vector,
                    "k": depth,
                    "metric": "cosine",
                    "nprobes": self.nprobes,
                    "ef": max(depth * 2, 64, depth * (self.refine_factor or 1)),
                    "refine_factor": self.refine_factor,
                },
                **common,
            )
            ranked["vector"] = nearest["chunk_id"].to_pylist()
            row_ids.update(zip(ranked["vector"], nearest["_rowid"].to_pylist(), strict=True))
            distances = nearest["_distance"].to_pylist()
            similarity = {c: 1.0 - d for c, d in zip(ranked["vector"], distances, strict=True)}
        if fts_rows is not None:
            found = fts_rows.result()
            ranked["fts"] = found["chunk_id"].to_pylist()
            row_ids.update(zip(ranked["fts"], found["_rowid"].to_pylist(), strict=True))
        weights = {"vector": self.question_vector_weight} if question else None
        hits = self._hits(dataset, fuse(ranked, k, weights), row_ids)
        for hit in hits:
            hit.similarity = similarity.get(hit.chunk_id)
        return hits

    def _hits(
        self,
        dataset: Any,
        ranked: list[tuple[str, float, dict[str, int]]],
        row_ids: dict[str, int],
    ) -> list[Hit]:
        """The winners' columns from the row mirror; any it lacks are read from lance by row id
        (valid within this one dataset version)."""
        if not ranked:
            return []
        rows = self.rows.get([chunk_id for chunk_id, _, _ in ranked])
        missing = [row_ids[chunk_id] for chunk_id, _, _ in ranked if chunk_id not in rows]
        if missing:
            rows.update((row["chunk_id"], row) for row in take_rows(dataset, missing).to_pylist())
        return [
            hit_of(row, score, ranks)
            for chunk_id, score, ranks in ranked
            if (row := rows.get(chunk_id)) is not None
        ]


def take_rows(dataset: Any, row_ids: list[int]) -> Any:
    """The given rows' display columns, read by row id."""
    wanted = ", ".join(str(row_id) for row_id in row_ids)
    return dataset.to_table(columns=columns_of(dataset), filter=f"_rowid IN ({wanted})")


def columns_of(dataset: Any) -> list[str]:
    """The display columns this table has (one built before `anchor` existed lacks it, until
    the next index run rebuilds it)."""
    names = set(dataset.schema.names)
    return [column for column in _COLUMNS if column in names]
