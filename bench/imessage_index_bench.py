"""A 1M-message iMessage database indexed end to end:
`python bench/imessage_index_bench.py --messages 1000000`.

The synthetic `chat.db` (bench/synth_formats.py, macOS 14 layout) is written by a child process,
so the figures are the indexer's own: total time, the share spent embedding (target: everything
but embedding <= 15 %), messages/s and peak RSS (target <= 2 GiB). The database is streamed a
conversation at a time; the per-file chunk budget is raised for it, as a user indexing a whole
Messages history would (`maxFileChunks`).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.config import Settings
from chatx.index.embedder import create_embedder
from chatx.index.indexer import Indexer
from common import DATA, line, peak_rss_mb


def generate(path: Path, messages: int) -> None:
    """Write the database (in this process: the parent calls it through a child)."""
    import synth_formats

    path.parent.mkdir(parents=True, exist_ok=True)
    synth_formats.imessage_db(path, random.Random(7), messages, chats=max(10, messages // 5000))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--embedder", default="onnx", choices=["onnx", "onnx-int8", "torch"])
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate(args.generate_only, args.messages)
        return

    root = DATA / f"imessage-{args.messages}"
    database = DATA / f"chat-{args.messages}.db"
    if not database.exists():
        started = time.perf_counter()
        command = [sys.executable, __file__, "--messages", str(args.messages)]
        subprocess.run([*command, "--generate-only", str(database)], check=True)
        print(f"# generated {database.name} in {time.perf_counter() - started:.0f} s")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copy(database, root / "chat.db")

    settings = Settings(embedder=args.embedder, max_file_chunks=1_000_000)
    embedder = create_embedder(settings.index.embedder)  # loaded first, as in a daemon
    before = peak_rss_mb()
    started = time.perf_counter()
    indexer = Indexer(root, settings, embedder=embedder)
    summary = indexer.run()
    total = time.perf_counter() - started
    size = (root / "chat.db").stat().st_size / 1024**2

    print(f"# imessage_index_bench: {args.messages} messages, chat.db {size:.0f} MiB")
    line("messages indexed", f"{summary.messages} ({len(summary.problems)} problems)")
    line("chunks", f"{summary.chunks}")
    line("end-to-end seconds", f"{total:.1f} s ({summary.messages / total:.0f} messages/s)")
    line(
        "embedding seconds inside the run",
        f"{indexer.embed_seconds:.1f} s ({100 * indexer.embed_seconds / total:.1f}%)",
    )
    line(
        "everything but embedding",
        f"{total - indexer.embed_seconds:.1f} s "
        f"({100 * (total - indexer.embed_seconds) / total:.1f}%)",
        target="target <= 15%",
    )
    line(
        "peak RSS",
        f"{peak_rss_mb():.0f} MiB (embedder loaded: {before:.0f} MiB)",
        target="target <= 2048 MiB",
    )


if __name__ == "__main__":
    main()
