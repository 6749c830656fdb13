"""Opening a citation: the messages, page or lines a locator (`chatx.locator`) points at, for
`chatx show` and for anything that cannot open a database row or a zip member in an editor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from itertools import groupby
from pathlib import Path

from chatx import locator
from chatx.chunking import turn_line
from chatx.index.walker import never_read
from chatx.ingest import Section, extract
from chatx.models import Message
from chatx.problems import ChatxError, ProblemCode

_LOCATOR = re.compile(
    r"^(?P<source>.+?)(?:(?P<unit>#message=|#page=)|(?P<member>!/.+)?:)"
    r"(?P<start>\d+)(?:-(?P<end>\d+))?$"
)


@dataclass(frozen=True)
class Location:
    """A parsed locator: the file, what the numbers count, and the range."""

    source: str
    anchor: str | None
    start: int
    end: int


def parse_locator(text: str) -> Location:
    """`notes.md:12-14`, `chat.db#message=120`, `r.pdf#page=3`, `c.zip!/_chat.txt:4-9`."""
    match = _LOCATOR.match(text.strip())
    if match is None:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT,
            f"not a locator: {text!r} (expected path:line, path#message=N, path#page=N "
            "or path!/member:line)",
        )
    unit = match["unit"]
    anchor = unit[:-1] if unit else match["member"]
    start = int(match["start"])
    end = max(start, int(match["end"] or start))
    return Location(match["source"], anchor, start, end)


def show(root: Path, where: Location, context: int, zone: tzinfo | None = None) -> list[str]:
    """The lines a person reads for `where`: the cited messages with `context` messages of the
    same conversation around them, the cited PDF pages, or the cited lines of a text file."""
    path = (root / where.source).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT, "no such file in the workspace", where.source
        )
    parts = (*Path(where.source).parts, *path.relative_to(root.resolve()).parts)  # links too
    if never_read(parts):
        raise ChatxError.of(ProblemCode.INVALID_INPUT, "never read: a secret", where.source)
    result = extract(path, where.source, zone, stream=True)
    if result.kind == "doc" and where.anchor == locator.PAGE:
        return _pages(result.sections, where, context)
    if result.kind == "doc":
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        first = max(1, where.start - context)
        chosen = range(first, min(len(lines), where.end + context) + 1)
        return [
            f"{'>' if where.start <= n <= where.end else ' '} {n:5} {lines[n - 1]}" for n in chosen
        ]
    return _messages(result.iter_messages(), where, context)


def _cited(message: Message, where: Location) -> bool:
    ref = message.source_ref
    line = ref.line or 0
    return (
        ref.anchor == where.anchor and line <= where.end and (ref.line_end or line) >= where.start
    )


def _messages(messages: Iterator[Message], where: Location, context: int) -> list[str]:
    """The cited messages of the one conversation they belong to, with `context` around them.
    Database rows of different chats interleave, so a `#message` range is read inside the
    conversation of its first row only."""
    for _, group in groupby(messages, key=lambda m: m.conv_id):
        conversation = list(group)
        cited = [i for i, message in enumerate(conversation) if _cited(message, where)]
        if where.anchor == locator.MESSAGE:
            cited = (
                cited if any(conversation[i].source_ref.line == where.start for i in cited) else []
            )
        if cited:
            first, last = max(0, cited[0] - context), cited[-1] + context + 1
            chosen = set(cited)
            return [_shown(m, i in chosen) for i, m in enumerate(conversation[first:last], first)]
    raise ChatxError.of(
        ProblemCode.INVALID_INPUT,
        "no message there",
        locator.location(where.source, where.start, where.end, where.anchor),
    )


def _shown(message: Message, cited: bool) -> str:
    ref = message.source_ref
    when = f"{message.timestamp:%Y-%m-%d %H:%M} " if message.timestamp else ""
    place = locator.location(ref.path, ref.line or 0, ref.line or 0, ref.anchor)
    return f"{'>' if cited else ' '} {place}  {when}{turn_line(message)}"


def _pages(sections: list[Section], where: Location, context: int) -> list[str]:
    shown = [
        f"--- {locator.location(where.source, s.line_start, s.line_start, where.anchor)}\n"
        + "\n".join(s.lines)
        for s in sections
        if where.start - context <= s.line_start <= where.end + context
    ]
    if not shown:
        raise ChatxError.of(ProblemCode.INVALID_INPUT, "nothing indexed there", where.source)
    return shown
