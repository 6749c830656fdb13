"""Re-index of an unchanged workspace: `python bench/reindex_bench.py --files 1000`.

Indexes a 1,000-file workspace once, then times re-running the index with nothing changed,
in-process and as a `chatx index` process. Target: <= 1 s. Floor: walking the tree alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.config import Settings
from chatx.index.embedder import create_embedder
from chatx.index.indexer import Indexer
from chatx.index.walker import walk
from common import DATA, line
from synth import mixed_workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    root = DATA / f"reindex-{args.files}"
    shutil.rmtree(root, ignore_errors=True)
    mixed_workspace(root, args.files)
    settings = Settings()
    embedder = create_embedder(settings.index.embedder)
    started = time.perf_counter()
    first = Indexer(root, settings, embedder=embedder).run()
    print(
        f"# reindex_bench: {first.files_indexed} files, {first.chunks} chunks indexed in "
        f"{time.perf_counter() - started:.1f} s"
    )

    runs = []
    for _ in range(3):
        started = time.perf_counter()
        again = Indexer(root, settings, embedder=embedder).run()
        runs.append(time.perf_counter() - started)
        assert again.files_indexed == 0 and again.files_unchanged == first.files_indexed
    started = time.perf_counter()
    walked = sum(1 for _ in walk(root, 64 * 1024 * 1024))
    walk_s = time.perf_counter() - started
    line(
        "unchanged re-index, in-process",
        f"{min(runs):.3f} s (best of 3)",
        f"floor: walking {walked} entries {walk_s:.3f} s",
        "target <= 1 s",
    )

    cli = Path(sys.executable).with_name("chatx")
    started = time.perf_counter()
    subprocess.run(
        [str(cli), "index", str(root), "--json"],
        check=True,
        capture_output=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    line("unchanged re-index, `chatx index` process", f"{time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
