"""The text of an iMessage `attributedBody`: an NSAttributedString in Apple's typedstream format.

Only the string is read, not the attributes (fonts, links, mentions): the first NSString of the
stream, written as a '+' typed value (a length, then UTF-8 bytes). A full decoder such as
pytypedstream reads the same text but takes ~300 µs a blob, too slow for a million messages.
"""

from __future__ import annotations

HEADER = b"\x04\x0bstreamtyped"
_STRING_CLASS = b"NSString"
_STRING_VALUE = b"\x84\x01+"  # a new shared type encoding of length 1: '+', bytes follow
_SEARCH_WINDOW = 16  # the class version and superclass reference sit between the two
_INT16 = 0x81
_INT32 = 0x82


class TypedStreamError(ValueError):
    """A typedstream whose string cannot be read (truncated or damaged)."""


def is_typedstream(blob: bytes) -> bool:
    """True when `blob` starts like a typedstream archive."""
    return blob.startswith(HEADER)


def attributed_text(blob: bytes) -> str | None:
    """The text of an archived NSAttributedString, None when `blob` is no typedstream or
    holds no string; TypedStreamError when the string is cut off or malformed."""
    if not is_typedstream(blob):
        return None
    found = blob.find(_STRING_CLASS, len(HEADER))
    if found < 0:
        return None
    after_class = found + len(_STRING_CLASS)
    marker = blob.find(_STRING_VALUE, after_class, after_class + _SEARCH_WINDOW)
    if marker < 0:
        raise TypedStreamError("no string value after the NSString class")
    start, length = _length(blob, marker + len(_STRING_VALUE))
    data = blob[start : start + length]
    if len(data) < length:
        raise TypedStreamError(f"string of {length} bytes cut off after {len(data)}")
    return data.decode("utf-8", "replace")


def _length(blob: bytes, at: int) -> tuple[int, int]:
    """Where the string's bytes start, and how many there are."""
    if at >= len(blob):
        raise TypedStreamError("stream ends before the string's length")
    tag = blob[at]
    if tag < 0x80:
        return at + 1, tag
    size = {_INT16: 2, _INT32: 4}.get(tag)
    if size is None or at + 1 + size > len(blob):
        raise TypedStreamError(f"unreadable string length (tag 0x{tag:02x})")
    return at + 1 + size, int.from_bytes(blob[at + 1 : at + 1 + size], "little")
