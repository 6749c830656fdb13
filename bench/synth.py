"""Generator of realistic synthetic chat exports and docs for the benchmarks.

WhatsApp-style group chats (Android and iOS layouts), short turns with the occasional long
one, multi-line messages, system lines, media placeholders, emoji; Markdown notes. Seeded,
so every run of a benchmark indexes the same bytes.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

NAMES = [
    "Priya",
    "Marco",
    "Aiko",
    "Jonas",
    "Fatima",
    "Lena",
    "Tomás",
    "Grace",
    "Omar",
    "Yuki",
    "Chloé",
    "Dmitri",
    "Amara",
    "Kenji",
    "Sofia",
    "Ravi",
]
TOPICS = {
    "deploy": [
        "staging deploy",
        "helm rollback",
        "readiness probe",
        "the canary",
        "release 4.2",
        "the migration job",
        "feature flag",
        "hotfix branch",
        "the build cache",
    ],
    "data": [
        "orders table",
        "customer_id index",
        "the nightly backup",
        "kafka lag",
        "query plan",
        "replica",
        "partition for March",
        "the ledger sync",
    ],
    "life": [
        "lunch",
        "pizza on Friday",
        "the offsite",
        "train tickets",
        "the dentist",
        "football tonight",
        "the new coffee machine",
        "holiday plans",
    ],
}
OPENERS = [
    "did anyone look at",
    "I think",
    "quick question about",
    "heads up:",
    "so",
    "can we move",
    "FYI",
    "still waiting on",
    "who owns",
    "not sure about",
    "ok so",
]
CLOSERS = [
    "?",
    "",
    " 👍",
    " 😅",
    " asap",
    " before standup",
    " later today",
    "!",
    " tbh",
    " — will check",
    " again",
    "...",
]
SHORT = [
    "ok",
    "thanks!",
    "on it",
    "lol",
    "👍",
    "sounds good",
    "yes",
    "no idea",
    "brb",
    "done",
    "same",
    "makes sense",
    "+1",
    "nice",
    "haha yes",
]


def message_text(rng: random.Random) -> str:
    """One chat turn: mostly short, sometimes a sentence or two, rarely multi-line."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(SHORT)
    topic = rng.choice(rng.choice(list(TOPICS.values())))
    text = f"{rng.choice(OPENERS)} {topic}{rng.choice(CLOSERS)}"
    if roll > 0.9:
        other = rng.choice(rng.choice(list(TOPICS.values())))
        text += f"\nalso {other} needs a look, {rng.choice(SHORT)}"
    elif roll > 0.8:
        text += f" and {rng.choice(rng.choice(list(TOPICS.values())))} too"
    return text


def whatsapp_export(rng: random.Random, messages: int, start: datetime, ios: bool) -> str:
    """A WhatsApp export of `messages` turns in the Android or iOS layout."""
    people = rng.sample(NAMES, rng.randint(2, 6))
    when = start
    lines = []
    for index in range(messages):
        when += timedelta(seconds=rng.randint(5, 3600 if rng.random() < 0.1 else 240))
        if ios:
            stamp = f"[{when:%d.%m.%y, %H:%M:%S}] "
        else:
            stamp = f"{when.month}/{when.day}/{when:%y}, {when:%H:%M} - "
        if index and rng.random() < 0.01:
            lines.append(f"{stamp}{rng.choice(people)} added {rng.choice(NAMES)}")
            continue
        body = "<Media omitted>" if rng.random() < 0.03 else message_text(rng)
        if ios and body == "<Media omitted>":
            body = "\u200eimage omitted"
        lines.append(f"{stamp}{rng.choice(people)}: {body}")
    return "\n".join(lines) + "\n"


def markdown_note(rng: random.Random, index: int) -> str:
    """A short Markdown doc with a few headed sections."""
    parts = [f"# Note {index}: {rng.choice(TOPICS['deploy'])}\n"]
    for section in range(rng.randint(1, 4)):
        topic = rng.choice(rng.choice(list(TOPICS.values())))
        sentences = " ".join(f"{rng.choice(OPENERS).capitalize()} {topic}." for _ in range(4))
        parts.append(f"## Section {section}\n\n{sentences}\n")
    return "\n".join(parts)


def chat_workspace(root: Path, total_messages: int, per_file: int = 1000, seed: int = 7) -> int:
    """Write chats totalling `total_messages` turns under `root`; returns the file count."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    files = 0
    start = datetime(2024, 1, 1, 8, 0)
    remaining = total_messages
    while remaining > 0:
        count = min(per_file, remaining)
        text = whatsapp_export(rng, count, start + timedelta(days=files), ios=files % 2 == 1)
        (root / f"chat-{files:04d}.txt").write_text(text, encoding="utf-8")
        remaining -= count
        files += 1
    return files


def mixed_workspace(root: Path, files: int, seed: int = 11) -> None:
    """`files` small files: half Markdown notes, half short chats."""
    rng = random.Random(seed)
    for index in range(files):
        folder = root / f"d{index % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        if index % 2:
            text = whatsapp_export(rng, 30, datetime(2024, 3, 1) + timedelta(days=index), False)
            (folder / f"chat-{index:04d}.txt").write_text(text, encoding="utf-8")
        else:
            (folder / f"note-{index:04d}.md").write_text(markdown_note(rng, index), "utf-8")
