"""The 1M-chunk run in both stores: `python bench/scale_bench.py --chunks 1000000`.

Synthetic chat and doc chunks (query_bench's generator) go into LanceDB and into PostgreSQL with
pgvector (a throwaway server from `pgserver`, in bench/.data), each store in a process of its
own so that its peak RSS is its own. The vectors are cached, not embedded: each mixes three
of 10,000 real MiniLM embeddings of chunk texts with random (Dirichlet) weights, plus a little
noise. Random unit vectors would be the worst case for any ANN index, and query_bench's 1,000
pool vectors make 1,000 tight clusters of near-duplicates at this size (recall 0.45 in
pgvector's HNSW, 0.78 in LanceDB's; ADR 0017). The embedding share of a real run is
estimated from the embedder's measured rate on 2,000 of the chunks.

Prints per store: write and index-build time, the estimated embedding share, peak RSS, hybrid
query p50/p95 over 200 queries, ANN recall@10 against exact search (a blockwise numpy scan in a
separate process), and disk use. Targets (issue 19): LanceDB p95 <= 40 ms with recall@10 >=
0.90, pgvector p95 <= 60 ms, peak RSS <= 2 GiB for either.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.index.embedder import create_embedder
from chatx.index.store import Filters, VectorStore
from chatx.models import Chunk
from common import DATA, line, peak_rss_mb, percentiles
from query_bench import synthetic_chunk
from synth import message_text

BATCH = 20_000
QUERIES = 200
SAMPLE = 2_000  # chunks embedded for real, to estimate the embedding share
POOL = 10_000  # real embeddings the cached vectors are mixed from


def folder(count: int) -> Path:
    """Where this size's cached vectors, queries and exact neighbours live."""
    return DATA / f"scale-{count}"


def chunk_batches(count: int) -> Iterator[list[Chunk]]:
    """The synthetic chunks, in write batches (the same ones on every run)."""
    rng = random.Random(3)
    for first in range(0, count, BATCH):
        yield [synthetic_chunk(rng, i) for i in range(first, min(count, first + BATCH))]


def vectors(count: int) -> np.ndarray:
    """The cached vectors (a memory map), made on first use: each mixes three of `POOL` real
    chunk embeddings with random weights, plus a little noise."""
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
            weights = mix.dirichlet((1.0, 1.0, 1.0), size=n)
            block = np.einsum("nk,nkd->nd", weights, pool[mix.integers(0, POOL, size=(n, 3))])
            block += mix.normal(0, 0.01, size=block.shape)
            out[first : first + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
        out.flush()
        del out
    return np.load(path, mmap_mode="r")


def vector_rows(count: int, first: int, n: int) -> np.ndarray:
    """Rows first..first+n of the cached vectors, read rather than mapped: pages of a memory
    map would count in the store process's RSS, which the real indexer never holds."""
    path = folder(count) / "vectors.npy"
    with path.open("rb") as f:
        header = np.lib.format
        if header.read_magic(f) == (1, 0):
            shape, _, dtype = header.read_array_header_1_0(f)
        else:
            shape, _, dtype = header.read_array_header_2_0(f)
        f.seek(f.tell() + first * shape[1] * dtype.itemsize)
        return np.fromfile(f, dtype=dtype, count=n * shape[1]).reshape(n, shape[1])


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


def open_bench_store(kind: str, count: int, reuse: bool) -> tuple[VectorStore, Path | None, object]:
    """A store of `kind`, fresh unless `reuse` (and, for pgvector, the server to stop)."""
    root = folder(count) / kind
    if not reuse:
        shutil.rmtree(root, ignore_errors=True)
    if kind == "lancedb":
        from chatx.index.lance import LanceStore

        return LanceStore(root / "lancedb"), root, None
    import pgserver
    import psycopg

    from chatx.index.pgvector import PgDatabase, PgStore

    root.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(root / "pg", cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        # the graph of 1M vectors must fit, or the build pages to disk (server memory, not ours)
        conn.execute("ALTER SYSTEM SET maintenance_work_mem = '4GB'")
        conn.execute("ALTER SYSTEM SET max_parallel_maintenance_workers = 1")
        conn.execute("SELECT pg_reload_conf()")
    return PgStore(PgDatabase.of(server.get_uri()), "scale"), None, server


class ServerMemory:
    """Peak RSS of a PostgreSQL server's processes, sampled twice a second."""

    def __init__(self, server: object) -> None:
        self.postmaster = psutil.Process(server.get_pid())  # type: ignore[attr-defined]
        self.peak_sum = self.peak_one = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            sizes = []
            for proc in [self.postmaster, *self.postmaster.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    sizes.append(proc.memory_info().rss)
            self.peak_sum = max(self.peak_sum, sum(sizes))
            self.peak_one = max(self.peak_one, max(sizes, default=0))

    def stop(self) -> str:
        """The peaks, in words."""
        self._stop.set()
        self._thread.join()
        return (
            f"largest process {self.peak_one / 2**20:.0f} MiB, all {self.peak_sum / 2**20:.0f} MiB"
        )


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


def measure(
    store: VectorStore, texts: list[str], qvecs: np.ndarray, truth: list[set[str]]
) -> tuple[list[float], list[float], float]:
    """Hybrid latencies (ms), ANN-only latencies (ms) and ANN recall@10 over the queries."""
    for text, vec in zip(texts[:10], qvecs[:10], strict=True):  # warm caches
        store.search(text, vec, 10, Filters())
    hybrid, ann, recall = [], [], []
    for text, vec, want in zip(texts, qvecs, truth, strict=True):
        started = time.perf_counter()
        store.search(text, vec, 10, Filters())
        hybrid.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        found = store.search("", vec, 10, Filters())
        ann.append((time.perf_counter() - started) * 1000)
        recall.append(len(want & {hit.chunk_id for hit in found}) / 10)
    return hybrid, ann, float(np.mean(recall))


def sweep(store: VectorStore, texts: list[str], qvecs: np.ndarray, truth: list[set[str]]) -> None:
    """The ANN's query-time knobs around the shipped values, for the record."""
    from chatx.index import pgvector
    from chatx.index.lance import LanceStore

    if isinstance(store, LanceStore):
        lance = store

        def knobs(*setting: Any) -> str:
            lance.nprobes, lance.refine_factor = setting
            return "nprobes {}, refine {}".format(*setting)

        shipped: tuple[Any, Any] = (lance.nprobes, lance.refine_factor)
        settings: list[tuple[Any, Any]] = [
            (n, r) for n in (8, 16, 32, 40, 48, 64) for r in (None, 2)
        ]
    else:
        assert isinstance(store, pgvector.PgStore)
        pg = store

        def knobs(*setting: Any) -> str:
            pg.ef_search, pgvector.MATCH_BUDGET = setting
            return "ef_search max(80, {}), budget {}".format(*setting)

        shipped = (pg.ef_search, pgvector.MATCH_BUDGET)
        settings = [(ef, shipped[1]) for ef in (64, 128, 256, 512, 1000)]
        settings += [(shipped[0], budget) for budget in (1_000, 2_000, 10_000)]
    for setting in settings:
        label = knobs(*setting)
        hybrid, ann, recall = measure(store, texts, qvecs, truth)
        line(
            f"  {label}",
            f"hybrid p95 {percentiles(hybrid)[1]:.1f} ms, ANN p95 "
            f"{percentiles(ann)[1]:.1f} ms, recall@10 {recall:.3f}",
        )
    knobs(*shipped)


def one_store(kind: str, count: int, reuse: bool) -> None:
    """Index `count` chunks into a fresh store of `kind` (or reuse one built before), then
    query it; print the figures."""
    vectors(count)
    texts, qvecs = queries(count)
    truth = exact(count)
    store, root, server = open_bench_store(kind, count, reuse)
    memory = ServerMemory(server) if server is not None else None
    try:
        built = reuse and store.exists() and store.count() == count
        print(f"# scale_bench {kind}: {count} chunks", flush=True)
        if built:
            print("# reusing the store built before: write and build times are not measured")
        else:
            started = time.perf_counter()
            written = 0
            for batch in chunk_batches(count):
                store.replace_sources([], batch, vector_rows(count, written, len(batch)))
                written += len(batch)
            write_s = time.perf_counter() - started
            line("write (batches of 20k, no embedding)", f"{write_s:.0f} s")
            started = time.perf_counter()
            store.finalize()
            build_s = time.perf_counter() - started
            line("index build (FTS, scalar, ANN/HNSW)", f"{build_s:.0f} s")
            embed_s = estimated_embedding_s(count)
            total = write_s + build_s + embed_s
            line(
                "embedding share of a real run (estimated)",
                f"{100 * embed_s / total:.1f} % of {total / 60:.0f} min",
                floor=f"embedding ~{embed_s / 60:.0f} min at the measured rate",
            )
        print(f"# {store.describe()}, {store.count()} chunks", flush=True)
        hybrid, ann, recall = measure(store, texts, qvecs, truth)
        line("peak RSS (this process)", f"{peak_rss_mb():.0f} MiB", target="target <= 2048 MiB")
        if memory is not None:
            from chatx.index import pgvector

            line("peak RSS (the PostgreSQL server)", memory.stop())
            with store.database.connection() as conn:  # type: ignore[attr-defined]
                ranked = sum(bool(store._lexemes(conn, text)) for text in texts)  # type: ignore[attr-defined]
            line(
                "queries with a full-text list",
                f"{ranked} of {len(texts)}",
                floor=f"the rest have no word in under {pgvector.MATCH_BUDGET} chunks",
            )
        p50, p95 = percentiles(hybrid)
        target = "target p95 <= 40 ms" if kind == "lancedb" else "target p95 <= 60 ms"
        line("hybrid query", f"p50 {p50:.1f} ms / p95 {p95:.1f} ms", target=target)
        p50, p95 = percentiles(ann)
        line("ANN-only query", f"p50 {p50:.1f} ms / p95 {p95:.1f} ms")
        line("ANN recall@10 vs exact", f"{recall:.3f}", target="LanceDB target >= 0.90")
        line("disk", f"{disk_mb(store, root):.0f} MiB")
        if root is not None:  # what a later run's optimize() leaves of the versions this made
            import lancedb

            table = lancedb.connect(str(root / "lancedb")).open_table("chunks")
            table.optimize(cleanup_older_than=timedelta(0))
            line("disk, once old versions are cleaned up", f"{disk_mb(store, root):.0f} MiB")
        print("# the ANN's query-time settings (the shipped ones above)", flush=True)
        sweep(store, texts, qvecs, truth)
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
    parser.add_argument(
        "--reuse", action="store_true", help="query the stores built by the last run again"
    )
    args = parser.parse_args()
    if args.store != "both":
        one_store(args.store, args.chunks, args.reuse)
        return
    vectors(args.chunks)
    queries(args.chunks)
    exact(args.chunks)  # here, before the stores' processes measure their memory
    for kind in ("lancedb", "pgvector"):
        command = [sys.executable, __file__, "--chunks", str(args.chunks), "--store", kind]
        command += ["--reuse"] if args.reuse else []
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
