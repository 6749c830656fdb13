"""Bounded memory and time per file: long lines are split in bounded windows, a huge file's
rows commit in slices, and a file over the cost budget is refused while the others index."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from chatx.chunking import ChunkSettings, chunk_sections
from chatx.config import Settings
from chatx.index.indexer import Indexer, open_store
from chatx.index.status import workspace_status
from chatx.ingest.common import Section

WORDS = [
    "payments",
    "rollback",
    "kafka",
    "deploy",
    "ledger",
    "invoice",
    "gateway",
    "retry",
    "window",
    "shard",
]

MEASURE = (
    "import json, resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
    "open(sys.argv[1], 'w').write(json.dumps({'peak_kb': peak})); sys.exit(code)"
)


def one_line(chars: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words: list[str] = []
    size = 0
    while size < chars:
        words.append(rng.choice(WORDS))
        size += len(words[-1]) + 1
    return " ".join(words)


def test_a_long_line_is_cut_within_the_token_and_character_budget(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = one_line(300_000)  # longer than one tokenizer window
    chunks = chunk_sections([Section((), 1, (text,))], "long.txt", tokenizer, ChunkSettings())
    counts = tokenizer.count([c.text for c in chunks])
    assert max(counts) <= 254
    assert len(chunks) == 276
    # nothing lost or repeated at the seams (a cut may fall inside a word, between tokens)
    assert "".join("".join(c.text.split()) for c in chunks) == "".join(text.split())
    assert {(c.meta.line_start, c.meta.line_end) for c in chunks} == {(1, 1)}


def test_a_run_without_spaces_is_cut_by_characters(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = "x" * 100_000  # one [UNK] token to the tokenizer
    chunks = chunk_sections([Section((), 1, (text,))], "blob.txt", tokenizer, ChunkSettings())
    assert [len(c.text) for c in chunks] == [254 * 12] * 32 + [100_000 - 254 * 12 * 32]


def test_a_file_over_the_cost_budget_is_refused_and_the_rest_indexes(
    workspace: Path,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    (workspace / "docs" / "huge.txt").write_text(one_line(200_000))
    settings = Settings(maxFileChunks=100, batchChunks=8)
    summary = Indexer(workspace, settings, embedder=embedder).run()
    assert (summary.files_indexed, summary.chunks) == (4, 11)
    [problem] = summary.problems
    assert (problem.instance, problem.code) == ("docs/huge.txt", "INVALID_INPUT")
    assert problem.detail.startswith("over the cost budget: more than 100 chunks")
    report = workspace_status(workspace, settings)
    assert report.limits is not None and report.limits.max_file_chunks == 100
    huge = next(f for f in report.files if f.path == "docs/huge.txt")
    assert huge.state == "skipped" and huge.problem is not None
    assert open_store(workspace, settings).count() == 11


def test_a_big_file_commits_in_slices(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    (workspace / "docs" / "big.txt").write_text(one_line(40_000))
    summary = Indexer(workspace, Settings(batchChunks=8), embedder=embedder).run()
    store = open_store(workspace, Settings())
    big = summary.chunks - 11
    assert big > 16 and store.count() == summary.chunks
    dataset = store.dataset()
    rows = dataset.to_table(columns=["source"], filter="source = 'docs/big.txt'").num_rows
    assert rows == big


def test_a_5_mb_line_is_refused_within_memory_while_the_rest_indexes(workspace: Path) -> None:
    (workspace / "docs" / "huge.txt").write_text(one_line(5 * 1024 * 1024))
    env = {**os.environ, "CHATX_MAX_FILE_CHUNKS": "1000"}
    figures = workspace.parent / "rusage.json"
    # A small wrapper starts the run, so its peak RSS is not inherited from this big process.
    run = [sys.executable, "-m", "chatx", "index", str(workspace), "--json"]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(figures), *run],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["files_indexed"], summary["chunks"]) == (4, 11)
    assert [p["instance"] for p in summary["problems"]] == ["docs/huge.txt"]
    peak_mb = json.loads(figures.read_text())["peak_kb"] / 1024
    assert peak_mb <= 1536, f"peak RSS {peak_mb:.0f} MB"
