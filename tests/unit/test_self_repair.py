"""Self-repair: what a killed run leaves (a half-made table, a half-done finalize, a stale row
mirror) is put right by the next run, which says so in its summary."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import lancedb

from chatx.config import Settings
from chatx.index.indexer import Indexer, open_store
from chatx.models import IndexSummary

ALL_INDICES = {
    "text_idx",
    "kind_idx",
    "platform_idx",
    "source_idx",
    "participants_lc_idx",
    "date_start_idx",
    "date_end_idx",
}

# Runs a real index and SIGKILLs itself inside `finalize`, after its second index build.
DIE_IN_FINALIZE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from lancedb.table import LanceTable
    from chatx.config import Settings
    from chatx.index.indexer import Indexer

    real = LanceTable.create_index
    built = []

    def create_then_die(self, *args, **kwargs):
        real(self, *args, **kwargs)
        built.append(1)
        if len(built) == 2:
            os.kill(os.getpid(), signal.SIGKILL)

    LanceTable.create_index = create_then_die
    Indexer(Path(sys.argv[1]), Settings()).run()
    """
)


def run(ws: Path, embedder) -> IndexSummary:  # type: ignore[no-untyped-def]
    return Indexer(ws, Settings(), embedder=embedder).run()


def indices(ws: Path) -> set[str]:
    dataset = open_store(ws, Settings()).dataset()
    return {ix.name for ix in dataset.describe_indices()}


def test_a_healthy_index_needs_no_repair(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    assert run(workspace, embedder).repairs == []
    (workspace / "docs" / "runbook.md").write_text("# Runbook\n\nOnly flamingos now.\n")
    assert run(workspace, embedder).repairs == []
    assert run(workspace, embedder).repairs == []


def test_a_table_killed_while_being_created_is_removed(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    store = open_store(workspace, Settings())
    (store.uri / "data").mkdir(parents=True)  # the folder exists, no version was committed
    assert store.dataset() is None and store.count() == 0  # readers see no index, no error
    summary = run(workspace, embedder)
    assert summary.repairs == ["removed a chunk table that a killed run left uncommitted"]
    assert (summary.files_indexed, summary.chunks) == (4, 11)
    assert open_store(workspace, Settings()).count() == 11


def test_a_kill_during_finalize_is_repaired(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    killed = subprocess.run(
        [sys.executable, "-c", DIE_IN_FINALIZE, str(workspace)], capture_output=True
    )
    assert killed.returncode == -9
    assert indices(workspace) == {"text_idx", "kind_idx"}  # the rest never got built
    summary = run(workspace, embedder)
    assert summary.files_indexed == 0 and summary.files_unchanged == 4
    assert summary.repairs == [
        "rebuilt missing indices: date_end_idx, date_start_idx, participants_lc_idx,"
        " platform_idx, source_idx"
    ]
    assert indices(workspace) == ALL_INDICES
    assert run(workspace, embedder).repairs == []


def test_rows_a_run_never_finalized_are_compacted(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    run(workspace, embedder)
    (workspace / "docs" / "runbook.md").write_text("# Runbook\n\nOnly flamingos now.\n")
    live = Indexer(workspace, Settings(), embedder=embedder, optimize=False)
    assert live.run().repairs == []
    (workspace / "docs" / "runbook.md").write_text("# Runbook\n\nOnly herons now.\n")
    live = Indexer(workspace, Settings(), embedder=embedder, optimize=False)
    assert live.run().repairs == []  # live updates leave folding rows in to `maintain`
    summary = run(workspace, embedder)
    assert summary.repairs == ["compacted the table and indexed 1 row left out"]
    assert run(workspace, embedder).repairs == []


def test_a_row_mirror_out_of_step_is_rebuilt(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    run(workspace, embedder)
    open_store(workspace, Settings()).rows.clear()
    summary = run(workspace, embedder)
    assert summary.repairs == ["rebuilt the chunk row mirror"]
    assert open_store(workspace, Settings()).rows.count() == 11


def test_a_chunk_stored_twice_is_stored_once(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    run(workspace, embedder)
    store = open_store(workspace, Settings())
    twice = store.dataset().to_table(filter="source = 'docs/runbook.md'")
    lancedb.connect(store.db_dir).open_table("chunks").add(twice)  # as a run that listed it twice
    summary = run(workspace, embedder)
    assert summary.repairs == [
        "compacted the table and indexed 4 rows left out",
        "removed 4 duplicate rows",
    ]
    store = open_store(workspace, Settings())
    assert store.dataset().count_rows() == store.rows.count() == 11
    assert run(workspace, embedder).repairs == []


class FailsOn:
    """The real embedder, except that it fails on any batch holding `word`."""

    def __init__(self, embedder, word: str) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.word = embedder, word
        self.model_id, self.dim = embedder.model_id, embedder.dim

    def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
        if any(self.word in text for text in texts):
            raise RuntimeError("the runtime gave up")
        return self.inner.embed(texts)


def test_an_embedding_failure_is_one_files_problem(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    (workspace / "docs" / "cursed.md").write_text("# Cursed\n\nThe flamingo word.\n")
    failing = FailsOn(embedder, "flamingo")
    summary = Indexer(workspace, Settings(), embedder=failing).run()
    assert (summary.files_indexed, summary.files_failed, summary.chunks) == (4, 1, 11)
    [problem] = summary.problems
    assert (problem.instance, problem.code) == ("docs/cursed.md", "INTERNAL")
    assert problem.detail == "embedding failed: RuntimeError('the runtime gave up')"
    assert open_store(workspace, Settings()).count() == 11
    again = run(workspace, embedder)  # retried, and this time it works
    assert (again.files_indexed, again.files_failed, again.chunks) == (1, 0, 1)
    assert open_store(workspace, Settings()).count() == 12
