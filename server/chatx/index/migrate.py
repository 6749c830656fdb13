"""`chatx migrate --to pgvector|lancedb`: copy a workspace's index to the other store with its
vectors, so nothing is embedded again (ADR 0017)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from chatx.config import Settings
from chatx.index.indexer import index_lock, open_catalog, open_store
from chatx.problems import ChatxError, ProblemCode

StoreName = Literal["lancedb", "pgvector"]
META_KEYS = ("pipeline", "embedder")  # what the catalog records of how its rows were made


@dataclass(frozen=True)
class Migrated:
    """What a migration copied."""

    source: str
    target: str
    chunks: int
    files: int


def with_store(settings: Settings, store: StoreName) -> Settings:
    """`settings` with another `vectorStore`."""
    index = settings.index.model_copy(update={"vector_store": store})
    return settings.model_copy(update={"index": index})


def migrate(workspace: Path, settings: Settings, to: StoreName) -> Migrated:
    """Copy the index `settings` point at into store `to`: every chunk with its vector, the
    catalog and how the rows were made. What `to` held for this workspace is replaced; the
    source is left as it was. The workspace's index lock (here and in the database) is held
    throughout."""
    root = workspace.resolve()
    if settings.index.vector_store == to:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT,
            f"the index is already in {to} (vectorStore); nothing to migrate",
            str(root),
        )
    target_settings = with_store(settings, to)
    source, target = open_store(root, settings), open_store(root, target_settings)
    if not source.indexed():
        raise ChatxError.of(
            ProblemCode.NOT_INDEXED, f"no index in {source.describe()}; nothing to migrate"
        )
    shared = settings if settings.index.vector_store == "pgvector" else target_settings
    with index_lock(root, shared):  # the workspace's lock file, and the database's lock
        catalog, copy = open_catalog(root, settings), open_catalog(root, target_settings)
        try:
            target.reset()
            copy.clear()
            chunks = 0
            for batch, vectors in source.chunks():
                target.replace_sources([], batch, vectors)
                chunks += len(batch)
            records = list(catalog.all().values())
            copy.save(records)
            for key in META_KEYS:
                if (value := catalog.get_meta(key)) is not None:
                    copy.set_meta(key, value)
            target.finalize()
        finally:
            catalog.close()
            copy.close()
    return Migrated(source.describe(), target.describe(), chunks, len(records))
