"""The workspace memory: `python bench/memory_bench.py --entities 10000 --observations 100000`.

1. Writes/s: 4 processes each add `--writes` facts (one transaction each) to one memory.
2. Reads at scale: a memory of `--entities` entities and `--observations` facts (synthetic
   chat lines). `search_nodes` (substring) and `recall` (meaning + words, the real query
   embedder) p50/p95 over 200 queries. The facts' vectors are random unit vectors, stored
   through the store's own `embed_missing` (embedding 100k facts for real takes minutes and
   does not change a query's cost); say so with the figures.
3. No lost write: 4 processes x 250 writes, one killed with SIGKILL midway and restarted for
   the rest. Every acknowledged write must be present, no record partial, integrity "ok".

Targets: search_nodes and recall p95 <= 20 ms at 10k entities / 100k observations.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.config import Settings
from chatx.index.embedder import create_embedder
from chatx.memory.models import NewEntity
from chatx.memory.recall import Recaller
from chatx.memory.store import MemoryStore
from common import line, percentiles
from synth import NAMES, message_text

WRITER = """
import sys
from pathlib import Path
from chatx.memory.models import NewEntity, ObservationsToAdd
from chatx.memory.store import MemoryStore

path, name, start, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = MemoryStore(path)
store.create_entities([NewEntity(name=name, entityType="agent")])
for i in range(start, start + count):
    store.add_observations([ObservationsToAdd(entityName=name, contents=[f"fact {i}"])])
    print(i, flush=True)
"""


def writer(path: Path, name: str, start: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(start), str(count)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    )


def writes_per_second(folder: Path, writes: int) -> None:
    path = folder / "writes.sqlite"
    MemoryStore(path).close()
    started = time.perf_counter()
    processes = [writer(path, f"agent-{n}", 0, writes) for n in range(4)]
    for process in processes:
        process.communicate()
    seconds = time.perf_counter() - started
    line(
        "writes, 4 processes",
        f"{4 * writes / seconds:.0f} writes/s ({4 * writes} in {seconds:.1f} s)",
    )


def build(
    path: Path, entities: int, observations: int, rng: random.Random
) -> tuple[MemoryStore, list[str]]:
    """A memory of `entities` entities with `observations` facts in all, and their names."""
    store = MemoryStore(path)
    names = [f"{rng.choice(NAMES)} {i}" for i in range(entities)]
    per = max(1, observations // entities)
    started = time.perf_counter()
    for batch in range(0, entities, 500):
        store.create_entities(
            [
                NewEntity(
                    name=names[i],
                    entityType=rng.choice(["person", "project", "team", "service"]),
                    observations=[message_text(rng).split("\n")[0][:160] for _ in range(per)],
                )
                for i in range(batch, min(batch + 500, entities))
            ],
            source="bench",
        )
    built = time.perf_counter() - started
    vectors = np.random.default_rng(3)

    def fake(texts: list[str]) -> np.ndarray:
        block = vectors.standard_normal((len(texts), 384)).astype(np.float32)
        return block / np.linalg.norm(block, axis=1, keepdims=True)

    store.embed_missing(fake, "random-unit-384")
    line("build", f"{entities} entities / {entities * per} observations in {built:.1f} s")
    return store, names


def search(store: MemoryStore, label: str, queries: list[str], target: str = "") -> None:
    for query in queries[:5]:
        store.search_nodes(query)
    samples = []
    hits = 0
    for query in queries:
        started = time.perf_counter()
        hits += len(store.search_nodes(query).entities)
        samples.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(samples)
    found = f"{hits / len(queries):.0f} entities avg"
    line(label, f"p50 {p50:.1f} ms / p95 {p95:.1f} ms ({found})", target=target)


def reads(store: MemoryStore, names: list[str], rng: random.Random) -> None:
    wanted = [rng.choice(names) for _ in range(200)]
    search(store, "search_nodes, a name", wanted, target="p95 <= 20 ms")
    words = [w for w in " ".join(message_text(rng) for _ in range(300)).split() if len(w) > 3]
    queries = [rng.choice(words) for _ in range(200)]
    search(store, "search_nodes, a common word (~30% of the graph)", queries)

    embedder = create_embedder(Settings().index.embedder)
    model_id = embedder.model_id
    embedder.model_id = "random-unit-384"  # the stored vectors are the fake ones: keep them
    recaller = Recaller(store, embedder)
    recaller.recall("warm up", 5)
    embedder.model_id = model_id
    samples = []
    for query in queries:
        started = time.perf_counter()
        recaller.recall(f"what about {query}?", 5)
        samples.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(samples)
    line(
        "recall (k=5, query embedded)",
        f"p50 {p50:.1f} ms / p95 {p95:.1f} ms",
        target="p95 <= 20 ms",
    )


def lost_writes(folder: Path) -> None:
    path = folder / "kill.sqlite"
    MemoryStore(path).close()
    victim = writer(path, "victim", 0, 250)
    others = [writer(path, f"w{n}", 0, 250) for n in range(3)]
    assert victim.stdout is not None
    acknowledged = [int(victim.stdout.readline()) for _ in range(100)]
    os.kill(victim.pid, signal.SIGKILL)
    acknowledged += [int(i) for i in victim.stdout.read().split()]
    victim.wait()
    restarted = writer(path, "victim", acknowledged[-1] + 1, 250 - acknowledged[-1] - 1)
    for process in [*others, restarted]:
        process.communicate()
    store = MemoryStore(path)
    present = set(store.open_nodes(["victim"]).entities[0].observations)
    others_ok = all(
        len(store.open_nodes([f"w{n}"]).entities[0].observations) == 250 for n in range(3)
    )
    store.close()
    lost = [i for i in acknowledged if f"fact {i}" not in present]
    with sqlite3.connect(path) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        partial = db.execute("SELECT count(*) FROM observations WHERE text = ''").fetchone()[0]
    line(
        "lost-write check (4 x 250, one killed -9 at 100)",
        f"{len(acknowledged)} acknowledged before the kill, {len(lost)} lost; victim total "
        f"{len(present)}/250, others complete: {others_ok}; integrity {integrity}, "
        f"{partial} partial",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=500, help="writes per process")
    args = parser.parse_args()
    print(f"# memory_bench: {args.entities} entities, {args.observations} observations", flush=True)
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        writes_per_second(Path(folder), args.writes)
        store, names = build(Path(folder) / "memory.sqlite", args.entities, args.observations, rng)
        reads(store, names, rng)
        store.close()
        lost_writes(Path(folder))


if __name__ == "__main__":
    main()
