"""Policy Shield throughput: `python bench/shield_bench.py --messages 100000`.

Synthetic chat turns (`Sender: text`, the shape preflight sees), about one in eight carrying
an e-mail, phone number, card, IBAN, IP, key or a participant's name in the text. Prints
redaction throughput in messages/s, the p50/p95 time per 1,000 messages, and the wall time of
a full preflight (redact + re-scan) of every message, default and strict.
Names are on (the entity model, the names lexicon and the context rules, ADR 0007): redaction
runs in batches of 1,000 messages, as preflight does.
Targets: >= 1,000 messages/s; preflight of 100k messages <= 120 s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.shield import Shield, people_from
from common import line, percentiles
from synth import NAMES, message_text

SURNAMES = ["Raman", "Rossi", "Tanaka", "Weber", "Haddad", "Novak", "García", "Okafor"]
LEAKS = [
    "mail me at {first}.{last}@example.com",
    "call {first} on +44 20 7946 0{n:03d}",
    "card 4111 1111 1111 1111 for the booking",
    "IBAN DE89 3704 0044 0532 0130 00",
    "the box is at 10.0.{n}.17",
    "token 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",
    "ask {first}'s manager",
    "password = Tr0ub4dor&3x{n}",
]


def turns(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    people = [f"{first} {rng.choice(SURNAMES)}" for first in NAMES]
    out = []
    for index in range(count):
        sender = rng.choice(people)
        text = message_text(rng)
        if index % 8 == 0:
            other = rng.choice(people).split()
            leak = rng.choice(LEAKS).format(first=other[0], last=other[1], n=index % 1000)
            text = f"{text} {leak}"
        out.append(f"{sender}: {text}")
    return out


def dense_turns(count: int, seed: int = 5) -> list[str]:
    """Chat lines of `shield_eval`'s generated set: names nobody listed in most lines, in
    twelve locales (the worst case for the name model)."""
    from chatx.shield.labelled import load_labelled
    from shield_eval_data import generate

    records, _ = generate(max(40, count // 3), seed)
    jsonl = "\n".join(json.dumps(record) for record in records)
    lines = [
        line
        for record in load_labelled(jsonl, "generated")
        for line in record.text.split("\n")
        if line.strip()
    ]
    return [lines[i % len(lines)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument(
        "--corpus",
        choices=("chat", "dense"),
        default="chat",
        help="chat: synthetic team chat; dense: shield_eval's name-dense multilingual lines",
    )
    args = parser.parse_args()
    texts = turns(args.messages) if args.corpus == "chat" else dense_turns(args.messages)
    rng = random.Random(5)
    people = people_from([f"{n} {rng.choice(SURNAMES)}" for n in NAMES], me=["Sam Carter"])
    with tempfile.TemporaryDirectory() as folder:
        shield = Shield.local(people, folder=Path(folder))
        shield.redact(texts[0])  # warm: regex compilation, the salt, the reveal map
        batch_ms = []
        start = time.perf_counter()
        found = 0
        for lo in range(0, len(texts), 1000):
            began = time.perf_counter()
            found += sum(len(r.findings) for r in shield.redact_many(texts[lo : lo + 1000]))
            batch_ms.append((time.perf_counter() - began) * 1000)
        took = time.perf_counter() - start
        p50, p95 = percentiles(batch_ms)
        print(
            f"shield bench ({args.corpus}): {len(texts)} chat turns, "
            f"{sum(map(len, texts)) / 1e6:.1f} MB"
        )
        line("findings redacted", f"{found}")
        line(
            "redaction throughput",
            f"{len(texts) / took:,.0f} messages/s",
            target="target >= 1,000",
        )
        line("time per 1k messages p50 / p95", f"{p50:.0f} / {p95:.0f} ms", target="<= 1,000 ms")
        for strict in (False, True):
            began = time.perf_counter()
            _, report = shield.preflight(texts, strict=strict)
            wall = time.perf_counter() - began
            label = "strict preflight" if strict else "preflight"
            line(
                f"{label} of {len(texts) // 1000}k messages",
                f"{wall:.1f} s (residual {sum(report.residual.values())})",
                target="target <= 120 s",
            )


if __name__ == "__main__":
    main()
