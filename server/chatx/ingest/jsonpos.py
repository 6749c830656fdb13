"""JSON loading that remembers where every object starts, for `path:line` citations."""

from __future__ import annotations

import bisect
import json
from json.decoder import JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any

from chatx.ingest.textio import line_starts


class PositionedJSON:
    """A parsed JSON document plus the 1-based start line of each of its objects."""

    def __init__(self, text: str) -> None:
        self._starts: dict[int, int] = {}
        decoder = json.JSONDecoder()
        starts = self._starts

        def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[dict[str, Any], int]:
            obj, end = JSONObject(s_and_end, *args)
            starts[id(obj)] = s_and_end[1] - 1
            return obj, end

        decoder.parse_object = parse_object  # type: ignore[attr-defined]
        decoder.scan_once = py_make_scanner(decoder)  # type: ignore[attr-defined]
        self.value: Any = decoder.decode(text)
        self._line_starts = line_starts(text)

    def line_of(self, obj: object, default: int = 1) -> int:
        """The 1-based line on which `obj` (an object of this document) starts."""
        offset = self._starts.get(id(obj))
        if offset is None:
            return default
        return bisect.bisect_right(self._line_starts, offset)
