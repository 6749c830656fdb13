"""Types and helpers shared by the format parsers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from chatx.models import Message, Problem


def stable_id(*parts: object) -> str:
    """A short deterministic id from the parts that identify a record in its source."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def localize(naive: datetime, zone: tzinfo | None) -> datetime:
    """Read a zone-less export time in the configured zone, or the machine's when unset."""
    if zone is not None:
        return naive.replace(tzinfo=zone)
    return naive.astimezone()


def from_epoch(value: object) -> datetime | None:
    """A UTC datetime from epoch seconds, or None when the value is not a number or no time
    (NaN, 1e20, 5,000 digits)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_iso(value: object) -> datetime | None:
    """A datetime from an ISO-8601 string ('Z' accepted), or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Section:
    """A slice of a document: the lines under one heading."""

    heading_path: tuple[str, ...]
    line_start: int
    lines: tuple[str, ...]

    @property
    def line_end(self) -> int:
        """The 1-based last line of the section."""
        return self.line_start + len(self.lines) - 1


@dataclass
class Extracted:
    """What a parser made of one file: messages or doc sections, plus problems."""

    format: str
    kind: str
    messages: list[Message] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
