"""JSON loading that remembers where every object starts, for `path:line` citations.

Loading never lets one record sink a file: numbers too long for `int` become floats, lone
surrogate escapes become U+FFFD, a value nested deeper than MAX_DEPTH is dropped with a
problem, and a list of records cut short keeps the records before the cut. An export that is
one object (Telegram's result.json, Meta's message_1.json) cut short keeps what came before the
cut, its open lists and objects closed there.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from json.decoder import JSONArray, JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any

from chatx.ingest.textio import line_starts
from chatx.models import SURROGATE, Problem, repair_text
from chatx.problems import ProblemCode, make_problem

MAX_DEPTH = 100
"""Deepest nesting kept; real exports stay under 20 levels, and Python's parser recurses."""

_HIGH = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LOW = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_BRACKET = re.compile(r"[{}\[\]]")
_CUT_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)
_CUT_TRIES = 16  # places, newest first, where a cut-short object is closed and parsed again
_CLOSE = {"[": "]", "{": "}"}


def parse_int(digits: str) -> int | float:
    """An integer literal; past Python's digit limit a float (±inf), not an error."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def loads(text: str) -> Any:
    """`json.loads` (C speed) with the same repairs as PositionedJSON, for one JSONL line.

    Raises JSONDecodeError, also for nesting too deep to parse.
    """
    try:
        value = json.loads(text, parse_int=parse_int)
    except RecursionError as exc:
        raise json.JSONDecodeError("nesting too deep", text, 0) from exc
    return repair_strings(value) if lone_surrogate_escape(text) else value


def lone_surrogate_escape(text: str) -> bool:
    """True when `text` escapes a UTF-16 surrogate that is not half of a pair (json decodes a
    pair into its character, a lone one into a lone surrogate)."""
    candidates = sorted(
        index for marker in ("\\ud", "\\uD") for index in _occurrences(text, marker)
    )
    paired = -1
    for index in candidates:
        if index == paired:
            continue
        if _HIGH.match(text, index) and _LOW.match(text, index + 6):
            paired = index + 6
        elif _HIGH.match(text, index) or _LOW.match(text, index):
            return True
    return False


def _occurrences(text: str, marker: str) -> Iterator[int]:
    index = text.find(marker)
    while index != -1:
        yield index
        index = text.find(marker, index + 1)


def repair_strings(value: Any) -> Any:
    """`value` with every string in it (keys too) free of lone surrogates, repaired in place
    so that object identities (and so `line_of`) are kept."""
    if isinstance(value, str):
        return repair_text(value)
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(SURROGATE.search(key) for key in item):
                pairs = [(repair_text(key), val) for key, val in item.items()]
                item.clear()
                item.update(pairs)
            keys: Any = list(item)
        elif isinstance(item, list):
            keys = range(len(item))
        else:
            continue
        for key in keys:
            child = item[key]
            if isinstance(child, str):
                item[key] = repair_text(child)
            elif isinstance(child, dict | list):
                stack.append(child)
    return value


class PositionedJSON:
    """A parsed JSON document plus the 1-based start line of each of its objects.

    `problems` lists what loading had to drop. With `salvage`, a top-level list that breaks
    part-way keeps the items before the break (a truncated export keeps what it has), and
    `line_of_item` knows the line of each of its items.
    """

    def __init__(self, text: str, source: str = "", salvage: bool = False) -> None:
        self.problems: list[Problem] = []
        self._source = source
        self._starts: dict[int, int] = {}
        self._item_starts: list[int] = []
        self._text = text
        self._line_starts: list[int] | None = None
        self._depth = 0
        decoder = json.JSONDecoder(parse_int=parse_int)
        decoder.parse_object = self._nested(JSONObject)  # type: ignore[attr-defined]
        decoder.parse_array = self._nested(JSONArray)  # type: ignore[attr-defined]
        scan: Callable[[str, int], tuple[Any, int]] = py_make_scanner(decoder)
        start = _skip_space(text, 1 if text.startswith("\ufeff") else 0)
        fast = self._fast(text, start)
        if fast is not None:
            self.value: Any = fast[0]
        elif salvage and text.startswith("[", start):
            self.value = self._salvage_list(text, start + 1, scan)
        else:
            try:
                self.value, end = self._scan(scan, text, start)
                self._expect_end(text, end)
            except json.JSONDecodeError as exc:
                if not salvage or exc.msg == "Extra data" or not text.startswith("{", start):
                    raise
                self.value = self._salvage_object(text, start, scan, exc)
        if lone_surrogate_escape(text):
            self.value = repair_strings(self.value)

    def _fast(self, text: str, start: int) -> tuple[Any] | None:
        """The document parsed at C speed, each object's start taken from one scan of the
        braces (the C parser builds objects in the order they close); None when it needs the
        careful path: a brace inside a string, a syntax error, nesting too deep."""
        starts = _starts_in_closing_order(text, start)
        if starts is None:
            return None
        closing = iter(starts)

        def remember(obj: dict[str, Any]) -> dict[str, Any]:
            self._starts[id(obj)] = next(closing)
            return obj

        decoder = json.JSONDecoder(object_hook=remember)
        try:
            value, end = decoder.raw_decode(text, start)
            self._expect_end(text, end)
        except (ValueError, RecursionError, StopIteration):  # ValueError: an int too long
            self._starts.clear()
            return None
        if next(closing, None) is not None:  # a "{" inside a string: counted, never built
            self._starts.clear()
            return None
        if isinstance(value, list):
            if not all(isinstance(item, dict) for item in value):
                self._starts.clear()
                return None
            self._item_starts = [self._starts[id(item)] for item in value]
        return (value,)

    def line_of(self, obj: object, default: int = 1) -> int:
        """The 1-based line on which `obj` (an object of this document) starts."""
        offset = self._starts.get(id(obj))
        if offset is None:
            return default
        return self._line(offset)

    def line_of_item(self, index: int) -> int:
        """The 1-based line on which item `index` of a top-level list starts (any type)."""
        if 0 <= index < len(self._item_starts):
            return self._line(self._item_starts[index])
        return 1

    def _line(self, offset: int) -> int:
        if self._line_starts is None:
            self._line_starts = line_starts(self._text)
        return bisect.bisect_right(self._line_starts, offset)

    def _nested(self, parse: Callable[..., tuple[Any, int]]) -> Callable[..., tuple[Any, int]]:
        """A JSONObject/JSONArray that counts depth and drops what lies too deep."""

        def parse_nested(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            text, end = s_and_end
            if self._depth >= MAX_DEPTH:
                line = self._line(end - 1)
                self.problems.append(
                    make_problem(
                        ProblemCode.PARSE_ERROR,
                        f"line {line}: value nested deeper than {MAX_DEPTH} levels dropped",
                        f"{self._source}:{line}",
                    )
                )
                return None, _skip_value(text, end - 1)
            self._depth += 1
            try:
                value, stop = parse(s_and_end, *args)
            finally:
                self._depth -= 1
            if isinstance(value, dict):
                self._starts[id(value)] = end - 1
            return value, stop

        return parse_nested

    @staticmethod
    def _scan(
        scan: Callable[[str, int], tuple[Any, int]], text: str, index: int
    ) -> tuple[Any, int]:
        try:
            return scan(text, index)
        except StopIteration as exc:
            raise json.JSONDecodeError("Expecting value", text, exc.value) from None

    @staticmethod
    def _expect_end(text: str, end: int) -> None:
        end = _skip_space(text, end)
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)

    def _salvage_list(
        self, text: str, index: int, scan: Callable[[str, int], tuple[Any, int]]
    ) -> list[Any]:
        items: list[Any] = []
        index = _skip_space(text, index)
        if text.startswith("]", index):
            self._expect_end(text, index + 1)
            return items
        while True:
            self._item_starts.append(index)
            try:
                item, index = self._scan(scan, text, index)
                items.append(item)
                index = _skip_space(text, index)
                if text.startswith("]", index):
                    self._expect_end(text, index + 1)
                    return items
                if not text.startswith(",", index):
                    raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
            except json.JSONDecodeError as exc:
                if not items:
                    raise
                self.problems.append(
                    make_problem(
                        ProblemCode.PARSE_ERROR,
                        f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
                        f"the {len(items)} records before it are kept",
                        f"{self._source}:{exc.lineno}",
                    )
                )
                return items
            index = _skip_space(text, index + 1)

    def _salvage_object(
        self,
        text: str,
        start: int,
        scan: Callable[[str, int], tuple[Any, int]],
        error: json.JSONDecodeError,
    ) -> Any:
        """The object cut short at `error`, closed after its last complete member."""
        for cut, closing in _cuts(text, start, error.pos):
            self._starts.clear()
            try:
                value, _ = self._scan(scan, text[:cut] + closing, start)
            except json.JSONDecodeError:
                continue
            self.problems.append(
                make_problem(
                    ProblemCode.PARSE_ERROR,
                    f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}; "
                    "the file is cut short there: what came before it is kept",
                    f"{self._source}:{error.lineno}",
                )
            )
            return value
        raise error


def _starts_in_closing_order(text: str, start: int) -> list[int] | None:
    """Where each object starts, in the order the objects close; None when the brackets do not
    pair up or nest deeper than MAX_DEPTH (then a string holds one, or the text is broken)."""
    opened: list[tuple[str, int]] = []
    starts: list[int] = []
    for match in _BRACKET.finditer(text, start):
        token = match.group()
        if token in "{[":
            opened.append((token, match.start()))
            if len(opened) > MAX_DEPTH:
                return None
        elif not opened or opened[-1][0] != ("{" if token == "}" else "["):
            return None
        else:
            kind, begin = opened.pop()
            if kind == "{":
                starts.append(begin)
    return None if opened else starts


def _cuts(text: str, start: int, stop: int) -> list[tuple[int, str]]:
    """Where the text before `stop` can end: after the member or item before each of the last
    commas, with the brackets still open there closed. Newest first."""
    stack: list[str] = []
    cuts: list[tuple[int, str]] = []
    for match in _CUT_TOKEN.finditer(text, start, stop):
        token = match.group()
        if token in _CLOSE:
            stack.append(_CLOSE[token])
        elif token in ("]", "}"):
            if stack:
                stack.pop()
        elif token == ",":
            cuts.append((match.start(), "".join(reversed(stack))))
            if len(cuts) > 4 * _CUT_TRIES:
                del cuts[:-_CUT_TRIES]
    return cuts[::-1][:_CUT_TRIES]


def _skip_space(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _skip_value(text: str, start: int) -> int:
    """The end of the array or object that starts at `start`, found without parsing it."""
    depth = 0
    for match in _TOKEN.finditer(text, start):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
        elif token in ("]", "}"):
            depth -= 1
            if depth == 0:
                return match.end()
    raise json.JSONDecodeError("Unterminated nested value", text, start)
