"""`recall`: the observations closest in meaning to a query, with their entity and provenance.
Hybrid, like chunk search: cosine over the observations' vectors and FTS5 BM25 over their
words, fused by reciprocal rank. Vectors are filled in lazily (a write never waits for a
model) and kept in memory until the store changes."""

from __future__ import annotations

import threading

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from chatx.index.embedder import Embedder
from chatx.memory.store import MemoryStore

RRF_K = 60
CANDIDATES = 50


class Recalled(BaseModel):
    """One recalled fact: what it says, about whom, since when and from where."""

    model_config = ConfigDict(populate_by_name=True)

    entity: str
    entity_type: str = Field(alias="entityType")
    id: int
    text: str
    created: float
    source: str = Field(description="user, agent, an import, or a chat line path:line")
    score: float
    similarity: float | None = Field(
        default=None, description="Cosine to the query, when its meaning ranked it."
    )


class RecallResult(BaseModel):
    """What `recall` returns."""

    query: str
    results: list[Recalled]


class Recaller:
    """Ranks one store's current observations by meaning and words (thread-safe)."""

    def __init__(self, store: MemoryStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, 0), dtype=np.float32)

    def recall(self, query: str, k: int = 5) -> RecallResult:
        """The `k` best observations for `query`."""
        ids, matrix = self._vectors()
        ranked: dict[int, float] = {}
        cosine: dict[int, float] = {}
        if len(ids):
            similarity = matrix @ self.embedder.embed([query])[0]
            count = min(CANDIDATES, len(ids))
            best = np.argpartition(-similarity, count - 1)[:count]
            best = best[np.argsort(-similarity[best])]
            for rank, index in enumerate(best):
                ranked[int(ids[index])] = 1 / (RRF_K + rank + 1)
                cosine[int(ids[index])] = float(similarity[index])
        for rank, found in enumerate(self.store.keyword_hits(query, CANDIDATES)):
            ranked[found] = ranked.get(found, 0.0) + 1 / (RRF_K + rank + 1)
        top = sorted(ranked, key=lambda i: -ranked[i])[:k]
        facts = self.store.facts(top)
        results = [
            Recalled(
                entity=facts[i][0],
                entityType=facts[i][1],
                id=i,
                text=facts[i][2],
                created=facts[i][3],
                source=facts[i][4],
                score=round(ranked[i], 6),
                similarity=round(cosine[i], 4) if i in cosine else None,
            )
            for i in top
            if i in facts
        ]
        return RecallResult(query=query, results=results)

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The ids and vectors of the current facts, re-read only when the store changed (new
        facts are embedded first)."""
        with self._lock:
            if self.store.version() != self._version:
                self.store.embed_missing(self.embedder.embed, self.embedder.model_id)
                rows = self.store.vectors()
                self._ids = np.array([i for i, _ in rows], dtype=np.int64)
                flat = np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32)
                self._matrix = flat.reshape(len(rows), -1) if rows else flat.reshape(0, 0)
                self._version = self.store.version()
            return self._ids, self._matrix
