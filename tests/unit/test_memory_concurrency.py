"""Several processes write one memory at once (the reference server loses writes there, #4797):
no write is lost, and a writer killed with SIGKILL midway leaves no partial record."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from chatx.memory.store import MemoryStore

WRITER = """
import sys
from pathlib import Path
from chatx.memory.models import NewEntity, ObservationsToAdd
from chatx.memory.store import MemoryStore

path, name, start, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = MemoryStore(path)
store.create_entities([NewEntity(name="shared", entityType="project")])
store.create_entities([NewEntity(name=name, entityType="agent")])
for i in range(start, start + count):
    store.add_observations([ObservationsToAdd(entityName="shared", contents=[f"{name}-{i}"])])
    store.add_observations([ObservationsToAdd(entityName=name, contents=[f"own-{i}"])])
    print(i, flush=True)  # acknowledged: the transaction has committed
"""


def writer(path: Path, name: str, start: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(start), str(count)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    )


def facts(path: Path, name: str) -> list[str]:
    store = MemoryStore(path)
    try:
        graph = store.open_nodes([name])
        return graph.entities[0].observations if graph.entities else []
    finally:
        store.close()


def test_four_processes_lose_no_write(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite"
    writers = [writer(path, f"w{n}", 0, 100) for n in range(4)]
    for process in writers:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0
        assert len(out.split()) == 100
    shared = facts(path, "shared")
    assert len(shared) == len(set(shared)) == 400
    assert all(len(facts(path, f"w{n}")) == 100 for n in range(4))


def test_a_killed_writer_leaves_every_acknowledged_write_and_no_partial_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "memory.sqlite"
    victim = writer(path, "victim", 0, 100_000)
    others = [writer(path, f"w{n}", 0, 150) for n in range(3)]
    assert victim.stdout is not None
    acknowledged = [int(victim.stdout.readline()) for _ in range(60)]
    os.kill(victim.pid, signal.SIGKILL)  # midway through a transaction, most likely
    rest = victim.stdout.read().split()
    victim.wait()
    acknowledged += [int(i) for i in rest]
    restarted = writer(path, "victim", acknowledged[-1] + 1, 40)
    for process in [*others, restarted]:
        process.communicate(timeout=300)
        assert process.returncode == 0
    own = set(facts(path, "victim"))
    assert {f"own-{i}" for i in acknowledged} <= own
    shared = facts(path, "shared")
    assert {f"victim-{i}" for i in acknowledged} <= set(shared)
    assert len(shared) == len(set(shared))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orphans = db.execute(
            "SELECT count(*) FROM observations WHERE text = '' OR entity_id NOT IN "
            "(SELECT id FROM entities)"
        ).fetchone()
        assert orphans == (0,)
