"""Where a citation points: a line range of a text file, a database row, a PDF page, or lines of
a file inside a zip, written the one way every face of ChatX shows it.

The anchor (`SourceRef.anchor`, `ChunkMeta.anchor`) says what a chunk's line numbers count:
None for lines of the file itself, `#message` for a database row id (`chat.db#message=120`),
`#page` for a PDF page (`report.pdf#page=3`), `!/<member>` for lines of a zip member
(`chat.zip!/_chat.txt:12-14`).
"""

from __future__ import annotations

MESSAGE = "#message"
PAGE = "#page"
MEMBER = "!/"


def member_anchor(member: str) -> str:
    """The anchor of lines inside the zip member `member`."""
    return MEMBER + member


def span(start: int, end: int) -> str:
    """`12`, or `12-14` when the range covers more than one unit."""
    return f"{start}" if end <= start else f"{start}-{end}"


def location(source: str, start: int, end: int, anchor: str | None = None) -> str:
    """The citation as people read it: `notes.md:12-14`, `chat.db#message=120`, ..."""
    if anchor in (MESSAGE, PAGE):
        return f"{source}{anchor}={span(start, end)}"
    if anchor and anchor.startswith(MEMBER):
        return f"{source}{anchor}:{span(start, end)}"
    return f"{source}:{span(start, end)}"


def fragment(start: int, anchor: str | None = None) -> str:
    """The URI fragment that opens the cited place: `#L12`, `#page=3` (RFC 8118), `#message=120`;
    empty inside a zip, which an editor opens as a whole."""
    if anchor in (MESSAGE, PAGE):
        return f"{anchor}={start}"
    if anchor and anchor.startswith(MEMBER):
        return ""
    return f"#L{start}"
