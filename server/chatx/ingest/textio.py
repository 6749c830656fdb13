"""Turning bytes into text: BOMs, UTF-8 repaired line by line, and binary detection."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from chatx.models import Problem
from chatx.problems import ChatxError, ProblemCode, make_problem

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 8192
_SHOWN_LINES = 10

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
# C0 controls that text does not contain: all but \t \n \v \f \r and ESC (colour codes in logs)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")

# Signatures of the binary files people keep beside their notes. Signatures made only of
# printable characters ("MZ", "BZh", "ID3") carry a second check, so a text that happens to
# start with those letters is still text.
_MAGIC = tuple(
    (re.compile(pattern, re.DOTALL), kind)
    for pattern, kind in (
        (rb"\x89PNG\r\n\x1a\n", "PNG image"),
        (rb"\xff\xd8\xff", "JPEG image"),
        (rb"GIF8[79]a", "GIF image"),
        (rb"II\*\x00|MM\x00\*", "TIFF image"),
        (rb"RIFF.{4}WEBP", "WebP image"),
        (rb"RIFF.{4}(?:WAVE|AVI )", "RIFF media"),
        (rb"\x00.{3}ftyp", "MP4/QuickTime media"),
        (rb"ID3[\x02-\x04]\x00", "MP3 audio"),
        (rb"OggS\x00", "Ogg media"),
        (rb"fLaC[\x00\x80]", "FLAC audio"),
        (rb"%PDF-", "PDF document"),
        (rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2/legacy Office document"),
        (rb"PK(?:\x03\x04|\x05\x06|\x07\x08)", "ZIP archive"),
        (rb"\x1f\x8b", "gzip archive"),
        (rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)", "bzip2 archive"),
        (rb"\xfd7zXZ\x00", "xz archive"),
        (rb"\x28\xb5\x2f\xfd", "Zstandard archive"),
        (rb"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
        (rb"Rar!\x1a\x07", "RAR archive"),
        (rb".{257}ustar", "tar archive"),
        (rb"SQLite format 3\x00", "SQLite database"),
        (rb"bplist0[0-9]", "binary property list"),
        (rb"\x7fELF", "ELF executable"),
        (rb"(?:\xfe\xed\xfa[\xce\xcf]|[\xce\xcf]\xfa\xed\xfe)", "Mach-O executable"),
        (rb"\xca\xfe\xba\xbe", "Java class or Mach-O universal binary"),
        (rb"MZ.{0,62}\x00", "Windows executable"),
        (rb"\x00asm", "WebAssembly module"),
    )
)


@dataclass(frozen=True)
class DecodedText:
    """Text read from a file, the encoding it was read with, and the lines that were repaired.

    `legacy_lines` were not UTF-8 at all and were read as Windows-1252; `replaced_lines` had
    bytes that are not text (invalid UTF-8, a lone UTF-16 surrogate, NUL), now U+FFFD.
    """

    text: str
    encoding: str
    legacy_lines: tuple[int, ...] = ()
    replaced_lines: tuple[int, ...] = ()

    def problem(self, path: str) -> Problem | None:
        """A warning naming the repaired lines, or None when the file decoded cleanly."""
        if not self.legacy_lines and not self.replaced_lines:
            return None
        parts = []
        if self.legacy_lines:
            verb = "are" if len(self.legacy_lines) > 1 else "is"
            parts.append(f"{_lines(self.legacy_lines)} {verb} not UTF-8, read as Windows-1252")
        if self.replaced_lines:
            parts.append(
                f"{_lines(self.replaced_lines)} had bytes that are not {self.encoding} text, "
                "replaced with U+FFFD"
            )
        first = min(self.legacy_lines[:1] + self.replaced_lines[:1])
        return make_problem(ProblemCode.PARSE_ERROR, "; ".join(parts), f"{path}:{first}")


def decode_bytes(data: bytes, path: str) -> DecodedText:
    """Decode a file's bytes, raising a Problem for binary data and private keys.

    A BOM decides the encoding, otherwise UTF-8. Invalid bytes are repaired line by line
    (see `DecodedText`), so one bad byte never changes how the rest of the file reads.
    """
    decoded = _decode(data, path)
    if _PRIVATE_KEY.search(decoded.text[:65536]):
        raise ChatxError.of(
            ProblemCode.UNSUPPORTED_FORMAT, "contains private key material; never indexed", path
        )
    return decoded


def binary_kind(data: bytes) -> str | None:
    """Why `data` is not text (a file type, or what its first 8 KiB are made of), or None."""
    for pattern, kind in _MAGIC:
        if pattern.match(data):
            return kind
    return _not_text(data[:_SAMPLE].decode("utf-8", "replace"))


def _not_text(sample: str) -> str | None:
    if not sample:
        return None
    nul = sample.count("\x00")
    controls = len(_CONTROL.findall(sample))
    invalid = sample.count("\ufffd")
    if nul * 200 > len(sample):
        return "NUL bytes"
    if controls * 10 > len(sample):
        return "control characters"
    if controls * 50 > len(sample) and invalid * 5 > len(sample):
        return "control characters and invalid UTF-8"
    return None


def _decode(data: bytes, path: str) -> DecodedText:
    encoding, body = next(
        ((enc, data[len(bom) :]) for bom, enc in _BOMS if data.startswith(bom)), ("utf-8", data)
    )
    if encoding != "utf-8" and _is_wide(body, encoding):
        text, offsets = _decode_replacing(body, encoding)
        kind = _not_text(text[:_SAMPLE])
        if kind:
            raise ChatxError.of(ProblemCode.UNSUPPORTED_FORMAT, f"binary file ({kind})", path)
        return DecodedText(text, encoding, replaced_lines=_line_numbers(text, offsets))
    kind = binary_kind(body)
    if kind:
        raise ChatxError.of(ProblemCode.UNSUPPORTED_FORMAT, f"binary file ({kind})", path)
    text, legacy, replaced = _decode_utf8_lines(body)
    if "\x00" in text:
        nuls = [match.start() for match in re.finditer("\x00", text)]
        replaced = sorted({*replaced, *_line_numbers(text, nuls)})
        text = text.replace("\x00", "\ufffd")
    return DecodedText(text, "utf-8", tuple(legacy), tuple(replaced))


def _is_wide(body: bytes, encoding: str) -> bool:
    """Whether bytes after a UTF-16/32 BOM are that encoding. Wide text holds NUL bytes (any
    space or line break has one); without them only a short text that decodes is trusted, so
    damaged UTF-8 that happens to start FF FE stays UTF-8."""
    if b"\x00" in body[:_SAMPLE]:
        return True
    try:
        body.decode(encoding)
    except UnicodeDecodeError:
        return False
    return len(body) < 64


def _decode_utf8_lines(data: bytes) -> tuple[str, list[int], list[int]]:
    """UTF-8 text with each line that is not UTF-8 decoded on its own.

    A line holding no valid multi-byte UTF-8 at all is a legacy 8-bit line and is read as
    Windows-1252 (Latin-1 for the five bytes Windows-1252 leaves undefined); a line that mixes
    UTF-8 with invalid bytes keeps its UTF-8 and gets U+FFFD for the rest.
    """
    try:
        return data.decode("utf-8"), [], []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    start = max(data.rfind(b"\n", 0, first_bad), data.rfind(b"\r", 0, first_bad)) + 1
    head = data[:start].decode("utf-8")
    parts = [head]
    legacy: list[int] = []
    replaced: list[int] = []
    # bytes.splitlines breaks on exactly \n, \r\n and \r, as split_lines does
    for number, raw in enumerate(data[start:].splitlines(keepends=True), start=1 + _breaks(head)):
        try:
            parts.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        body = raw.rstrip(b"\r\n")
        text, was_legacy = _decode_line(body)
        parts += (text, raw[len(body) :].decode("ascii"))
        (legacy if was_legacy else replaced).append(number)
    return "".join(parts), legacy, replaced


def _decode_line(raw: bytes) -> tuple[str, bool]:
    text = raw.decode("utf-8", "replace")
    if any(ch > "\x7f" and ch != "\ufffd" for ch in text):
        return text, False
    try:
        return raw.decode("cp1252"), True
    except UnicodeDecodeError:
        return raw.decode("latin-1"), True


def _decode_replacing(data: bytes, encoding: str) -> tuple[str, list[int]]:
    """Decode, replacing what does not decode with U+FFFD; also the offsets of every U+FFFD
    when something was replaced."""
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError:
        text = data.decode(encoding, "replace")
    return text, [match.start() for match in re.finditer("\ufffd", text)]


def _line_numbers(text: str, offsets: list[int]) -> tuple[int, ...]:
    """The distinct 1-based lines (as `split_lines` counts them) of character offsets."""
    lines: list[int] = []
    line, previous = 1, 0
    for offset in sorted(offsets):
        line += _breaks(text[previous:offset])
        previous = offset
        if not lines or lines[-1] != line:
            lines.append(line)
    return tuple(lines)


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _lines(numbers: tuple[int, ...]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_SHOWN_LINES])
    more = f" and {len(numbers) - _SHOWN_LINES} more" if len(numbers) > _SHOWN_LINES else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


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
