"""Ingestion: detect a file's format from its content and parse it into messages or sections."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from chatx.ingest import chatgpt, claude_ai, claude_code, docs, whatsapp
from chatx.ingest.common import Extracted, Section, as_list
from chatx.ingest.jsonpos import PositionedJSON, loads
from chatx.ingest.textio import decode_bytes, split_lines
from chatx.models import repair_text
from chatx.problems import ChatxError, ProblemCode, make_problem

__all__ = ["FORMATS", "Extracted", "Section", "extract", "extract_text", "read_source"]

FORMATS = ("auto", "whatsapp", "claude-code", "chatgpt", "claude", "markdown", "rst", "text")
DOC_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".txt": "text",
    ".text": "text",
    "": "text",
}


def read_source(path: Path, source: str) -> bytes:
    """The bytes of a file, or a Problem saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT, f"cannot read file: {exc.strerror}", source
        ) from exc


def extract(
    path: Path,
    source: str,
    zone: tzinfo | None = None,
    fmt: str = "auto",
    data: bytes | None = None,
) -> Extracted:
    """Read `path` (unless its bytes are given) and parse it.

    `source` is the workspace-relative name used in citations. Lines that were not valid
    text are repaired and reported as the first problem of the result.
    """
    data = read_source(path, source) if data is None else data
    decoded = decode_bytes(data, source)
    result = extract_text(decoded.text, source, zone, fmt, path.suffix.lower())
    problem = decoded.problem(source)
    if problem is not None:
        result.problems.insert(0, problem)
    return result


def extract_text(
    text: str, source: str, zone: tzinfo | None = None, fmt: str = "auto", suffix: str = ""
) -> Extracted:
    """Parse already-decoded text; the format is detected from content unless `fmt` names it.

    A file-level problem (no known format, not JSON at all) raises ChatxError; a bad record
    is a problem in the result and the rest of the file is still parsed.
    """
    if not text.strip():
        raise ChatxError.of(ProblemCode.INVALID_INPUT, "empty file", source)
    if fmt not in FORMATS:
        raise ChatxError.of(ProblemCode.INVALID_INPUT, f"unknown format '{fmt}'", source)
    source_text = _Source(repair_text(text), source, zone)
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
    lines: list[str] = field(init=False)
    _doc: PositionedJSON | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.lines = split_lines(self.text)

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
    if whatsapp.looks_like_whatsapp(source.lines):
        return "whatsapp"
    if source.text.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):
        return _detect_json(source)
    if suffix in (".md", ".markdown") or (
        suffix in (".txt", "") and docs.looks_like_markdown(source.lines)
    ):
        return "markdown"
    if suffix == ".rst" or (suffix in (".txt", "") and docs.looks_like_rst(source.lines)):
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
        if _is_session_log(source.lines):
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
    raise ChatxError.of(
        ProblemCode.UNSUPPORTED_FORMAT, "JSON of no known export shape", source.name
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
    text = source.text
    if text.lstrip("\ufeff \t\r\n").startswith("{") and '"loglines"' in text[:2000]:
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


_PARSERS: dict[str, Callable[[_Source], Extracted]] = {
    "whatsapp": lambda s: whatsapp.parse_whatsapp(s.lines, s.name, s.zone),
    "claude-code": _claude_code,
    "chatgpt": lambda s: chatgpt.parse_chatgpt(_conversations(s), s.name),
    "claude": lambda s: claude_ai.parse_claude_ai(_conversations(s), s.name),
    "markdown": lambda s: docs.parse_markdown(s.lines),
    "rst": lambda s: docs.parse_rst(s.lines),
    "text": lambda s: docs.parse_text(s.lines),
}
