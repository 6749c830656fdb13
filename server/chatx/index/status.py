"""What a workspace's index holds: `chatx status` (every file the walker sees, joined with what
the catalog recorded) and the chat participants of its chunks."""

from __future__ import annotations

from pathlib import Path

from chatx import CATALOG
from chatx.config import Settings
from chatx.index.indexer import open_catalog, open_store, state_dir
from chatx.index.rows import ROWS_FILE, ChunkRows
from chatx.index.walker import walk
from chatx.models import FileStatus, IndexLimits, StatusReport, StatusTotals
from chatx.problems import ProblemCode, make_problem


def workspace_status(workspace: Path, settings: Settings) -> StatusReport:
    """Status of each file; files the index has not seen yet are `stale` with NOT_INDEXED."""
    root = workspace.resolve()
    shared = settings.index.vector_store == "pgvector"
    catalog = (
        open_catalog(root, settings) if shared or (state_dir(root) / CATALOG).exists() else None
    )
    known = catalog.all() if catalog else {}
    embedder = catalog.get_meta("embedder") if catalog else None
    if catalog:
        catalog.close()
    files: list[FileStatus] = []
    for entry in walk(root, int(settings.index.max_file_mb * 1024 * 1024)):
        if entry.skip:
            files.append(
                FileStatus(
                    path=entry.path,
                    format=None,
                    state="skipped",
                    problem=make_problem(entry.code, entry.skip, entry.path),
                )
            )
            continue
        record = known.get(entry.path)
        if record is None or (record.size, record.mtime_ns) != (entry.size, entry.mtime_ns):
            files.append(
                FileStatus(
                    path=entry.path,
                    format=record.format if record else None,
                    state="stale",
                    messages=record.messages if record else 0,
                    chunks=record.chunks if record else 0,
                    problem=make_problem(
                        ProblemCode.NOT_INDEXED,
                        "changed or new since the last `chatx index`",
                        entry.path,
                    ),
                )
            )
            continue
        files.append(
            FileStatus(
                path=entry.path,
                format=record.format,
                state=record.state,  # type: ignore[arg-type]
                messages=record.messages,
                chunks=record.chunks,
                problem=record.problem,
            )
        )
    limits = IndexLimits(
        max_file_mb=settings.index.max_file_mb, max_file_chunks=settings.index.max_file_chunks
    )
    return StatusReport(
        workspace=str(root),
        files=files,
        totals=_totals(files),
        embedder=embedder,
        limits=limits,
        store=open_store(root, settings).describe(),
    )


def workspace_participants(workspace: Path, settings: Settings | None = None) -> list[str]:
    """Display names of the chat participants in a workspace's index (none before the first
    index run); `settings` say where the index is (LanceDB's row mirror when not given)."""
    if settings is not None and settings.index.vector_store == "pgvector":
        return open_store(workspace.resolve(), settings).participants()
    rows = ChunkRows(state_dir(workspace) / ROWS_FILE)
    try:
        return rows.participants()
    finally:
        rows.close()


def _totals(files: list[FileStatus]) -> StatusTotals:
    def count(state: str) -> int:
        return sum(1 for f in files if f.state == state)

    return StatusTotals(
        files=len(files),
        indexed=count("indexed"),
        stale=count("stale"),
        failed=count("failed"),
        skipped=count("skipped"),
        messages=sum(f.messages for f in files),
        chunks=sum(f.chunks for f in files),
    )
