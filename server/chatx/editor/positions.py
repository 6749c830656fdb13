"""Positions between the server's text and the client's: Python strings count code points,
the client counts code units of the position encoding negotiated at `initialize` (UTF-16
unless the client offered UTF-8 or UTF-32 and the server chose it).

Every conversion between the two goes through this module; `encoding` is the negotiated
`PositionEncodingKind` (None or an unknown kind count as UTF-16, as in pygls).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from lsprotocol import types

UTF8 = types.PositionEncodingKind.Utf8
UTF16 = types.PositionEncodingKind.Utf16
UTF32 = types.PositionEncodingKind.Utf32


class TextPosition(NamedTuple):
    """A position in the server's text: 0-based line and code-point column."""

    line: int
    character: int


def _codec(encoding: str | None) -> tuple[str, int]:
    """The Python codec and bytes per code unit of a non-UTF-32 encoding."""
    return ("utf-8", 1) if encoding == UTF8 else ("utf-16-le", 2)


def client_column(line: str, column: int, encoding: str | None) -> int:
    """Code-point `column` of `line` in the client's code units, without a loop over the
    characters."""
    prefix = line[:column]
    if prefix.isascii() or encoding == UTF32:
        return len(prefix)
    codec, width = _codec(encoding)
    return len(prefix.encode(codec, "surrogatepass")) // width


def server_column(line: str, character: int, encoding: str | None) -> int:
    """The code-point column of the client's `character` on `line`: a position inside a
    character counts as after it, one beyond the line's text as its end (before the break)."""
    text = line.rstrip("\r\n")
    if encoding == UTF32 or text.isascii():
        return max(0, min(character, len(text)))
    codec, width = _codec(encoding)
    units = max(0, character) * width
    head = text.encode(codec, "surrogatepass")[:units].decode(codec, "ignore")
    column = len(head)
    if column < len(text) and len(head.encode(codec, "surrogatepass")) < units:
        column += 1
    return column


def server_position(
    lines: Sequence[str], position: types.Position, encoding: str | None
) -> TextPosition:
    """A client position in the server's text; past the last line, the end of the text."""
    if not lines:
        return TextPosition(0, 0)
    if position.line >= len(lines):
        return TextPosition(len(lines) - 1, len(lines[-1]))
    return TextPosition(
        position.line, server_column(lines[position.line], position.character, encoding)
    )


def client_position(
    lines: Sequence[str], line: int, column: int, encoding: str | None
) -> types.Position:
    """Code-point `column` of `line` as a client position."""
    if line >= len(lines):
        return types.Position(len(lines), 0)
    return types.Position(line, client_column(lines[line], column, encoding))


def line_end(lines: Sequence[str], line: int, encoding: str | None) -> types.Position:
    """The client position at the end of `line`'s text, before its line break."""
    text = lines[line].rstrip("\r\n") if line < len(lines) else ""
    return client_position(lines, line, len(text), encoding)


def client_span(
    lines: Sequence[str], line: int, start: int, end: int, encoding: str | None
) -> types.Range:
    """The client range of code-point columns `start..end` of one line."""
    return types.Range(
        client_position(lines, line, start, encoding), client_position(lines, line, end, encoding)
    )


def text_in_range(lines: Sequence[str], where: types.Range, encoding: str | None) -> str:
    """The text a client range covers."""
    start = server_position(lines, where.start, encoding)
    end = server_position(lines, where.end, encoding)
    if not lines or end <= start:
        return ""
    if start.line == end.line:
        return lines[start.line][start.character : end.character]
    middle = "".join(lines[start.line + 1 : end.line])
    return lines[start.line][start.character :] + middle + lines[end.line][: end.character]
