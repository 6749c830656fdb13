"""Undoing mojibake: UTF-8 bytes that an exporter wrote out as Latin-1 or Windows-1252 characters.

Meta's "Download your information" JSON escapes every UTF-8 byte as its own code point
(`"Rados\\u00c5\\u0082aw"` for "Radosław"), and some Telegram tools pass names through
Windows-1252 ("Grace ðŸ§¤" for "Grace 🧤"). Only complete UTF-8 sequences are put back, so a
sequence cut short by the exporter, or a real "é" beside plain letters, stays as it was.
"""

from __future__ import annotations

import re

# The Windows-1252 characters at bytes 0x80-0x9F, which Latin-1 maps to invisible controls.
_CP1252_HIGH = {
    bytes([b]).decode("cp1252"): b
    for b in range(0x80, 0xA0)
    if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
_SUSPECT = re.compile("[\u00c2-\u00f4]")
# One complete UTF-8 multi-byte sequence, written one code point per byte.
_CONT = "[\u0080-\u00bf" + "".join(re.escape(c) for c in _CP1252_HIGH) + "]"
_SEQUENCE = re.compile(
    f"[\u00c2-\u00df]{_CONT}|[\u00e0-\u00ef]{_CONT}{{2}}|[\u00f0-\u00f4]{_CONT}{{3}}"
)


def _byte(char: str) -> int:
    return _CP1252_HIGH.get(char, ord(char))


def _decoded(match: re.Match[str]) -> str:
    raw = bytes(_byte(char) for char in match.group())
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return match.group()


def fix_mojibake(text: str) -> str:
    """`text` with every mis-decoded UTF-8 sequence turned back into its character."""
    if not _SUSPECT.search(text):
        return text
    return _SEQUENCE.sub(_decoded, text)
