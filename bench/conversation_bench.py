"""Retrieval on long multi-session conversations: `python bench/conversation_bench.py`.

Each conversation of the LoCoMo development set (../shared/bench/locomo-dev, read there, never
copied) is rendered as the WhatsApp export its two people would have: one line per turn, each
session's turns timed from the session's date, a shared photo as its caption. The export is
indexed as a user would index it, and every question of categories 1-4 goes through
`chatx.query`. A question is found at k when one of the top k citations' line ranges holds one
of its evidence turns. Prints recall@5 and @10 per category, lines per citation and query
latency. Targets (issue 18): recall@5 >= 0.90 overall, multi-hop and temporal >= 0.85,
citations <= 6 lines on median.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.config import Settings
from chatx.index.embedder import create_embedder
from chatx.index.indexer import Indexer
from chatx.index.search import SearchService
from chatx.models import QueryCitation
from common import DATA, line, percentiles

DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "locomo-dev" / "locomo-dev.json"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "inference", 4: "single-hop"}
TURN_GAP = timedelta(seconds=40)


@dataclass(frozen=True)
class Question:
    """One question, its category and the export lines of its evidence turns."""

    text: str
    category: int
    lines: frozenset[int]


def render(conversation: dict[str, object]) -> tuple[str, dict[str, int]]:
    """The WhatsApp export of one conversation and the line of each turn (by dia_id)."""
    out: list[str] = []
    lines: dict[str, int] = {}
    number = 1
    while f"session_{number}" in conversation:
        stamp = conversation[f"session_{number}_date_time"]
        when = datetime.strptime(str(stamp), "%I:%M %p on %d %B, %Y")
        for turn in conversation[f"session_{number}"]:  # type: ignore[attr-defined]
            text = " ".join(str(turn["text"]).split())
            if turn.get("blip_caption"):
                text += f" [shared a photo: {turn['blip_caption']}]"
            lines[turn["dia_id"]] = len(out) + 1
            out.append(f"[{when:%d.%m.%y, %H:%M:%S}] {turn['speaker']}: {text}")
            when += TURN_GAP
        number += 1
    return "\n".join(out) + "\n", lines


def questions(sample: dict[str, object], lines: dict[str, int]) -> list[Question]:
    """The answerable questions (categories 1-4) with their evidence lines."""
    found = []
    for qa in sample["qa"]:  # type: ignore[attr-defined]
        if qa["category"] not in CATEGORIES:
            continue
        evidence = frozenset(lines[d] for d in qa["evidence"] if d in lines)
        if evidence:
            found.append(Question(qa["question"], qa["category"], evidence))
    return found


def hit_rank(citations: list[QueryCitation], evidence: frozenset[int]) -> int | None:
    """1-based rank of the first citation whose lines hold an evidence turn."""
    for rank, cite in enumerate(citations, start=1):
        if any(cite.line_start <= n <= cite.line_end for n in evidence):
            return rank
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEV)
    parser.add_argument("--chat-window-tokens", type=int, help="chatWindowTokens to measure")
    parser.add_argument("--min-window-turns", type=int, help="minWindowTurns to measure")
    parser.add_argument("--question-vector-weight", type=float, help="questionVectorWeight")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"# conversation_bench: skipped, {args.data} is absent (../shared/bench/locomo-dev)")
        return
    samples = json.loads(args.data.read_text(encoding="utf-8"))
    root = DATA / "conversations"
    shutil.rmtree(root, ignore_errors=True)
    (root / "chats").mkdir(parents=True)
    asked: list[tuple[str, Question]] = []
    for sample in samples:
        text, lines = render(sample["conversation"])
        name = f"chats/{sample['sample_id']}.txt"
        (root / name).write_text(text, encoding="utf-8")
        asked += [(name, q) for q in questions(sample, lines)]

    chosen = {
        "chat_window_tokens": args.chat_window_tokens,
        "question_vector_weight": args.question_vector_weight,
        "min_window_turns": args.min_window_turns,
    }
    settings = Settings(**{key: value for key, value in chosen.items() if value is not None})
    embedder = create_embedder(settings.index.embedder)
    summary = Indexer(root, settings, embedder=embedder).run()
    search = SearchService(root, settings, embedder=embedder)
    search.query("warm up", 10)

    ranks: dict[int, list[int | None]] = defaultdict(list)
    spans: list[int] = []
    took: list[float] = []
    for name, question in asked:
        started = time.perf_counter()
        result = search.query(question.text, 10)
        took.append((time.perf_counter() - started) * 1000)
        mine = [c for c in result.citations if c.source == name]
        ranks[question.category].append(hit_rank(mine, question.lines))
        spans += [c.line_end - c.line_start + 1 for c in result.citations[:5]]

    index = settings.index
    print(f"# conversation_bench: {len(samples)} conversations, {summary.messages} turns, ", end="")
    print(f"{summary.chunks} chunks, {len(asked)} questions; chatWindowTokens ", end="")
    print(f"{index.chat_window_tokens}, minWindowTurns {index.min_window_turns}, ", end="")
    print(f"questionVectorWeight {index.question_vector_weight}")
    every = [r for found in ranks.values() for r in found]
    for label, found in [("overall", every)] + [(CATEGORIES[c], ranks[c]) for c in sorted(ranks)]:
        at5 = sum(1 for r in found if r is not None and r <= 5) / len(found)
        at10 = sum(1 for r in found if r is not None) / len(found)
        line(f"recall@5 / @10 {label} ({len(found)})", f"{at5:.3f} / {at10:.3f}")
    line(
        "lines per citation (top 5)",
        f"median {statistics.median(spans):g}, mean {statistics.mean(spans):.1f}",
        target="target median <= 6",
    )
    p50, p95 = percentiles(took)
    line("query p50 / p95 (with embedding)", f"{p50:.1f} / {p95:.1f} ms")


if __name__ == "__main__":
    main()
