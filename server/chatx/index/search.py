"""Query service: embed the question, hybrid-search the store, shape citations."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from chatx import locator
from chatx.config import Settings
from chatx.index.embedder import Embedder, EmbedderSpec, create_embedder
from chatx.index.indexer import open_catalog, open_store
from chatx.index.questions import answer_hits, words
from chatx.index.store import Filters, Hit, VectorStore
from chatx.models import QueryCitation, QueryResult
from chatx.problems import ChatxError, ProblemCode

SNIPPET_CHARS = 240


def snippet(text: str, query: str, limit: int = SNIPPET_CHARS) -> str:
    """The line of `text` that shares most words with `query`, trimmed to `limit` chars."""
    terms = words(query)
    lines = [line for line in text.splitlines() if line.strip()] or [text]
    best = max(lines, key=lambda line: (len(terms & words(line)), min(len(line), 120)))
    best = best.strip()
    return best if len(best) <= limit else best[: limit - 1].rstrip() + "…"


@dataclass
class SearchService:
    """Answers queries against one workspace's index."""

    workspace: Path
    settings: Settings
    embedder: Embedder | None = None
    _store: VectorStore | None = None

    def store(self) -> VectorStore:
        """The workspace's store (opened once)."""
        if self._store is None:
            self._store = open_store(self.workspace.resolve(), self.settings)
        return self._store

    def _check_embedder(self) -> None:
        """Refuse to mix vector spaces: the index must have been built by this embedder."""
        catalog = open_catalog(self.workspace.resolve(), self.settings)
        try:
            built_with = catalog.get_meta("embedder")
        finally:
            catalog.close()
        wanted = EmbedderSpec(self.settings.index.embedder).model_id
        if built_with is not None and built_with != wanted:
            raise ChatxError.of(
                ProblemCode.NOT_INDEXED,
                f"the index was built with {built_with}, the settings ask for {wanted}; "
                "run `chatx index` to re-embed",
                str(self.workspace),
            )

    def loaded_embedder(self) -> Embedder:
        """The embedder, loaded on first use (after checking the index was built with it)."""
        if self.embedder is None:
            self._check_embedder()
            self.embedder = create_embedder(self.settings.index.embedder)
        return self.embedder

    def query(self, query: str, k: int = 8, filters: Filters | None = None) -> QueryResult:
        """Top-`k` cited chunks for `query`."""
        return query_result(query, lambda: self.search(query, k, filters, question=True))

    def search(
        self,
        query: str,
        k: int = 8,
        filters: Filters | None = None,
        lexical_only: bool = False,
        question: bool = False,
    ) -> list[Hit]:
        """Top-`k` hits for `query`; `lexical_only` skips the embedder (full-text search only).
        A `question` leans on its words (`questionVectorWeight`) and its candidates are
        re-ranked and merged into citations (`chatx.index.questions`); text to match (a hovered
        phrase, a paragraph for `/related`) counts meaning and words alike (ADR 0016)."""
        if not query.strip():
            raise ChatxError.of(ProblemCode.INVALID_INPUT, "the query is empty")
        store = self.store()
        if not store.indexed():
            raise ChatxError.of(
                ProblemCode.NOT_INDEXED,
                f"no index in {self.workspace}; run `chatx index` first",
                str(self.workspace),
            )
        vector = None
        if not lexical_only:
            vector = functools.cache(functools.partial(embed_query, self.loaded_embedder(), query))
        if not question:
            return store.search(query, vector, k, filters or Filters())

        def hybrid(narrowed: Filters, n: int) -> list[Hit]:
            return store.search(query, vector, n, narrowed, question=True)

        return answer_hits(query, hybrid, filters or Filters(), k)


def query_result(query: str, search: Callable[[], Sequence[Hit]]) -> QueryResult:
    """The `chatx query --json` contract: the hits `search()` returns for `query` as citations;
    `took_ms` is the time the search took."""
    started = time.perf_counter()
    hits = search()
    took = round((time.perf_counter() - started) * 1000, 2)
    return QueryResult(query=query, took_ms=took, citations=[to_citation(h, query) for h in hits])


def embed_query(embedder: Embedder, query: str) -> np.ndarray:
    """One query's vector."""
    vector: np.ndarray = embedder.embed([query])[0]
    return vector


def to_citation(hit: Hit, query: str) -> QueryCitation:
    """A search hit as a citation with a snippet."""
    return QueryCitation(
        chunk_id=hit.chunk_id,
        source=hit.source,
        line_start=hit.line_start,
        line_end=hit.line_end,
        msg_ids=hit.msg_ids,
        score=round(hit.score, 6),
        snippet=snippet(hit.text, query),
        kind=hit.kind,  # type: ignore[arg-type]
        date_start=_parse(hit.date_start),
        date_end=_parse(hit.date_end),
        anchor=hit.anchor,
        locator=locator.location(hit.source, hit.line_start, hit.line_end, hit.anchor),
    )


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
