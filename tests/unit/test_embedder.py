"""The ONNX embedder against the sentence-transformers reference on real corpus text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chatx.chunking import ChunkSettings, chunk_messages
from chatx.index.embedder import OnnxEmbedder, SentenceTransformerEmbedder
from chatx.ingest import extract


@pytest.fixture(scope="module")
def texts(corpus: Path, tokenizer) -> list[str]:  # type: ignore[no-untyped-def]
    path = corpus / "whatsapp" / "pustur_ios_group_2019_crlf.txt"
    chunks = chunk_messages(extract(path, "w.txt").messages, tokenizer, ChunkSettings())
    return [c.text for c in chunks] + ["how do we roll back a deploy?", "pizza"]


@pytest.mark.slow
def test_onnx_vectors_match_the_reference(texts: list[str], embedder) -> None:  # type: ignore[no-untyped-def]
    reference = SentenceTransformerEmbedder().embed(texts)
    fp32 = embedder.embed(texts)
    int8 = OnnxEmbedder("onnx-int8").embed(texts)
    assert fp32.shape == int8.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)
    assert float(np.min(np.sum(fp32 * reference, axis=1))) > 0.9999
    assert float(np.min(np.sum(int8 * reference, axis=1))) > 0.95
    # fp32 retrieval is the reference's: same neighbour ranking for each query
    for query in (-2, -1):
        assert list(np.argsort(-(reference[:-2] @ reference[query]))) == list(
            np.argsort(-(fp32[:-2] @ fp32[query]))
        )


def test_batching_and_order_do_not_change_vectors(texts: list[str], embedder) -> None:  # type: ignore[no-untyped-def]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts[:5]])
    assert np.allclose(together[:5], alone, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)
