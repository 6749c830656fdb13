"""PDF documents: one section per page of the text layer, cited as `file.pdf#page=n`."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from chatx import locator
from chatx.ingest.common import Extracted, Section
from chatx.models import Problem, repair_text
from chatx.problems import ChatxError, ProblemCode, make_problem

MAX_PAGES = 5_000
"""Pages read from one PDF; a longer one is refused rather than half-indexed."""

_NEWLINE = re.compile(r"\r\n?|\n")
_BLANK_RUN = re.compile(r"\n{3,}")


def parse_pdf(data: bytes, source: str) -> Extracted:
    """The text layer of a PDF, one section per page whose line number is the page number.

    Pages without text (scanned images) are reported in one problem, a page whose text cannot
    be extracted is a problem of its own; an unreadable, encrypted or textless file raises
    ChatxError.
    """
    with _quiet_pypdf():
        reader = _open(data, source)
        title = _title(reader)
        count = _page_count(reader, source)
        result = Extracted(format="pdf", kind="doc", anchor=locator.PAGE)
        textless: list[int] = []
        for number in range(1, count + 1):
            text = _page_text(reader, number, source, result)
            if text:
                heading = (title, f"page {number}") if title else (f"page {number}",)
                result.sections.append(Section(heading, number, (text,)))
            elif text is not None:
                textless.append(number)
    if not result.sections:
        raise _nothing_read(result, count, source)
    if textless:
        result.keep(_textless_problem(textless, source))
    return result


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning for every flaw it repairs; the problems we report say what matters."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _open(data: bytes, source: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ChatxError.of(
                ProblemCode.UNSUPPORTED_FORMAT,
                "encrypted PDF: it needs a password to open; save a copy without one to index it",
                source,
            )
    except ChatxError:
        raise
    except (DependencyError, NotImplementedError) as exc:  # an encryption pypdf cannot undo
        raise _undecryptable(exc, source) from exc
    except Exception as exc:  # pypdf raises more than PdfReadError on damaged files
        raise ChatxError.of(ProblemCode.PARSE_ERROR, _damage(data, exc), source) from exc
    return reader


def _damage(data: bytes, exc: Exception) -> str:
    if not data:
        return "not a PDF: the file is empty"
    if b"%PDF-" not in data[:1024]:
        return "not a PDF: no %PDF- header"
    truncated = b"%%EOF" not in data[-1024:]
    hint = "; it looks truncated (no %%EOF at its end)" if truncated else ""
    return f"not a readable PDF ({_reason(exc)}){hint}"


def _undecryptable(exc: Exception, source: str) -> ChatxError:
    return ChatxError.of(
        ProblemCode.UNSUPPORTED_FORMAT, f"encrypted PDF: cannot decrypt it ({_reason(exc)})", source
    )


def _title(reader: PdfReader) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a damaged /Info dictionary only costs the title
        return None
    if not isinstance(title, str):
        return None
    return " ".join(repair_text(title.replace("\x00", "")).split()) or None


def _page_count(reader: PdfReader, source: str) -> int:
    try:
        count = len(reader.pages)
    except Exception as exc:
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR, f"unreadable page tree ({_reason(exc)})", source
        ) from exc
    if count > MAX_PAGES:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT,
            f"{count:,} pages is over the page cap of {MAX_PAGES:,} per PDF; split it to index it",
            source,
        )
    return count


def _page_text(reader: PdfReader, number: int, source: str, result: Extracted) -> str | None:
    """The page's normalized text ("" when it has none), or None and a problem when it fails."""
    try:
        return _normalize(reader.pages[number - 1].extract_text())
    except DependencyError as exc:  # AES-encrypted strings without `cryptography`: every page
        raise _undecryptable(exc, source) from exc
    except Exception as exc:  # one bad page never costs the others
        result.add_problem(
            f"page {number}: cannot extract its text ({_reason(exc)})", f"{source}#page={number}"
        )
        return None


def _normalize(text: str) -> str:
    """Page text without NULs, lone surrogates, trailing spaces and runs of blank lines."""
    lines = _NEWLINE.split(repair_text(text.replace("\x00", "")))
    joined = "\n".join(line.rstrip() for line in lines)
    return _BLANK_RUN.sub("\n\n", joined).strip("\n")


def _textless_problem(pages: list[int], source: str) -> Problem:
    listed = _page_ranges(pages)
    if len(pages) == 1:
        detail = f"page {listed} has no text layer (a scanned image?); it is not searchable"
    else:
        detail = f"pages {listed} have no text layer (scanned images?); they are not searchable"
    return make_problem(ProblemCode.PARSE_ERROR, detail, f"{source}#page={pages[0]}")


def _page_ranges(pages: list[int]) -> str:
    """'2, 5-7, 9' for pages [2, 5, 6, 7, 9]."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def _nothing_read(result: Extracted, count: int, source: str) -> ChatxError:
    if result.problems:
        first = result.problems[0].detail
        return ChatxError.of(ProblemCode.PARSE_ERROR, f"no page could be read; {first}", source)
    if count == 0:
        return ChatxError.of(ProblemCode.PARSE_ERROR, "no pages (a damaged PDF?)", source)
    pages = "its only page" if count == 1 else f"any of its {count:,} pages"
    return ChatxError.of(
        ProblemCode.UNSUPPORTED_FORMAT,
        f"no text layer on {pages} (a scanned PDF?); "
        "run OCR on it (e.g. ocrmypdf) to make it searchable",
        source,
    )


def _reason(exc: Exception) -> str:
    reason = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
