"""The daemon of `chatx serve`: per-folder indexes kept current, search, the completion
vocabulary and the Policy Shield of one editor session. No LSP imports; the `lsp` package
adapts this to the protocol.

Threads do the CPU work (parsing, embedding, search); the asyncio side only schedules. Index
runs of a folder are serialised; a change that arrives during a run triggers one more run.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chatx.assistant import Assistant
from chatx.config import Settings
from chatx.daemon.vocab import Vocabulary
from chatx.daemon.watch import debounced_changes, owner
from chatx.index.embedder import Embedder, QueryCache, create_embedder
from chatx.index.indexer import Indexer, pipeline_id, state_dir
from chatx.index.search import SearchService, query_result
from chatx.index.status import workspace_status
from chatx.index.store import Filters, Found, Hit, VectorStore
from chatx.index.terms import term_kind
from chatx.llm.ledger import Ledger
from chatx.memory.derive import refresh
from chatx.memory.recall import Recaller
from chatx.memory.store import MemoryStore, memory_path, open_memory
from chatx.models import IndexSummary, QueryResult, StatusReport
from chatx.problems import ChatxError, ProblemCode
from chatx.shield import Shield, ShieldFactory
from chatx.shield.persons import lexicon_finder, unlisted_names

log = logging.getLogger(__name__)
MAINTAIN_AFTER_S = 30.0
# Rows written by live updates before a quiet folder is compacted and re-indexed: below this,
# searching the unindexed rows costs less than an `optimize()` of a large table.
MAINTAIN_ROWS = 2000
SHARED_POLL_S = 1.0  # how soon another machine's writes to a shared index reach the caches
IGNORE_FILES = {".gitignore", ".chatxignore"}


class RunObserver(Protocol):
    """Receives the progress of one index run; `report` is called from a worker thread."""

    def report(self, done: int, total: int, path: str) -> None:
        """`done` of `total` changed files processed; `path` is the latest."""
        ...


@dataclass
class Folder:
    """One workspace folder: its index, searcher and pending work."""

    root: Path
    settings: Settings
    search: SearchService = field(init=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cancel: threading.Event = field(default_factory=threading.Event)
    live: bool = False  # a live-update task is scheduled or running
    pending: set[Path] = field(default_factory=set)
    pending_all: bool = False
    maintenance: asyncio.TimerHandle | None = None
    unoptimized_rows: int = 0  # rows written by live updates since the last optimize
    memory_store: MemoryStore | None = None
    recall: Recaller | None = None

    def __post_init__(self) -> None:
        self.search = SearchService(self.root, self.settings)

    def store(self) -> VectorStore:
        """The folder's store, as its searcher reads it."""
        return self.search.store()

    def memory(self) -> MemoryStore:
        """The folder's memory (opened once, created on first use)."""
        if self.memory_store is None:
            self.memory_store = open_memory(self.root)
        return self.memory_store

    def existing_memory(self) -> MemoryStore | None:
        """The folder's memory, or None while it has none (this never creates one)."""
        if self.memory_store is None and memory_path(self.root).exists():
            return self.memory()
        return self.memory_store

    def recaller(self, embedder: Embedder | None) -> Recaller | None:
        """Recall over the folder's memory (kept, with its vectors, across requests); None
        while the folder has no memory or no embedder is loaded (blocking)."""
        memory = self.existing_memory()
        if self.recall is None and embedder is not None and memory is not None:
            self.recall = Recaller(memory, embedder)
        return self.recall


class Daemon:
    """Indexes, watches and searches every workspace folder of one editor session."""

    def __init__(self, roots: Sequence[Path], settings: Settings) -> None:
        self.settings = settings
        self.folders = [Folder(root.resolve(), settings) for root in roots]
        self.vocab = Vocabulary()
        self.embedder: Embedder | None = None
        self._embedder_ready = asyncio.Event()
        self._embedder_failure: str | None = None
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.on_indexed: Callable[[Folder, IndexSummary], None] | None = None
        self._shields = ShieldFactory()
        self._assistant: Assistant | None = None

    # -- lifecycle ---------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a background coroutine, keep a reference, log (never raise) its failure."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)

    async def load_embedder(self) -> None:
        """Load the embedding model in a thread; searches are full-text only until then."""
        try:
            embedder = await asyncio.to_thread(create_embedder, self.settings.index.embedder)
        except Exception as exc:
            self._embedder_failure = (
                f"the embedder {self.settings.index.embedder} cannot load: {exc}"
            )
            self._embedder_ready.set()  # nobody waits forever: `ready` raises the failure
            raise
        self._embedder_failure = None
        self.embedder = embedder
        queries = QueryCache(embedder)
        for folder in self.folders:
            folder.search.embedder = queries
        self._embedder_ready.set()
        log.info("embedder %s loaded", self.settings.index.embedder)

    async def load_names_lexicon(self) -> None:
        """Load the names lexicon the editor's diagnostics read, in a thread. The entity model
        (~280 MB, ~1.5 s) loads on the first redaction or preflight, so an idle daemon does not
        hold it; a model package that is not installed is reported now."""
        package = self.settings.shield.name_model
        if package:
            found = await asyncio.to_thread(lexicon_finder)
            problem = found.problem
            if problem is None and importlib.util.find_spec(package) is None:
                problem = f"the name model package {package} is not installed"
            if problem:
                log.warning("Policy Shield: %s; preflight will fail closed", problem)

    async def load_name_model(self) -> None:
        """Load the Shield's entity model and lexicon now, in a thread, rather than on the first
        redaction: for `chatx mcp`, whose every tool result and prompt context is gated."""
        package = self.settings.shield.name_model
        if package:
            await asyncio.to_thread(unlisted_names, package)

    async def load_vocabulary(self) -> None:
        """Load the participants and terms every folder's index has counted (in a thread)."""
        await asyncio.to_thread(self._load_vocabulary)

    def _load_vocabulary(self) -> None:
        entries: list[tuple[str, str, int]] = []
        for folder in self.folders:
            entries.extend(folder.store().vocabulary())
            if (memory := folder.existing_memory()) is not None:
                entries.extend((name, "entity", 1) for name, _ in memory.names())
        self.vocab.load(entries)

    def shield(self) -> Shield:
        """The Policy Shield for the indexed participants and the configured names, rebuilt
        when either changes. It may read the salt file: call it from a worker thread."""
        return self._shields.get(self.settings, self.vocab.participants())

    def assistant(self) -> Assistant:
        """The model-backed actions of this session (search over every folder, the session's
        shield, the first folder's ledger); rebuilt after a settings change."""
        if self._assistant is None:
            ledger = Ledger(state_dir(self.folders[0].root)) if self.folders else None
            self._assistant = Assistant(self.settings, self.search, self.shield, ledger)
        return self._assistant

    def update_settings(self, settings: Settings) -> bool:
        """Use new settings; True when the stored rows depend on what changed (re-index)."""
        old, self.settings = self.settings, settings
        if self._assistant is not None and old != settings:
            self.spawn(self._assistant.aclose(), "close assistant")
            self._assistant = None
        for folder in self.folders:
            folder.settings = settings
            folder.search.settings = settings
        if old.index.embedder != settings.index.embedder:
            self._embedder_ready.clear()
            self.embedder = None
            for folder in self.folders:
                folder.search.embedder = None
            self.spawn(self.load_embedder(), "reload embedder")
        return (
            pipeline_id(old) != pipeline_id(settings)
            or old.index.max_file_mb != settings.index.max_file_mb
        )

    async def follow_shared(self, interval: float = SHARED_POLL_S) -> None:
        """Reload the vocabulary when another machine writes a folder's shared index (a
        pgvector store): its version counter is read every `interval` seconds (ADR 0017)."""
        if self.settings.index.vector_store != "pgvector":
            return
        seen: dict[Path, int | None] = {}
        while not self._stop.is_set():
            for folder in self.folders:
                try:
                    version = await asyncio.to_thread(folder.store().version)
                except ChatxError as exc:
                    log.warning("shared index of %s: %s", folder.root, exc.problem.detail)
                    continue
                if folder.root in seen and seen[folder.root] != version:
                    await self.load_vocabulary()
                seen[folder.root] = version
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)

    async def shutdown(self) -> None:
        """Stop watching, cancel index runs, wait for background work to end."""
        self._stop.set()
        for folder in self.folders:
            folder.cancel.set()
            if folder.maintenance:
                folder.maintenance.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._assistant is not None:
            await self._assistant.aclose()
            self._assistant = None

    # -- indexing ----------------------------------------------------------
    async def index(
        self,
        folder: Folder,
        observer: RunObserver | None = None,
        optimize: bool = True,
        paths: frozenset[Path] | None = None,
    ) -> IndexSummary:
        """One incremental run over `folder`, or over just `paths` of it (waits for a running
        one to finish first)."""
        async with folder.lock:
            await self._embedder_ready.wait()
            folder.cancel.clear()
            indexer = Indexer(
                folder.root,
                self.settings,
                embedder=self.embedder,
                progress=observer.report if observer else None,
                optimize=optimize,
                cancel=folder.cancel,
                paths=paths,
            )
            summary = await asyncio.to_thread(indexer.run)
            folder.store().refresh()
            if indexer.changed_sources:
                await self.load_vocabulary()
                await asyncio.to_thread(refresh, folder.root, self.settings)
                folder.unoptimized_rows = (
                    0 if optimize else folder.unoptimized_rows + (summary.chunks)
                )
                if folder.unoptimized_rows >= MAINTAIN_ROWS:
                    self._schedule_maintenance(folder)
        if self.on_indexed:
            self.on_indexed(folder, summary)
        return summary

    def cancel_indexing(self) -> None:
        """Stop running index runs after their current file."""
        for folder in self.folders:
            folder.cancel.set()

    def changed(self, folder: Folder, paths: set[Path] | None = None) -> None:
        """Files of `folder` changed (`None`: anything may have): index them now, or right
        after the running run. A changed ignore file re-examines the whole folder."""
        if paths is None or any(p.name in IGNORE_FILES for p in paths):
            folder.pending_all = True
        else:
            folder.pending.update(paths)
        if not folder.live:
            folder.live = True
            self.spawn(self._live_run(folder), f"index {folder.root}")

    async def _live_run(self, folder: Folder) -> None:
        try:
            while not self._stop.is_set() and (folder.pending or folder.pending_all):
                paths = None if folder.pending_all else frozenset(folder.pending)
                folder.pending, folder.pending_all = set(), False
                await self.index(folder, optimize=False, paths=paths)
        finally:
            folder.live = False

    def _schedule_maintenance(self, folder: Folder) -> None:
        if folder.maintenance:
            folder.maintenance.cancel()
        loop = asyncio.get_running_loop()
        folder.maintenance = loop.call_later(
            MAINTAIN_AFTER_S, lambda: self.spawn(self._maintain(folder), "maintain")
        )

    async def _maintain(self, folder: Folder) -> None:
        async with folder.lock:
            indexer = Indexer(folder.root, self.settings, embedder=self.embedder)
            await asyncio.to_thread(indexer.maintain)
            folder.store().refresh()
            folder.unoptimized_rows = 0

    async def watch(self) -> None:
        """Re-index folders as their files change, until `shutdown`."""
        by_root = {folder.root: folder for folder in self.folders}
        quiet = self.settings.editor.watch_debounce_ms
        async for grouped in debounced_changes(list(by_root), quiet, self._stop):
            for root, paths in grouped.items():
                self.changed(by_root[root], paths)

    # -- reading -----------------------------------------------------------
    def search(
        self, query: str, k: int, filters: Filters | None = None, question: bool = False
    ) -> list[Found]:
        """Top-`k` hits over every indexed folder (blocking: call from a thread); full-text
        only while the embedder is not loaded. See `SearchService.search` for `question`."""
        lexical_only = self.embedder is None
        found: list[Found] = []
        for folder in self.folders:
            if not folder.store().indexed():
                continue
            hits = folder.search.search(query, k, filters, lexical_only, question)
            found.extend(Found(hit, folder.root) for hit in hits)
        found.sort(key=lambda item: -item.hit.score)
        return found[:k]

    def related(
        self, query: str, k: int, min_similarity: float, exclude: tuple[Path, int] | None = None
    ) -> list[Found]:
        """What hover shows: up to `k` hits that clear the similarity bar (blocking).

        A participant's name lists chunks they take part in. Otherwise a hit counts when its
        cosine similarity reaches `min_similarity`; a hit only full-text search found counts
        for identifier-shaped queries (and while the embedder is loading). The chunk that holds
        `exclude` (the hovered file and line) is left out: it is what the user is looking at.
        """
        participant = self.vocab.participant(query)
        filters = Filters(participant=participant) if participant else None
        identifier = term_kind(query) == "identifier"
        kept: list[Found] = []
        for item in self.search(query, k + 2, filters):
            hit = item.hit
            if exclude and item.path == exclude[0] and hit.line_start <= exclude[1] <= hit.line_end:
                continue
            lexical = "fts" in hit.ranks and (identifier or self.embedder is None)
            semantic = hit.similarity is not None and hit.similarity >= min_similarity
            if participant or lexical or semantic:
                kept.append(item)
        return kept[:k]

    def query(self, query: str, k: int = 8, filters: Filters | None = None) -> QueryResult:
        """The `chatx query --json` contract over every folder (blocking: call from a thread)."""
        if not any(folder.store().indexed() for folder in self.folders):
            raise ChatxError.of(ProblemCode.NOT_INDEXED, "nothing is indexed yet")

        def found() -> list[Hit]:
            return [item.hit for item in self.search(query, k, filters, question=True)]

        return query_result(query, found)

    async def ready(self) -> None:
        """Wait until the embedder is loaded; INTERNAL when it could not load."""
        await self._embedder_ready.wait()
        if self._embedder_failure is not None:
            raise ChatxError.of(ProblemCode.INTERNAL, self._embedder_failure)

    def is_ready(self) -> bool:
        """Whether the embedder is loaded."""
        return self._embedder_ready.is_set() and self._embedder_failure is None

    def status(self, folder: Folder) -> StatusReport:
        """The `chatx status --json` contract of one folder (blocking)."""
        return workspace_status(folder.root, self.settings)

    def folder_of(self, path: Path) -> Folder | None:
        """The folder a file belongs to (the deepest, for nested folders)."""
        root = owner(path, [folder.root for folder in self.folders])
        return next((folder for folder in self.folders if folder.root == root), None)
