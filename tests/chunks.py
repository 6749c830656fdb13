"""Doc chunks with random unit vectors, for tests of a store's ANN index."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from chatx.models import Chunk, ChunkMeta


def random_doc_chunks(
    count: int, source: Callable[[int], str], seed: int
) -> tuple[list[Chunk], np.ndarray]:
    """`count` one-line doc chunks `c0`, `c1`... from `source(i)`, and random unit vectors."""
    vectors = np.random.default_rng(seed).normal(size=(count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [
        Chunk(
            chunk_id=f"c{i}",
            doc_id=f"d{i}",
            kind="doc",
            text=f"note {i}",
            meta=ChunkMeta(source=source(i), line_start=1, line_end=2),
            content_hash=f"h{i}",
        )
        for i in range(count)
    ]
    return chunks, vectors
