"""End-to-end indexing throughput: `python bench/index_bench.py --messages 50000`.

Prints messages/s, the share of time spent embedding, the embedding-only floor for the same
texts, and peak RSS. Target on the 2-core machine: 50k messages <= 150 s, non-embedding < 15%.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.config import Settings
from chatx.index.embedder import Tokenizer, create_embedder
from chatx.index.indexer import Indexer, open_store
from common import DATA, line, peak_rss_mb
from synth import chat_workspace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--embedder", default="onnx", choices=["onnx", "onnx-int8", "torch"])
    args = parser.parse_args()

    root = DATA / f"index-{args.messages}"
    shutil.rmtree(root, ignore_errors=True)
    files = chat_workspace(root, args.messages)
    settings = Settings(embedder=args.embedder)
    embedder = create_embedder(
        settings.index.embedder
    )  # loaded before the clock starts, as in a daemon

    started = time.perf_counter()
    indexer = Indexer(root, settings, embedder=embedder)
    summary = indexer.run()
    total = time.perf_counter() - started

    texts = open_store(root, settings).dataset().to_table(columns=["text"])["text"].to_pylist()
    tokens = sum(Tokenizer().count(texts)) + 2 * len(texts)
    floor_started = time.perf_counter()
    embedder.embed(texts)
    floor = time.perf_counter() - floor_started

    print(f"# index_bench: {args.messages} messages in {files} files, embedder={args.embedder}")
    line("messages indexed", f"{summary.messages}")
    line("chunks", f"{summary.chunks} ({tokens} tokens embedded)")
    line("end-to-end seconds", f"{total:.1f} s", target="target <= 150 s")
    line("messages/s end to end", f"{summary.messages / total:.0f}")
    line(
        "embedding seconds inside the run",
        f"{indexer.embed_seconds:.1f} s ({100 * indexer.embed_seconds / total:.1f}% of the run)",
    )
    line(
        "everything but embedding",
        f"{total - indexer.embed_seconds:.1f} s "
        f"({100 * (total - indexer.embed_seconds) / total:.1f}%)",
        target="target < 15%",
    )
    line("floor: embedding the same texts alone", f"{floor:.1f} s ({tokens / floor:.0f} tok/s)")
    line("peak RSS", f"{peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
