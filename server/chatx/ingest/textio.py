"""Turning bytes into text: BOMs, UTF-8, a Latin-1 fallback, and binary detection."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from chatx.problems import ChatxError, ProblemCode

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")


@dataclass(frozen=True)
class DecodedText:
    """Text read from a file and the encoding it was read with."""

    text: str
    encoding: str


def decode_bytes(data: bytes, path: str) -> DecodedText:
    """Decode a file's bytes, raising a Problem for binary data and private keys.

    A BOM decides the encoding; otherwise UTF-8, and failing that Latin-1 (every byte
    sequence is valid Latin-1, so legacy exports still ingest rather than fail).
    """
    decoded = _decode(data, path)
    if _PRIVATE_KEY.search(decoded.text[:65536]):
        raise ChatxError.of(
            ProblemCode.UNSUPPORTED_FORMAT, "contains private key material; never indexed", path
        )
    return decoded


def _decode(data: bytes, path: str) -> DecodedText:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise ChatxError.of(
                    ProblemCode.PARSE_ERROR, f"invalid {encoding} text: {exc}", path
                ) from exc
    if b"\x00" in data[:8192]:
        raise ChatxError.of(ProblemCode.UNSUPPORTED_FORMAT, "binary file (NUL bytes)", path)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return DecodedText(data.decode("latin-1"), "latin-1")


def split_lines(text: str) -> list[str]:
    """Split on LF, CRLF or CR, dropping the terminators."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def line_starts(text: str) -> list[int]:
    """Offsets at which each line of `text` starts, for offset -> line lookups."""
    starts = [0]
    index = text.find("\n")
    while index != -1:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts
