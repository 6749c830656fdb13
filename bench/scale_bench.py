"""The 1M-chunk run in both stores: `python bench/scale_bench.py --chunks 1000000`.

Synthetic chat and doc chunks (query_bench's generator) go into LanceDB and into PostgreSQL with
pgvector (a throwaway server from `pgserver`, in bench/.data), each store in a process of its
own so that its peak RSS is its own. The vectors are cached, not embedded: each mixes two real
MiniLM vectors of a pool of 1,000 chunk texts plus noise (random unit vectors are the worst
case for an ANN index, this is closer to real text). The embedding share of a real run is
estimated from the embedder's measured rate on 2,000 of the chunks.

Prints per store: write and index-build time, the estimated embedding share, peak RSS, hybrid
query p50/p95 over 200 queries, ANN recall@10 against exact search (a blockwise numpy scan in a
separate process), and disk use. Targets (issue 19): LanceDB p95 <= 40 ms with recall@10 >=
0.90, pgvector p95 <= 60 ms, peak RSS <= 2 GiB for either.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.index.embedder import create_embedder
from chatx.index.store import Filters, VectorStore
from chatx.models import Chunk
from common import DATA, line, peak_rss_mb, percentiles
from query_bench import POOL, synthetic_chunk
from synth import message_text

BATCH = 20_000
QUERIES = 200
SAMPLE = 2_000  # chunks embedded for real, to estimate the embedding share


def folder(count: int) -> Path:
    """Where this size's cached vectors, queries and exact neighbours live."""
    return DATA / f"scale-{count}"


def chunk_batches(count: int) -> Iterator[list[Chunk]]:
    """The synthetic chunks, in write batches (the same ones on every run)."""
    rng = random.Random(3)
    for first in range(0, count, BATCH):
        yield [synthetic_chunk(rng, i) for i in range(first, min(count, first + BATCH))]


def vectors(count: int) -> np.ndarray:
    """The cached vectors (a memory map), made on first use."""
    path = folder(count) / "vectors.npy"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        embedder = create_embedder("onnx")
        rng = random.Random(3)
        pool = embedder.embed([synthetic_chunk(rng, i).text for i in range(POOL)])
        out = np.lib.format.open_memmap(path, "w+", np.float32, (count, pool.shape[1]))
        mix = np.random.default_rng(5)
        for first in range(0, count, 100_000):
            n = min(count, first + 100_000) - first
            weight = mix.uniform(0.5, 0.9, size=(n, 1))
            noise = mix.normal(0, 0.05, size=(n, pool.shape[1]))
            block = weight * pool[(np.arange(n) + first) % POOL]
            block += (1 - weight) * pool[mix.integers(0, POOL, size=n)] + noise
            out[first : first + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
        out.flush()
        del out
    return np.load(path, mmap_mode="r")


def queries(count: int) -> tuple[list[str], np.ndarray]:
    """The query texts and their real embeddings (cached)."""
    path = folder(count) / "queries.json"
    if not path.exists():
        rng = random.Random(9)
        texts = [message_text(rng).split("\n")[0] for _ in range(QUERIES)]
        embedded = create_embedder("onnx").embed(texts)
        path.write_text(json.dumps({"texts": texts, "vectors": embedded.tolist()}))
    data = json.loads(path.read_text())
    return data["texts"], np.asarray(data["vectors"], dtype=np.float32)


def exact(count: int) -> list[set[str]]:
    """Each query's exact top-10 chunk ids (computed once, blockwise, in this process)."""
    path = folder(count) / "exact.json"
    if not path.exists():
        _, qvecs = queries(count)
        stored = vectors(count)
        best = np.full((len(qvecs), 10), -2.0, dtype=np.float32)
        ids = np.zeros((len(qvecs), 10), dtype=np.int64)
        for first in range(0, count, 100_000):
            scores = np.asarray(stored[first : first + 100_000]) @ qvecs.T  # (block, queries)
            both = np.concatenate([best, scores.T], axis=1)
            both_ids = np.concatenate(
                [
                    ids,
                    np.broadcast_to(
                        np.arange(first, first + len(scores)), (len(qvecs), len(scores))
                    ),
                ],
                axis=1,
            )
            top = np.argpartition(-both, 10, axis=1)[:, :10]
            best = np.take_along_axis(both, top, axis=1)
            ids = np.take_along_axis(both_ids, top, axis=1)
        names = [[f"{'d' if i % 5 == 4 else 'c'}{i}" for i in row] for row in ids.tolist()]
        path.write_text(json.dumps(names))
    return [set(row) for row in json.loads(path.read_text())]


def open_bench_store(kind: str, count: int) -> tuple[VectorStore, Path | None, object]:
    """A fresh store of `kind` (and, for pgvector, the server to stop afterwards)."""
    root = folder(count) / kind
    shutil.rmtree(root, ignore_errors=True)
    if kind == "lancedb":
        from chatx.index.lance import LanceStore

        return LanceStore(root / "lancedb"), root, None
    import pgserver
    import psycopg

    from chatx.index.pgvector import PgDatabase, PgStore

    root.mkdir(parents=True)
    server = pgserver.get_server(root / "pg", cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        # the graph of 1M vectors must fit, or the build pages to disk (server memory, not ours)
        conn.execute("ALTER SYSTEM SET maintenance_work_mem = '3GB'")
        conn.execute("ALTER SYSTEM SET max_parallel_maintenance_workers = 1")
        conn.execute("SELECT pg_reload_conf()")
    return PgStore(PgDatabase.of(server.get_uri()), "scale"), None, server


def disk_mb(store: VectorStore, root: Path | None) -> float:
    """Bytes the store takes on disk, in MiB."""
    if root is not None:
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20
    from chatx.index.pgvector import PgStore

    assert isinstance(store, PgStore)
    with store.database.connection() as conn:
        row = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
            " WHERE c.relname LIKE 'chatx_%' AND c.relkind = 'r'"
        ).fetchone()
    return float(row[0]) / 2**20


def one_store(kind: str, count: int) -> None:
    """Index `count` chunks into a fresh store of `kind`, then query it; print the figures."""
    stored = vectors(count)
    texts, qvecs = queries(count)
    truth = exact(count)
    store, root, server = open_bench_store(kind, count)
    try:
        started = time.perf_counter()
        written = 0
        for batch in chunk_batches(count):
            store.replace_sources([], batch, np.asarray(stored[written : written + len(batch)]))
            written += len(batch)
        write_s = time.perf_counter() - started
        started = time.perf_counter()
        store.finalize()
        build_s = time.perf_counter() - started
        for text, vec in zip(texts[:10], qvecs[:10], strict=True):  # warm caches
            store.search(text, vec, 10, Filters())
        hybrid, recall = [], []
        for text, vec, want in zip(texts, qvecs, truth, strict=True):
            started = time.perf_counter()
            store.search(text, vec, 10, Filters())
            hybrid.append((time.perf_counter() - started) * 1000)
            ann = store.search("", vec, 10, Filters())
            recall.append(len(want & {hit.chunk_id for hit in ann}) / 10)
        embed_s = estimated_embedding_s(count)
        print(f"# scale_bench {kind}: {store.count()} chunks ({store.describe()})")
        line("write (batches of 20k, no embedding)", f"{write_s:.0f} s")
        line("index build (FTS, scalar, ANN/HNSW)", f"{build_s:.0f} s")
        total = write_s + build_s + embed_s
        line(
            "embedding share of a real run (estimated)",
            f"{100 * embed_s / total:.1f} % of {total / 60:.0f} min",
            floor=f"embedding ~{embed_s / 60:.0f} min at the measured rate",
        )
        line("peak RSS (this process)", f"{peak_rss_mb():.0f} MiB", target="target <= 2048 MiB")
        p50, p95 = percentiles(hybrid)
        target = "target p95 <= 40 ms" if kind == "lancedb" else "target p95 <= 60 ms"
        line("hybrid query", f"p50 {p50:.1f} ms / p95 {p95:.1f} ms", target=target)
        line("ANN recall@10 vs exact", f"{np.mean(recall):.3f}", target="LanceDB target >= 0.90")
        line("disk", f"{disk_mb(store, root):.0f} MiB")
    finally:
        if server is not None:
            from chatx.index.pgvector import close_all

            close_all()
            server.cleanup()  # type: ignore[attr-defined]


def estimated_embedding_s(count: int) -> float:
    """Seconds the production embedder would take for `count` chunks, from a sample's rate."""
    sample = next(chunk_batches(min(count, SAMPLE)))[:SAMPLE]
    embedder = create_embedder("onnx")
    embedder.embed([c.text for c in sample[:64]])  # warm up
    started = time.perf_counter()
    embedder.embed([c.text for c in sample])
    return (time.perf_counter() - started) / len(sample) * count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--store", choices=["lancedb", "pgvector", "both"], default="both")
    args = parser.parse_args()
    if args.store != "both":
        one_store(args.store, args.chunks)
        return
    vectors(args.chunks)
    queries(args.chunks)
    exact(args.chunks)  # here, before the stores' processes measure their memory
    for kind in ("lancedb", "pgvector"):
        command = [sys.executable, __file__, "--chunks", str(args.chunks), "--store", kind]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
