"""Chat exports built in tests, for the parser and index robustness cases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def chatgpt_conv(
    number: int, second: dict[str, Any] | None = None, question: str | None = None
) -> dict[str, Any]:
    """A ChatGPT conversation of two messages: the user's `question` (default `question N`)
    and an answer; `second` replaces fields of the answer's message."""
    reply = {
        "id": f"b{number}",
        "author": {"role": "assistant"},
        "create_time": 1700000001,
        "content": {"content_type": "text", "parts": [f"answer {number}"]},
    }
    reply.update(second or {})
    return {
        "title": f"t{number}",
        "conversation_id": f"c{number}",
        "mapping": {
            "a": {
                "id": "a",
                "parent": None,
                "children": ["b"],
                "message": {
                    "id": f"a{number}",
                    "author": {"role": "user"},
                    "create_time": 1700000000,
                    "content": {
                        "content_type": "text",
                        "parts": [question if question is not None else f"question {number}"],
                    },
                },
            },
            "b": {"id": "b", "parent": "a", "children": [], "message": reply},
        },
    }


IMAGE_ONLY = b"q 100 0 0 100 72 600 cm /Im1 Do Q"  # a scanned page: an image, no text
PAGE_OBJECTS = 7  # page n is object PAGE_OBJECTS + 2(n-1), its content stream the next one


def pdf_text(*lines: str) -> bytes:
    """A content stream showing `lines` in Helvetica, one under the other."""
    shown = " 0 -14 Td ".join(f"({line}) Tj" for line in lines)
    return f"BT /F1 12 Tf 72 720 Td {shown} ET".encode("latin-1")


def build_pdf(
    contents: Sequence[bytes],
    *,
    title: bytes | None = None,
    to_unicode: bytes | None = None,
    stream_entries: Mapping[int, bytes] | None = None,
) -> bytes:
    """A minimal valid PDF 1.4, one page per content stream, with an exact xref table.

    Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 a 1x1 image, 5 /Info, 6 the font's
    /ToUnicode CMap (or an unused dictionary), then a page and its content for each page.
    `stream_entries` adds dictionary entries (a /Filter) to the content of page n.
    """
    kids = " ".join(f"{PAGE_OBJECTS + 2 * i} 0 R" for i in range(len(contents)))
    unicode_ref = b" /ToUnicode 6 0 R" if to_unicode is not None else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica" + unicode_ref + b" >>",
        _stream(
            b"\x80",
            b"/Type /XObject /Subtype /Image /Width 1 /Height 1"
            b" /ColorSpace /DeviceGray /BitsPerComponent 8",
        ),
        b"<< /Title " + title + b" >>" if title is not None else b"<< >>",
        _stream(to_unicode) if to_unicode is not None else b"<< >>",
    ]
    for index, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources"
            b" << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_OBJECTS + 2 * index + 1)
        )
        objects.append(_stream(content, (stream_entries or {}).get(index + 1, b"")))
    return _serialize(objects)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)


def _serialize(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
