"""Ingestion: detect a file's format from its content and parse it into messages or sections.

Text exports are decoded and detected from their text; a SQLite database (iMessage), a PDF and a
zip (or a folder of one export) are recognised from their first bytes and read by their own
readers (`containers`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from chatx.formats import FORMATS, PLATFORMS
from chatx.ingest import (
    chatgpt,
    claude_ai,
    claude_code,
    containers,
    discord,
    docs,
    meta,
    slack,
    telegram,
    whatsapp,
)
from chatx.ingest.common import Extracted, Section, as_list, read_source
from chatx.ingest.jsonpos import PositionedJSON, loads
from chatx.ingest.textio import decode_bytes, split_lines
from chatx.models import repair_text
from chatx.problems import ChatxError, ProblemCode, make_problem

__all__ = [
    "FORMATS",
    "PLATFORMS",
    "Extracted",
    "Section",
    "extract",
    "extract_path",
    "extract_text",
    "read_source",
]

DOC_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".txt": "text",
    ".text": "text",
    "": "text",
}
_HEAD_LINES = 201  # detection reads at most the first 200 lines (and the one after the 200th)
_HEAD_CHARS = 256 * 1024
_OPENING = re.compile(r"[\ufeff \t\r\n]*(.)", re.DOTALL)
_BINARY_FORMATS = {"sqlite": "imessage", "pdf": "pdf", "zip": None}


def extract(
    path: Path,
    source: str,
    zone: tzinfo | None = None,
    fmt: str = "auto",
    data: bytes | None = None,
    stream: bool = False,
) -> Extracted:
    """Read `path` (unless its bytes are given) and parse it.

    `source` is the workspace-relative name used in citations. Lines that were not valid
    text are repaired and reported as the first problem of the result. A database, PDF or zip
    is read by its own reader; `data` may then be omitted so a large file is never loaded whole,
    and with `stream` a database's messages come through `Extracted.iter_messages` only.
    """
    if fmt not in FORMATS:
        raise ChatxError.of(ProblemCode.INVALID_INPUT, f"unknown format '{fmt}'", source)
    kind = containers.sniff(path, data)
    if kind is not None:
        expected = _BINARY_FORMATS[kind]
        if fmt not in ("auto", expected) and expected is not None:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT, f"a {kind} file, not a {fmt} export", source
            )
        return containers.extract_binary(kind, path, source, zone, data, extract_bytes, stream)
    data = read_source(path, source) if data is None else data
    return extract_bytes(data, source, zone, fmt, path)


def extract_bytes(
    data: bytes, source: str, zone: tzinfo | None, fmt: str = "auto", path: Path | None = None
) -> Extracted:
    """`extract` for bytes already read (a file, or a member of a zip named `source`)."""
    decoded = decode_bytes(data, source)
    suffix = path.suffix.lower() if path is not None else Path(source).suffix.lower()
    result = extract_text(decoded.text, source, zone, fmt, suffix, path)
    problem = decoded.problem(source)
    if problem is not None:
        result.problems.insert(0, problem)
    return result


def extract_path(path: Path, source: str, zone: tzinfo | None = None) -> Extracted:
    """`extract` for a file, or for a folder holding one export (an iPhone backup, a Slack or
    Telegram export, a Meta download): every conversation found inside, merged."""
    if path.is_dir():
        return containers.extract_folder(path, source, zone, extract_bytes)
    return extract(path, source, zone)


def extract_text(
    text: str,
    source: str,
    zone: tzinfo | None = None,
    fmt: str = "auto",
    suffix: str = "",
    path: Path | None = None,
) -> Extracted:
    """Parse already-decoded text; the format is detected from content unless `fmt` names it.

    A file-level problem (no known format, not JSON at all) raises ChatxError; a bad record
    is a problem in the result and the rest of the file is still parsed. `path`, when given,
    lets a file find the rest of its export (a Slack day file, its users).
    """
    if not text.strip():
        raise ChatxError.of(ProblemCode.INVALID_INPUT, "empty file", source)
    if fmt not in FORMATS or fmt in _BINARY_FORMATS.values():
        raise ChatxError.of(ProblemCode.INVALID_INPUT, f"unknown format '{fmt}'", source)
    source_text = _Source(repair_text(text), source, zone, path)
    if fmt == "auto":
        fmt = _detect(source_text, suffix)
    result = _PARSERS[fmt](source_text)
    if result.unlisted_problems:
        result.problems.append(
            make_problem(
                ProblemCode.PARSE_ERROR,
                f"{result.unlisted_problems} more problems in this file are not listed",
                source,
            )
        )
    return result


@dataclass
class _Source:
    """The text of one file, its lines, and its JSON document once something parsed it."""

    text: str
    name: str
    zone: tzinfo | None
    path: Path | None = None
    _doc: PositionedJSON | None = field(default=None, init=False)

    @functools.cached_property
    def lines(self) -> list[str]:
        """Every line (the line-based parsers read them; JSON and HTML ones never do)."""
        return split_lines(self.text)

    @functools.cached_property
    def opening(self) -> str:
        """The first character after any BOM and blank space ("" for none): `[` or `{` for
        JSON. Found without copying the text."""
        match = _OPENING.match(self.text)
        return match.group(1) if match else ""

    @functools.cached_property
    def head(self) -> list[str]:
        """The first lines, as many as detecting a format looks at."""
        chunk = self.text[:_HEAD_CHARS]
        lines = split_lines(chunk)
        if len(lines) > _HEAD_LINES or len(chunk) == len(self.text):
            return lines[:_HEAD_LINES]  # the last line kept is whole: another follows it
        return self.lines[:_HEAD_LINES]

    def doc(self) -> PositionedJSON:
        """The whole text as JSON (a list cut short keeps its complete items), or a Problem."""
        if self._doc is None:
            try:
                self._doc = PositionedJSON(self.text, self.name, salvage=True)
            except (json.JSONDecodeError, RecursionError) as exc:
                line, column, reason = _where(exc)
                raise ChatxError.of(
                    ProblemCode.PARSE_ERROR,
                    f"invalid JSON at line {line} column {column}: {reason}",
                    f"{self.name}:{line}",
                ) from exc
        return self._doc


def _where(exc: Exception) -> tuple[int, int, str]:
    if isinstance(exc, json.JSONDecodeError):
        return exc.lineno, exc.colno, exc.msg
    return 1, 1, "nesting too deep"


def _detect(source: _Source, suffix: str) -> str:
    """Name the format of a text from its content, using the suffix only to break ties."""
    if whatsapp.looks_like_signal(source.head):
        return "signal"
    if whatsapp.looks_like_whatsapp(source.head):
        return "whatsapp"
    if source.opening in ("[", "{"):
        return _detect_json(source)
    if telegram.looks_like_telegram_html(source.text):
        return "telegram"
    if discord.looks_like_discord_csv(source.head):
        return "discord"
    if suffix in (".md", ".markdown") or (
        suffix in (".txt", "") and docs.looks_like_markdown(source.head)
    ):
        return "markdown"
    if suffix == ".rst" or (suffix in (".txt", "") and docs.looks_like_rst(source.head)):
        return "rst"
    if suffix in DOC_SUFFIXES:
        return DOC_SUFFIXES[suffix]
    raise ChatxError.of(
        ProblemCode.UNSUPPORTED_FORMAT, f"no parser for '{suffix}' files", source.name
    )


def _detect_json(source: _Source) -> str:
    try:
        value = source.doc().value
    except ChatxError:
        if _is_session_log(source.head):
            return "claude-code"
        raise
    if isinstance(value, dict) and isinstance(value.get("loglines"), list):
        return "claude-code"
    if claude_code.looks_like_claude_code(value):
        return "claude-code"
    if chatgpt.looks_like_chatgpt(value):
        return "chatgpt"
    if claude_ai.looks_like_claude_ai(value):
        return "claude"
    for name, looks_like in _JSON_SHAPES:
        if looks_like(value):
            return name
    if containers.is_slack_metadata(source.name):
        raise ChatxError.of(
            ProblemCode.UNSUPPORTED_FORMAT,
            "Slack export metadata: read with the export's day files",
            source.name,
        )
    raise ChatxError.of(
        ProblemCode.UNSUPPORTED_FORMAT, "JSON of no known export shape", source.name
    )


_JSON_SHAPES: tuple[tuple[str, Callable[[object], bool]], ...] = (
    ("telegram", telegram.looks_like_telegram),
    ("discord", discord.looks_like_discord),
    ("meta", meta.looks_like_meta),
    ("slack", slack.looks_like_slack_day),
)


def _is_session_log(lines: list[str]) -> bool:
    """True when one of the first records of a JSONL file is a Claude Code session line
    (so a damaged first line does not hide the format)."""
    records = [line for line in lines[:50] if line.strip()][:10]
    if len(records) < 2:
        return False
    for line in records:
        try:
            if claude_code.looks_like_claude_code(loads(line)):
                return True
        except json.JSONDecodeError:
            continue
    return False


def _claude_code(source: _Source) -> Extracted:
    if source.opening == "{" and '"loglines"' in source.text[:2000]:
        try:
            doc = source.doc()
        except ChatxError:
            doc = None
        if doc is not None and isinstance(doc.value, dict):
            records = as_list(doc.value.get("loglines"))
            return claude_code.parse_loglines(
                ((doc.line_of(r), r) for r in records), source.name, doc.problems
            )
    return claude_code.parse_jsonl(source.lines, source.name)


def _conversations(source: _Source) -> PositionedJSON:
    doc = source.doc()
    if not isinstance(doc.value, list):
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR, "expected a list of conversations", source.name
        )
    return doc


def _telegram(source: _Source) -> Extracted:
    if source.opening == "{":
        return telegram.parse_telegram(source.doc(), source.name, source.zone)
    return telegram.parse_telegram_html(source.text, source.name, source.zone)


def _discord(source: _Source) -> Extracted:
    if source.opening == "{":
        return discord.parse_discord(source.doc(), source.name)
    return discord.parse_discord_csv(source.text, source.name, source.zone)


def _slack(source: _Source) -> Extracted:
    """A day file of a Slack export; its users and channels come from the export's root."""
    inside = len(Path(source.name).parts) >= 2  # its export root is then inside the workspace
    context, problems = containers.slack_context_near(source.path if inside else None)
    conversation = Path(source.name).parent.name or "slack"
    result = slack.parse_slack_day(source.doc(), source.name, conversation, context)
    result.keep(*problems)
    return result


_PARSERS: dict[str, Callable[[_Source], Extracted]] = {
    "whatsapp": lambda s: whatsapp.parse_whatsapp(s.lines, s.name, s.zone),
    "signal": lambda s: whatsapp.parse_whatsapp(s.lines, s.name, s.zone, whatsapp.SIGNAL),
    "telegram": _telegram,
    "discord": _discord,
    "slack": _slack,
    "meta": lambda s: meta.parse_meta(s.doc(), s.name),
    "instagram": lambda s: meta.parse_meta(s.doc(), s.name),
    "messenger": lambda s: meta.parse_meta(s.doc(), s.name),
    "claude-code": _claude_code,
    "chatgpt": lambda s: chatgpt.parse_chatgpt(_conversations(s), s.name),
    "claude": lambda s: claude_ai.parse_claude_ai(_conversations(s), s.name),
    "markdown": lambda s: docs.parse_markdown(s.lines),
    "rst": lambda s: docs.parse_rst(s.lines),
    "text": lambda s: docs.parse_text(s.lines),
}
