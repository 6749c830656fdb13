"""Incremental indexing of a workspace: walk, parse, chunk, embed, store, then commit the catalog.

Crash safety: a file's catalog row changes only after its rows are in the store, and the store
replaces a file's rows by deleting then adding them, so a run killed at any point is redone by
the next run with no duplicate and no missing rows (tests/unit/test_indexer.py kills one).
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chatx import CATALOG, STATE_DIR
from chatx.chunking import MAX_CHARS_PER_TOKEN, ChunkSettings, iter_chat_chunks, iter_doc_chunks
from chatx.config import Settings
from chatx.formats import HEAD_BYTES, STREAMED, binary_kind
from chatx.index.catalog import Catalog, FileRecord, IndexCatalog
from chatx.index.embedder import Embedder, EmbedderSpec, Tokenizer, create_embedder
from chatx.index.lance import LanceStore
from chatx.index.store import VectorStore
from chatx.index.walker import Entry, walk, walk_paths
from chatx.ingest import Extracted, extract
from chatx.models import Chunk, IndexSummary, Problem
from chatx.problems import ChatxError, ProblemCode, make_problem

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
# Bump when parsers or chunk layout change, so existing indexes are rebuilt.
PIPELINE_VERSION = 2
SKIP_CODES = {ProblemCode.UNSUPPORTED_FORMAT.value, ProblemCode.INVALID_INPUT.value}


def state_dir(workspace: Path) -> Path:
    """Where a workspace's index lives."""
    return workspace / STATE_DIR


def open_store(workspace: Path, settings: Settings) -> VectorStore:
    """The store of a workspace's index: LanceDB in its state folder, or its part of a shared
    PostgreSQL database (`vectorStore`, ADR 0017)."""
    index = settings.index
    if index.vector_store == "pgvector":
        from chatx.index.pgvector import PgDatabase, PgStore

        return PgStore(
            PgDatabase.of(index.pg_url),
            workspace_name(workspace, settings),
            ann_threshold=index.ann_threshold,
            question_vector_weight=index.question_vector_weight,
        )
    return LanceStore(
        state_dir(workspace) / "lancedb",
        ann_threshold=index.ann_threshold,
        question_vector_weight=index.question_vector_weight,
    )


def open_catalog(workspace: Path, settings: Settings) -> IndexCatalog:
    """The catalog beside the workspace's store."""
    if settings.index.vector_store == "pgvector":
        from chatx.index.pgvector import PgCatalog, PgDatabase

        return PgCatalog(PgDatabase.of(settings.index.pg_url), workspace_name(workspace, settings))
    return Catalog(state_dir(workspace) / CATALOG)


def workspace_name(workspace: Path, settings: Settings) -> str:
    """The workspace's name in a shared database (`pgWorkspace`, else its folder's name)."""
    return settings.index.pg_workspace or workspace.resolve().name


@contextmanager
def index_lock(workspace: Path, settings: Settings) -> Iterator[None]:
    """One index run per workspace at a time: a lock file here, and with pgvector the
    workspace's advisory lock too, which holds across machines."""
    with writer_lock(state_dir(workspace)):
        if settings.index.vector_store != "pgvector":
            yield
            return
        from chatx.index.pgvector import PgDatabase, workspace_lock

        database = PgDatabase.of(settings.index.pg_url)
        with workspace_lock(database, workspace_name(workspace, settings)):
            yield


@contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """One writer per workspace: a second `chatx index` (or the daemon) waits its turn.

    LanceDB commits from two writers conflict in `optimize()`; serialising them is simpler and
    safer than retrying.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"  # the index holds chat text: never committed by `git add -A`
    if not ignore.exists():
        ignore.write_text("# ChatX's index of this workspace (chat text): keep it out of git\n*\n")
    with open(folder / "index.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pipeline_id(settings: Settings) -> str:
    """Everything that shapes the stored rows; a change means a rebuild."""
    return (
        f"{EmbedderSpec(settings.index.embedder).model_id}|turns={settings.index.window_turns}"
        f"|overlap={settings.index.overlap_turns}|tokens={settings.index.chat_window_tokens}"
        f"|min_turns={settings.index.min_window_turns}|pipeline=v{PIPELINE_VERSION}"
    )


def _read(entry: Entry) -> tuple[bytes | None, str]:
    """A file's bytes and SHA-256, in one open; a database or zip is only hashed (its reader
    streams it)."""
    try:
        with entry.absolute.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            if binary_kind(head) in STREAMED:
                handle.seek(0)
                return None, hashlib.file_digest(handle, "sha256").hexdigest()
            data = head + handle.read()
            return data, hashlib.sha256(data).hexdigest()
    except OSError as exc:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT, f"cannot read file: {exc.strerror}", entry.path
        ) from exc


def _within(path: str, entry: str) -> bool:
    """True when `path` is the entry itself or lies below it (a directory entry ends in /)."""
    return path == entry or entry == "./" or (entry.endswith("/") and path.startswith(entry))


@dataclass
class _Parsed:
    entry: Entry
    record: FileRecord
    chunks: list[Chunk] = field(default_factory=list)


@dataclass
class Indexer:
    """Brings a workspace's index up to date with its files.

    `optimize=False` skips the compaction and index refresh after a run (new rows are
    searchable without it); the daemon uses it for live updates and calls `maintain()` when
    the workspace goes quiet. Setting `cancel` stops a run after the current file; what was
    committed stays and the next run picks up the rest.
    """

    workspace: Path
    settings: Settings
    embedder: Embedder | None = None
    progress: Progress | None = None
    optimize: bool = True
    cancel: threading.Event | None = None
    paths: frozenset[Path] | None = None  # only look at these (changed) paths, not the tree
    _tokens: Tokenizer | None = None
    embed_seconds: float = 0.0
    changed_sources: set[str] = field(default_factory=set)
    cancelled: bool = False

    def run(self) -> IndexSummary:
        """Index what changed since the last run and return the summary."""
        started = time.perf_counter()
        root = self.workspace.resolve()
        with index_lock(root, self.settings):
            return self._locked_run(root, started)

    def maintain(self) -> None:
        """Compact the store and fold new rows into its indices."""
        root = self.workspace.resolve()
        with index_lock(root, self.settings):
            store = open_store(root, self.settings)
            if store.exists():
                store.finalize()

    def _locked_run(self, root: Path, started: float) -> IndexSummary:
        catalog = open_catalog(root, self.settings)
        store = open_store(root, self.settings)
        spec = EmbedderSpec(self.settings.index.embedder)
        pipeline = pipeline_id(self.settings)
        if catalog.get_meta("pipeline") not in (None, pipeline):
            log.info("model, chunking or parsers changed: rebuilding the index")
            store.reset()
            catalog.clear()
        catalog.set_meta("pipeline", pipeline)
        catalog.set_meta("embedder", spec.model_id)
        summary = IndexSummary(
            workspace=str(root),
            files_indexed=0,
            files_unchanged=0,
            files_failed=0,
            messages=0,
            chunks=0,
            seconds=0.0,
            problems=[],
        )
        summary.repairs = store.repair(compact=self.optimize)
        for repair in summary.repairs:
            log.warning("index repaired: %s", repair)
        try:
            self._run(root, catalog, store, summary)
        finally:
            catalog.close()
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary

    def _run(
        self, root: Path, catalog: IndexCatalog, store: VectorStore, summary: IndexSummary
    ) -> None:
        known = catalog.all()
        todo, skipped, dropped = self._plan(root, known, summary)
        if dropped:
            store.delete_sources(dropped)
            self.changed_sources.update(dropped)
            catalog.remove([path for path in dropped if path not in skipped])
        catalog.save(list(skipped.values()))
        changed = bool(dropped)
        batch: list[_Parsed] = []
        for done, entry in enumerate(todo, start=1):
            if self.cancel is not None and self.cancel.is_set():
                self.cancelled = True
                break
            parsed = self._parse(entry, known.get(entry.path), summary)
            if parsed is None:
                summary.files_unchanged += 1
                catalog.save([self._touch(known[entry.path], entry)])
            else:
                batch.append(parsed)
            if sum(len(p.chunks) for p in batch) >= self.settings.index.batch_chunks:
                changed |= self._commit(batch, catalog, store, summary)
                batch = []
            if self.progress:
                self.progress(done, len(todo), entry.path)
        changed |= self._commit(batch, catalog, store, summary)
        if (changed and self.optimize) or (store.exists() and not store.has_fts()):
            store.finalize()

    def _plan(
        self, root: Path, known: dict[str, FileRecord], summary: IndexSummary
    ) -> tuple[list[Entry], dict[str, FileRecord], list[str]]:
        """Files to (re)parse, files to record as skipped, and paths whose rows must go."""
        cap = int(self.settings.index.max_file_mb * 1024 * 1024)
        if self.paths is None:
            entries = list(walk(root, cap))
            seen = {e.path for e in entries}
            dropped = [path for path in known if path not in seen]
        else:
            entries = list(walk_paths(root, self.paths, cap))
            seen = {e.path for e in entries}
            asked = [p.relative_to(root).as_posix() for p in self.paths if root in p.parents]
            dropped = [
                path
                for path in known
                if path not in seen and any(path == a or path.startswith(a + "/") for a in asked)
            ]
        # What sits in an unreadable folder (or is an unreadable file) keeps its rows.
        unreadable = [e.path for e in entries if e.code == ProblemCode.INVALID_INPUT]
        dropped = [p for p in dropped if not any(_within(p, u) for u in unreadable)]
        todo: list[Entry] = []
        skipped: dict[str, FileRecord] = {}
        for entry in entries:
            old = known.get(entry.path)
            if entry.code == ProblemCode.INVALID_INPUT:
                summary.problems.append(make_problem(entry.code, str(entry.skip), entry.path))
            elif entry.skip:
                if old and old.indexed_hash:
                    dropped.append(entry.path)
                skipped[entry.path] = FileRecord(
                    entry.path, None, "skipped", entry.size, entry.mtime_ns, None, None
                )
            elif old and (old.size, old.mtime_ns) == (entry.size, entry.mtime_ns):
                summary.files_unchanged += 1
            else:
                todo.append(entry)
        return todo, skipped, dropped

    def _parse(self, entry: Entry, old: FileRecord | None, summary: IndexSummary) -> _Parsed | None:
        try:
            data, digest = _read(entry)
        except ChatxError as exc:
            record = FileRecord(entry.path, None, "skipped", entry.size, entry.mtime_ns, None, None)
            return self._failed(entry, old, record, exc.problem, summary)
        if old and old.seen_hash == digest:
            return None
        record = FileRecord(entry.path, None, "indexed", entry.size, entry.mtime_ns, digest, digest)
        try:
            result = extract(
                entry.absolute, entry.path, self.settings.index.zone(), data=data, stream=True
            )
        except ChatxError as exc:
            return self._failed(entry, old, record, exc.problem, summary)
        except Exception as exc:  # a parser bug must not stop the run
            log.exception("parser crashed on %s", entry.path)
            problem = make_problem(ProblemCode.INTERNAL, f"parser crashed: {exc!r}", entry.path)
            return self._failed(entry, old, record, problem, summary)
        record.format = result.format
        tokens = self._tokenizer()
        index = self.settings.index
        chunk_settings = ChunkSettings(
            index.window_turns,
            index.overlap_turns,
            index.chat_window_tokens,
            min_window_turns=index.min_window_turns,
        )
        try:
            chunks = self._chunks(result, entry.path, tokens, chunk_settings)
        except ChatxError as exc:  # a database that breaks while it is streamed
            return self._failed(entry, old, record, exc.problem, summary)
        except Exception as exc:  # one file's chunking failure must not stop the run
            log.exception("chunking failed on %s", entry.path)
            problem = make_problem(ProblemCode.INTERNAL, f"chunking failed: {exc!r}", entry.path)
            return self._failed(entry, old, record, problem, summary)
        if chunks is None:
            limit = self.settings.index.max_file_chunks
            detail = (
                f"over the cost budget: more than {limit} chunks (maxFileChunks); "
                "raise maxFileChunks to index it"
            )
            problem = make_problem(ProblemCode.INVALID_INPUT, detail, entry.path)
            return self._failed(entry, old, record, problem, summary)
        record.messages, record.chunks = result.message_count, len(chunks)
        record.problem = result.problems[0] if result.problems else None
        summary.problems.extend(result.problems)
        summary.files_indexed += 1
        summary.messages += record.messages
        summary.chunks += record.chunks
        return _Parsed(entry, record, chunks)

    def _chunks(
        self, result: Extracted, source: str, tokens: Tokenizer, settings: ChunkSettings
    ) -> list[Chunk] | None:
        """The file's chunks, or None when they would exceed the cost budget.

        A document whose text alone needs more chunks than the budget is refused before any
        tokenizing; otherwise chunks are made one at a time and counting stops at the budget.
        """
        limit = self.settings.index.max_file_chunks
        if result.kind == "chat":
            stream = iter_chat_chunks(result.iter_messages(), tokens, settings)
        else:
            chars = sum(len(line) for section in result.sections for line in section.lines)
            if chars > limit * settings.doc_chunk_tokens * MAX_CHARS_PER_TOKEN:
                return None
            stream = iter_doc_chunks(result.sections, source, tokens, settings, result.anchor)
        chunks = list(itertools.islice(stream, limit + 1))
        return chunks if len(chunks) <= limit else None

    def _failed(
        self,
        entry: Entry,
        old: FileRecord | None,
        record: FileRecord,
        problem: Problem,
        summary: IndexSummary,
    ) -> _Parsed:
        summary.problems.append(problem)
        record.problem = problem
        if old and old.indexed_hash and old.chunks:
            record.state, record.indexed_hash = "stale", old.indexed_hash
            record.format, record.messages, record.chunks = old.format, old.messages, old.chunks
            summary.files_failed += 1
        elif problem.code in SKIP_CODES:
            record.state, record.indexed_hash = "skipped", None
        else:
            record.state, record.indexed_hash = "failed", None
            summary.files_failed += 1
        return _Parsed(entry, record)

    def _commit(
        self, batch: list[_Parsed], catalog: IndexCatalog, store: VectorStore, summary: IndexSummary
    ) -> bool:
        if not batch:
            return False
        # A stale file keeps its last good rows; every other file's rows are replaced.
        replace = [p for p in batch if p.record.state != "stale"]
        try:
            self._store(replace, store)
        except Exception as exc:  # one file's embedding or storing must not stop the run
            if len(replace) > 1:
                log.warning("storing %d files failed (%r); retrying one by one", len(batch), exc)
                return any([self._commit([p], catalog, store, summary) for p in batch])
            self._store_failed(replace[0], store, exc, summary)
        catalog.save([p.record for p in batch])
        return bool(replace)

    def _store(self, replace: list[_Parsed], store: VectorStore) -> None:
        """Embed and store the files' chunks, a huge file in bounded slices; its catalog row
        changes only after the last one, so a run killed in between redoes the whole file."""
        if not replace:
            return
        chunks = [c for p in replace for c in p.chunks]
        sources = [p.entry.path for p in replace]
        step = self.settings.index.batch_chunks
        for first in range(0, max(1, len(chunks)), step):
            part = chunks[first : first + step]
            vectors = self._embed([c.text for c in part])
            store.replace_sources(sources if first == 0 else [], part, vectors)
        self.changed_sources.update(sources)

    def _store_failed(
        self, parsed: _Parsed, store: VectorStore, exc: Exception, summary: IndexSummary
    ) -> None:
        """Record a file whose chunks could not be embedded or stored as failed, rows removed."""
        path = parsed.entry.path
        log.exception("embedding or storing failed on %s", path, exc_info=exc)
        try:
            store.delete_sources([path])  # whatever part of it was written
            self.changed_sources.add(path)
        except Exception:
            log.exception("could not remove the partial rows of %s", path)
        record = parsed.record
        summary.files_indexed -= 1
        summary.files_failed += 1
        summary.messages -= record.messages
        summary.chunks -= record.chunks
        problem = make_problem(ProblemCode.INTERNAL, f"embedding failed: {exc!r}", path)
        summary.problems.append(problem)
        record.state, record.indexed_hash, record.problem = "failed", None, problem
        record.messages = record.chunks = 0
        record.size = record.seen_hash = None  # the next run tries it again

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.embedder is None:
            self.embedder = create_embedder(self.settings.index.embedder)
        started = time.perf_counter()
        vectors = self.embedder.embed(texts)
        self.embed_seconds += time.perf_counter() - started
        return vectors

    def _tokenizer(self) -> Tokenizer:
        if self._tokens is None:
            self._tokens = Tokenizer()
        return self._tokens

    @staticmethod
    def _touch(old: FileRecord, entry: Entry) -> FileRecord:
        old.size, old.mtime_ns = entry.size, entry.mtime_ns
        return old
