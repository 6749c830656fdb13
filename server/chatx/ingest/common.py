"""Types and helpers shared by the format parsers."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from chatx.models import Message, Problem, in_utc_range
from chatx.problems import ChatxError, ProblemCode, make_problem

log = logging.getLogger(__name__)

MAX_PROBLEMS = 100
"""Problems kept per file; the rest are counted, so a file of garbage stays cheap to report."""

_P = ParamSpec("_P")
_T = TypeVar("_T")


def stable_id(*parts: object) -> str:
    """A short deterministic id from the parts that identify a record in its source."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha1(joined.encode("utf-8", "replace"), usedforsecurity=False).hexdigest()[:16]


def localize(naive: datetime, zone: tzinfo | None) -> datetime | None:
    """Read a zone-less export time in the configured zone, or the machine's when unset.

    None when the time does not exist in UTC (a date at the very edge of the calendar).
    """
    try:
        local = naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
    except (OverflowError, ValueError, OSError):
        return None
    return in_utc_range(local)


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
    return in_utc_range(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def as_dict(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """`value` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    """`value` when it is a string, else None."""
    return value if isinstance(value, str) else None


def id_text(value: object) -> str | None:
    """An export's id as text: a non-empty string as it is, an integer as its digits (a hand
    edited file, an older export), anything else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def shown(value: object, limit: int = 40) -> str:
    """A short printable rendering of a JSON value for a problem's detail."""
    text = repr(value) if not isinstance(value, float) else f"{value:g}"
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def type_name(value: object) -> str:
    """The JSON name of a value's type, as a user reading the export would call it."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


class RecordError(ValueError):
    """A record that cannot become a message; the message says why."""


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
    unlisted_problems: int = 0
    anchor: str | None = None  # the unit of the sections' line numbers (SourceRef.anchor)
    stream: Iterator[Message] | None = field(default=None, repr=False)
    streamed: int = 0

    def iter_messages(self) -> Iterator[Message]:
        """Every message: the list, then (read once) the stream a large database is read
        through, so its messages are never all held at once."""
        yield from self.messages
        if self.stream is not None:
            stream, self.stream = self.stream, None
            for message in stream:
                self.streamed += 1
                yield message

    @property
    def message_count(self) -> int:
        """Messages in the list plus those streamed so far."""
        return len(self.messages) + self.streamed

    def add_problem(
        self, detail: str, instance: str, code: ProblemCode = ProblemCode.PARSE_ERROR
    ) -> None:
        """Record a problem with one record; past MAX_PROBLEMS they are only counted."""
        self.keep(make_problem(code, detail, instance))

    def keep(self, *problems: Problem) -> None:
        """Add problems found while loading the file; past MAX_PROBLEMS they are counted."""
        for problem in problems:
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(problem)
            else:
                self.unlisted_problems += 1

    def guard(
        self, where: str, label: str, build: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T | None:
        """`build(*args, **kwargs)`, or None and a problem at `where` when the record is bad.

        Whatever a record's own data makes a parser raise is that record's problem, never
        the file's: the rest of the file is still read.
        """
        try:
            return build(*args, **kwargs)
        except RecordError as exc:
            self.add_problem(f"{label}: {exc}", where)
        except Exception as exc:  # a record of a shape no parser expects
            log.debug("malformed record at %s", where, exc_info=True)
            reason = (str(exc).splitlines() or [""])[0][:200]
            error = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
            self.add_problem(f"{label}: malformed record ({error})", where)
        return None


def read_source(path: Path, source: str) -> bytes:
    """The bytes of a file, or a Problem saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT, f"cannot read file: {exc.strerror}", source
        ) from exc
