"""The `VectorStore` protocol and the search request/hit types every backend shares."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from chatx import locator
from chatx.models import Chunk, ChunkMeta

DIM = 384
RRF_K = 60  # reciprocal rank fusion's constant, for every list fused


@dataclass(frozen=True)
class Filters:
    """Metadata prefilters applied before ranking."""

    kind: str | None = None
    platform: str | None = None
    participant: str | None = None
    since: date | None = None
    until: date | None = None
    path_glob: str | None = None

    @classmethod
    def of(cls, options: object) -> Filters:
        """The prefilters among `options`' attributes (the CLI's or a command's options)."""
        return cls(**{f.name: getattr(options, f.name, None) for f in dataclasses.fields(cls)})


@dataclass
class Hit:
    """A chunk found by search, with its fused score."""

    chunk_id: str
    source: str
    kind: str
    text: str
    line_start: int
    line_end: int
    msg_ids: list[str]
    date_start: str | None
    date_end: str | None
    participants: list[str]
    score: float
    ranks: dict[str, int] = field(default_factory=dict)
    similarity: float | None = None  # cosine to the query, when found by the vector search
    anchor: str | None = None  # what the line numbers count (chatx.locator)


@dataclass(frozen=True)
class Found:
    """A search hit and the workspace folder it belongs to."""

    hit: Hit
    root: Path

    @property
    def path(self) -> Path:
        """Absolute path of the cited file."""
        return self.root / self.hit.source

    @property
    def location(self) -> str:
        """`source:line`, `source:first-last`, or a row, page or zip member (chatx.locator)."""
        hit = self.hit
        return locator.location(hit.source, hit.line_start, hit.line_end, hit.anchor)

    def uri(self) -> str:
        """A `file://` URI that opens the cited line (or page)."""
        return self.path.as_uri() + locator.fragment(self.hit.line_start, self.hit.anchor)

    def context(self) -> str:
        """Kind, date range and participants, as one short line."""
        hit = self.hit
        parts = [hit.kind]
        if hit.date_start:
            day = hit.date_start[:10]
            end = (hit.date_end or hit.date_start)[:10]
            parts.append(day if end == day else f"{day} – {end}")
        if hit.participants:
            people = ", ".join(hit.participants[:4])
            parts.append(people + (" …" if len(hit.participants) > 4 else ""))
        return " · ".join(parts)


class VectorStore(Protocol):
    """Where a workspace's chunks and their vectors live: LanceDB (`lance.LanceStore`) or a
    shared PostgreSQL database (`pgvector.PgStore`). The indexer, search and the daemon see
    only this."""

    def exists(self) -> bool:
        """True once something was written."""
        ...

    def indexed(self) -> bool:
        """Whether there is an index to search."""
        ...

    def describe(self) -> str:
        """Which store this is and where, as the status shows it."""
        ...

    def replace_sources(self, sources: list[str], chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Replace every row of `sources` with these chunks."""
        ...

    def delete_sources(self, sources: list[str]) -> None:
        """Remove every row of `sources`."""
        ...

    def reset(self) -> None:
        """Drop every row (the embedding model or the chunking changed)."""
        ...

    def repair(self, compact: bool = True) -> list[str]:
        """Put right what a killed run left; what was done."""
        ...

    def finalize(self) -> None:
        """Build or refresh indices after a batch of writes."""
        ...

    def has_fts(self) -> bool:
        """Whether the full-text index exists."""
        ...

    def refresh(self) -> None:
        """See other writers' commits on the next read."""
        ...

    def version(self) -> int | None:
        """A number that changes with every commit (None before the first)."""
        ...

    def count(self) -> int:
        """Number of chunks stored."""
        ...

    def search(
        self,
        query: str,
        vector: np.ndarray | Callable[[], np.ndarray] | None,
        k: int,
        filters: Filters,
        depth: int | None = None,
        question: bool = False,
    ) -> list[Hit]:
        """Hybrid search: vector and full-text ranks fused by reciprocal rank."""
        ...

    def vocabulary(self) -> list[tuple[str, str, int]]:
        """`(term, kind, count)` over every stored chunk."""
        ...

    def participants(self) -> list[str]:
        """Display names of every chat participant stored."""
        ...

    def chunks(self, batch: int = 4096) -> Iterator[tuple[list[Chunk], np.ndarray]]:
        """Every stored chunk with its vector, in batches."""
        ...


def iso_utc(value: object) -> str | None:
    """A datetime as a sortable UTC string (`YYYY-MM-DDTHH:MM:SSZ`), None stays None."""
    from datetime import UTC, datetime

    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


SCHEMA = pa.schema(
    [
        pa.field("chunk_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("conv_id", pa.string()),
        pa.field("doc_id", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("line_start", pa.int32()),
        pa.field("line_end", pa.int32()),
        pa.field("platform", pa.string()),
        pa.field("participants", pa.list_(pa.string())),
        pa.field("participants_lc", pa.list_(pa.string())),
        pa.field("date_start", pa.string()),
        pa.field("date_end", pa.string()),
        pa.field("msg_ids", pa.list_(pa.string())),
        pa.field("heading_path", pa.list_(pa.string())),
        pa.field("content_hash", pa.string()),
        pa.field("anchor", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), DIM)),
    ]
)


def chunk_values(chunk: Chunk) -> tuple[Any, ...]:
    """A chunk's stored columns in SCHEMA's order, the vector left out."""
    meta = chunk.meta
    return (
        chunk.chunk_id,
        chunk.kind,
        meta.source,
        chunk.conv_id,
        chunk.doc_id,
        chunk.text,
        meta.line_start,
        meta.line_end,
        meta.platform,
        meta.participants,
        [p.casefold() for p in meta.participants],
        iso_utc(meta.date_start),
        iso_utc(meta.date_end),
        meta.message_ids,
        meta.heading_path,
        chunk.content_hash,
        meta.anchor,
    )


def to_arrow(chunks: list[Chunk], vectors: np.ndarray) -> pa.Table:
    """Chunks and their vectors as rows of SCHEMA."""
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())
    names = SCHEMA.names[:-1]  # the vector apart
    columns = list(zip(*map(chunk_values, chunks), strict=True)) or [()] * len(names)
    arrays: dict[str, Any] = dict(zip(names, columns, strict=True))
    arrays["vector"] = pa.FixedSizeListArray.from_arrays(flat, DIM)
    return pa.table(arrays, schema=SCHEMA)


def conditions(filters: Filters) -> list[tuple[str, str, str]]:
    """The prefilter of `filters` as `(column, operator, value)`; each store writes them in its
    own SQL (`has`: a list column holds the value)."""
    found: list[tuple[str, str, str]] = []
    if filters.kind:
        found.append(("kind", "=", filters.kind))
    if filters.platform:
        found.append(("platform", "=", filters.platform))
    if filters.participant:
        found.append(("participants_lc", "has", filters.participant.casefold()))
    if filters.since:
        found.append(("date_end", ">=", filters.since.isoformat()))
    if filters.until:
        found.append(("date_start", "<", (filters.until + timedelta(days=1)).isoformat()))
    if filters.path_glob:
        found.append(("source", "LIKE", glob_to_like(filters.path_glob)))
    return found


def hit_of(row: dict[str, Any], score: float, ranks: dict[str, int]) -> Hit:
    """A search winner from its display columns (`rows.COLUMNS`) and its fused score."""
    return Hit(
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
        score=score,
        ranks=ranks,
        anchor=row.get("anchor"),
    )


def chunk_of(row: dict[str, Any]) -> Chunk:
    """A stored row (SCHEMA's columns; the vector, when there, is left out) as its Chunk."""
    meta = ChunkMeta(
        source=row["source"],
        line_start=row["line_start"],
        line_end=row["line_end"],
        platform=row["platform"],
        participants=list(row["participants"] or []),
        date_start=row["date_start"],
        date_end=row["date_end"],
        message_ids=list(row["msg_ids"] or []),
        heading_path=list(row["heading_path"] or []),
        anchor=row.get("anchor"),
    )
    return Chunk(
        chunk_id=row["chunk_id"],
        conv_id=row["conv_id"],
        doc_id=row["doc_id"],
        kind=row["kind"],
        text=row["text"],
        meta=meta,
        content_hash=row["content_hash"],
    )


def glob_to_like(glob: str) -> str:
    """Translate a path glob (`*`, `**`, `?`) into a SQL LIKE pattern."""
    out = []
    for ch in glob.replace("**", "*"):
        if ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append({"*": "%", "?": "_"}.get(ch, ch))
    return "".join(out)


def fuse(
    ranked: dict[str, list[str]], k: int, weights: dict[str, float] | None = None
) -> list[tuple[str, float, dict[str, int]]]:
    """Reciprocal-rank fusion of ranked id lists: (id, score, rank per list), best first.

    `weights` scales what a rank in one list adds (1 for a list not named): for a question,
    the vector ranking counts `question_vector_weight` (ADR 0016).
    """
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for name, ids in ranked.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, chunk_id in enumerate(ids, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (RRF_K + rank)
            ranks.setdefault(chunk_id, {})[name] = rank
    best = sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id))[:k]
    return [(chunk_id, scores[chunk_id], ranks[chunk_id]) for chunk_id in best]
