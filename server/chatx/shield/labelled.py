"""Labelled text for measuring coverage: sensitive spans marked inline as `[[kind:value]]`.

A labelled file is JSONL; each record has `text` (with marks), optional `id`, `source`
(chat|doc), `participants` and `me` (display names the text may mention).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from chatx.problems import ChatxError, ProblemCode

_MARK = re.compile(r"\[\[([a-z_]+):(.*?)\]\](?!\])", re.S)


@dataclass(frozen=True)
class Label:
    """A labelled sensitive span of the plain text."""

    start: int
    end: int
    kind: str


@dataclass
class LabelledRecord:
    """One labelled text, its marks removed."""

    id: str
    source: str
    text: str
    labels: list[Label]
    participants: list[str] = field(default_factory=list)
    me: list[str] = field(default_factory=list)


def parse_marked(marked: str) -> tuple[str, list[Label]]:
    """The plain text of `marked` and the spans its `[[kind:value]]` marks label."""
    out: list[str] = []
    labels: list[Label] = []
    position = last = 0
    for m in _MARK.finditer(marked):
        out.append(marked[last : m.start()])
        position += m.start() - last
        value = m.group(2)
        labels.append(Label(position, position + len(value), m.group(1)))
        out.append(value)
        position += len(value)
        last = m.end()
    out.append(marked[last:])
    return "".join(out), labels


def load_labelled(text: str, source: str) -> list[LabelledRecord]:
    """Parse a labelled JSONL file; a malformed line is an INVALID_INPUT problem."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            plain, labels = parse_marked(raw["text"])
            records.append(
                LabelledRecord(
                    id=str(raw.get("id", number)),
                    source=raw.get("source", "doc"),
                    text=plain,
                    labels=labels,
                    participants=list(raw.get("participants", [])),
                    me=list(raw.get("me", [])),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT, f"line {number} is not a labelled record: {exc}", source
            ) from exc
    return records
