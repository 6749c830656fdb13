"""PDF parser over hand-built PDFs: pages, scanned pages, encryption, damage, the page cap."""

from __future__ import annotations

import io
import logging

import pypdf._encryption
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf._crypt_providers import _fallback
from tests.exports import IMAGE_ONLY, build_pdf
from tests.exports import pdf_text as text

from chatx.ingest.common import Section
from chatx.ingest.pdf import MAX_PAGES, parse_pdf
from chatx.problems import ChatxError, ProblemCode


def encrypt(data: bytes, user_password: str, algorithm: str = "RC4-128") -> bytes:
    """`data` re-written by pypdf, encrypted with the standard security handler."""
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password, "owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def refused(data: bytes) -> tuple[str, str, str | None]:
    with pytest.raises(ChatxError) as caught:
        parse_pdf(data, "docs/x.pdf")
    problem = caught.value.problem
    return problem.code, problem.detail, problem.instance


REPORT = build_pdf(
    [text("Quarterly report", "Revenue grew 12%"), IMAGE_ONLY, b"", text("Appendix A")],
    title=b"(Q3  Report)",
)


def test_one_section_per_page_with_text_cited_by_page_number() -> None:
    result = parse_pdf(REPORT, "docs/report.pdf")
    assert (result.format, result.kind, result.anchor) == ("pdf", "doc", "#page")
    assert result.sections == [
        Section(("Q3 Report", "page 1"), 1, ("Quarterly report\nRevenue grew 12%",)),
        Section(("Q3 Report", "page 4"), 4, ("Appendix A",)),
    ]
    assert [(s.line_start, s.line_end) for s in result.sections] == [(1, 1), (4, 4)]


def test_pages_without_text_are_one_problem_listing_them() -> None:
    result = parse_pdf(REPORT, "docs/report.pdf")
    assert [(p.code, p.detail, p.instance) for p in result.problems] == [
        (
            "PARSE_ERROR",
            "pages 2-3 have no text layer (scanned images?); they are not searchable",
            "docs/report.pdf#page=2",
        )
    ]
    pages = [text("one"), IMAGE_ONLY, text("three"), IMAGE_ONLY, IMAGE_ONLY, b"", text("seven")]
    scattered = parse_pdf(build_pdf(pages), "s.pdf").problems
    assert [p.detail for p in scattered] == [
        "pages 2, 4-6 have no text layer (scanned images?); they are not searchable"
    ]
    single = parse_pdf(build_pdf([IMAGE_ONLY, text("two")]), "s.pdf").problems
    assert [(p.detail, p.instance) for p in single] == [
        ("page 1 has no text layer (a scanned image?); it is not searchable", "s.pdf#page=1")
    ]


def test_without_a_title_the_heading_is_the_page() -> None:
    result = parse_pdf(build_pdf([text("Hello page 1"), text("Hello page 2")]), "a.pdf")
    assert result.sections == [
        Section(("page 1",), 1, ("Hello page 1",)),
        Section(("page 2",), 2, ("Hello page 2",)),
    ]
    assert result.problems == []
    blank_title = build_pdf([text("x")], title=b"( \\000 )")
    assert parse_pdf(blank_title, "a.pdf").sections[0].heading_path == ("page 1",)
    numeric_title = build_pdf([text("x")], title=b"42")
    assert parse_pdf(numeric_title, "a.pdf").sections[0].heading_path == ("page 1",)


def test_text_is_normalized() -> None:
    # "\\r\\n" etc. are PDF string escapes: the text layer itself holds CR, LF and NUL
    content = (
        b"BT /F1 12 Tf 72 720 Td (\\n\\nfirst   \\r\\nsec\\000ond \\n\\n\\n\\n\\nthird\\r\\r) Tj ET"
    )
    result = parse_pdf(build_pdf([content]), "n.pdf")
    assert result.sections[0].lines == ("first\nsecond\n\nthird",)


def test_lone_surrogates_from_a_tounicode_map_are_repaired() -> None:
    cmap = (
        b"begincmap 1 begincodespacerange <00> <FF> endcodespacerange"
        b" 2 beginbfchar <41> <D800> <42> <D83DDE00> endbfchar endcmap"
    )
    result = parse_pdf(build_pdf([text("xAB")], to_unicode=cmap), "u.pdf")
    assert result.sections[0].lines == ("x\ufffd\U0001f600",)


def test_a_page_that_fails_is_its_problem_and_the_others_index() -> None:
    pages = [text("good one"), text("broken"), text("good three")]
    result = parse_pdf(build_pdf(pages, stream_entries={2: b"/Filter /NoSuchFilter"}), "f.pdf")
    assert [s.line_start for s in result.sections] == [1, 3]
    assert [(p.detail, p.instance) for p in result.problems] == [
        (
            "page 2: cannot extract its text (NotImplementedError: Unsupported filter "
            "/NoSuchFilter)",
            "f.pdf#page=2",
        )
    ]


def test_when_every_page_fails_the_file_is_a_parse_error() -> None:
    broken = build_pdf([text("a")], stream_entries={1: b"/Filter /NoSuchFilter"})
    assert refused(broken) == (
        "PARSE_ERROR",
        "no page could be read; page 1: cannot extract its text (NotImplementedError: "
        "Unsupported filter /NoSuchFilter)",
        "docs/x.pdf",
    )


def test_a_scanned_pdf_is_unsupported() -> None:
    assert refused(build_pdf([IMAGE_ONLY, IMAGE_ONLY, b""])) == (
        "UNSUPPORTED_FORMAT",
        "no text layer on any of its 3 pages (a scanned PDF?); run OCR on it (e.g. ocrmypdf) "
        "to make it searchable",
        "docs/x.pdf",
    )
    assert "on its only page" in refused(build_pdf([IMAGE_ONLY]))[1]


def test_an_empty_page_tree_is_a_parse_error() -> None:
    assert refused(build_pdf([]))[:2] == ("PARSE_ERROR", "no pages (a damaged PDF?)")


def test_encrypted_with_an_empty_user_password_is_read() -> None:
    for algorithm in ("RC4-128", "AES-256"):
        result = parse_pdf(encrypt(REPORT, "", algorithm), "e.pdf")
        assert [s.lines for s in result.sections] == [
            ("Quarterly report\nRevenue grew 12%",),
            ("Appendix A",),
        ]
        assert result.sections[0].heading_path == ("Q3 Report", "page 1")


def test_encrypted_with_a_password_is_unsupported() -> None:
    for algorithm in ("RC4-40", "AES-128"):
        assert refused(encrypt(REPORT, "secret", algorithm)) == (
            "UNSUPPORTED_FORMAT",
            "encrypted PDF: it needs a password to open; save a copy without one to index it",
            "docs/x.pdf",
        )


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_without_the_cryptography_package_is_unsupported(
    algorithm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = encrypt(REPORT, "", algorithm)
    for name in ("CryptAES", "aes_cbc_decrypt", "aes_ecb_decrypt"):  # as when it is absent
        monkeypatch.setattr(pypdf._encryption, name, getattr(_fallback, name))
    code, detail, _ = refused(data)
    assert code == "UNSUPPORTED_FORMAT"
    assert detail.startswith("encrypted PDF: cannot decrypt it (DependencyError: cryptography")


def test_over_the_page_cap_is_invalid_input() -> None:
    assert refused(build_pdf([text("p")] * (MAX_PAGES + 1))) == (
        "INVALID_INPUT",
        "5,001 pages is over the page cap of 5,000 per PDF; split it to index it",
        "docs/x.pdf",
    )


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "not a PDF: the file is empty"),
        (b"<html>not a pdf</html>\n%%EOF", "not a PDF: no %PDF- header"),
        (
            REPORT[:300],
            "not a readable PDF (PdfStreamError: Stream has ended unexpectedly); "
            "it looks truncated (no %%EOF at its end)",
        ),
        (REPORT.replace(b"/Pages 2 0 R", b"/Pages 3 0 R"), "no pages (a damaged PDF?)"),
    ],
)
def test_not_a_pdf_truncated_or_damaged_is_a_parse_error(data: bytes, detail: str) -> None:
    assert refused(data) == ("PARSE_ERROR", detail, "docs/x.pdf")


def test_pypdf_warnings_are_silenced_and_its_logger_restored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong_startxref = REPORT.replace(b"startxref\n", b"startxref\n1")
    logger = logging.getLogger("pypdf")
    before = logger.level
    with caplog.at_level(logging.DEBUG):
        result = parse_pdf(wrong_startxref, "w.pdf")
    assert len(result.sections) == 2
    assert [r for r in caplog.records if r.name.startswith("pypdf")] == []
    assert logger.level == before


SAMPLES = [REPORT, encrypt(REPORT, "")]


@settings(max_examples=50, deadline=None)
@given(sample=st.sampled_from(SAMPLES), cut=st.floats(0, 1))
def test_random_truncation_never_crashes(sample: bytes, cut: float) -> None:
    _parse_or_refuse(sample[: int(len(sample) * cut)])


@settings(max_examples=50, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_random_byte_flips_never_crash(sample: bytes, flips: list[tuple[float, int]]) -> None:
    data = bytearray(sample)
    for where, value in flips:
        data[min(int(len(data) * where), len(data) - 1)] = value
    _parse_or_refuse(bytes(data))


def _parse_or_refuse(data: bytes) -> None:
    try:
        result = parse_pdf(data, "t.pdf")
    except ChatxError as exc:
        assert exc.problem.code in {ProblemCode.PARSE_ERROR, ProblemCode.UNSUPPORTED_FORMAT}
        return
    assert all(section.lines[0] for section in result.sections)
