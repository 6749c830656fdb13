"""Ingestion: detect a file's format from its content and parse it into messages or sections."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from chatx.ingest import chatgpt, claude_ai, claude_code, docs, whatsapp
from chatx.ingest.common import Extracted, Section
from chatx.ingest.jsonpos import PositionedJSON
from chatx.ingest.textio import decode_bytes, split_lines
from chatx.problems import ChatxError, ProblemCode

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

    `source` is the workspace-relative name used in citations.
    """
    data = read_source(path, source) if data is None else data
    return extract_text(decode_bytes(data, source).text, source, zone, fmt, path.suffix.lower())


def extract_text(
    text: str, source: str, zone: tzinfo | None = None, fmt: str = "auto", suffix: str = ""
) -> Extracted:
    """Parse already-decoded text; the format is detected from content unless `fmt` names it."""
    if not text.strip():
        raise ChatxError.of(ProblemCode.INVALID_INPUT, "empty file", source)
    if fmt not in FORMATS:
        raise ChatxError.of(ProblemCode.INVALID_INPUT, f"unknown format '{fmt}'", source)
    lines = split_lines(text)
    if fmt == "auto":
        fmt = detect(text, lines, suffix, source)
    parser = _PARSERS[fmt]
    return parser(text, lines, source, zone)


def detect(text: str, lines: list[str], suffix: str, source: str) -> str:
    """Name the format of a text from its content, using the suffix only to break ties."""
    if whatsapp.looks_like_whatsapp(lines):
        return "whatsapp"
    if text.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):
        return _detect_json(text, lines, source)
    if suffix in (".md", ".markdown") or (
        suffix in (".txt", "") and docs.looks_like_markdown(lines)
    ):
        return "markdown"
    if suffix == ".rst" or (suffix in (".txt", "") and docs.looks_like_rst(lines)):
        return "rst"
    if suffix in DOC_SUFFIXES:
        return DOC_SUFFIXES[suffix]
    raise ChatxError.of(ProblemCode.UNSUPPORTED_FORMAT, f"no parser for '{suffix}' files", source)


def _detect_json(text: str, lines: list[str], source: str) -> str:
    first = next((line for line in lines if line.strip()), "")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if first.strip() != text.strip() and _first_record_is_session(first):
            return "claude-code"
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR,
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            f"{source}:{exc.lineno}",
        ) from exc
    if isinstance(value, dict) and isinstance(value.get("loglines"), list):
        return "claude-code"
    if claude_code.looks_like_claude_code(value):
        return "claude-code"
    if chatgpt.looks_like_chatgpt(value):
        return "chatgpt"
    if claude_ai.looks_like_claude_ai(value):
        return "claude"
    raise ChatxError.of(ProblemCode.UNSUPPORTED_FORMAT, "JSON of no known export shape", source)


def _first_record_is_session(line: str) -> bool:
    try:
        return claude_code.looks_like_claude_code(json.loads(line))
    except json.JSONDecodeError:
        return False


def _claude_code(text: str, lines: list[str], source: str, _zone: tzinfo | None) -> Extracted:
    if text.lstrip("\ufeff \t\r\n").startswith("{") and '"loglines"' in text[:2000]:
        try:
            doc = PositionedJSON(text)
        except json.JSONDecodeError:
            doc = None
        if doc is not None and isinstance(doc.value, dict):
            records = doc.value.get("loglines") or []
            return claude_code.parse_loglines(((doc.line_of(r), r) for r in records), source)
    return claude_code.parse_jsonl(lines, source)


def _positioned(text: str, source: str) -> PositionedJSON:
    try:
        doc = PositionedJSON(text)
    except json.JSONDecodeError as exc:
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR, f"invalid JSON: {exc.msg}", f"{source}:{exc.lineno}"
        ) from exc
    if not isinstance(doc.value, list):
        raise ChatxError.of(ProblemCode.PARSE_ERROR, "expected a list of conversations", source)
    return doc


_Parser = Callable[[str, list[str], str, tzinfo | None], Extracted]
_PARSERS: dict[str, _Parser] = {
    "whatsapp": lambda _t, lines, src, zone: whatsapp.parse_whatsapp(lines, src, zone),
    "claude-code": _claude_code,
    "chatgpt": lambda text, _l, src, _z: chatgpt.parse_chatgpt(_positioned(text, src), src),
    "claude": lambda text, _l, src, _z: claude_ai.parse_claude_ai(_positioned(text, src), src),
    "markdown": lambda _t, lines, _s, _z: docs.parse_markdown(lines),
    "rst": lambda _t, lines, _s, _z: docs.parse_rst(lines),
    "text": lambda _t, lines, _s, _z: docs.parse_text(lines),
}
