"""Doc sections, format detection from content, and bad input that must become a Problem."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from chatx.ingest import extract, extract_text
from chatx.problems import ChatxError

MARKDOWN = """# Title
intro line

## Install
run make

```sh
# not a heading
```

Setext Heading
--------------
body text
"""


def test_markdown_sections_follow_headings_and_keep_lines() -> None:
    result = extract_text(MARKDOWN, "README.md", suffix=".md")
    assert result.format == "markdown"
    got = [(s.heading_path, s.line_start, s.line_end) for s in result.sections]
    assert got == [
        (("Title",), 1, 2),
        (("Title", "Install"), 4, 9),
        (("Title", "Setext Heading"), 11, 13),
    ]


def test_rst_heading_levels() -> None:
    text = "Guide\n=====\n\nintro\n\nPart\n----\n\ntext\n\nOther\n=====\nmore\n"
    result = extract_text(text, "guide.rst", suffix=".rst")
    assert [(s.heading_path, s.line_start) for s in result.sections] == [
        (("Guide",), 1),
        (("Guide", "Part"), 6),
        (("Other",), 11),
    ]


def test_detection_uses_content_not_extension(tmp_path: Path) -> None:
    chat = tmp_path / "notes.md"
    chat.write_text("[01.02.24, 10:00:00] Ann: hi\n[01.02.24, 10:01:00] Bob: hey\n")
    assert extract(chat, "notes.md").format == "whatsapp"
    session = tmp_path / "log.txt"
    session.write_text(
        '{"type":"user","uuid":"u","sessionId":"s","message":'
        '{"role":"user","content":"x"}}\n{"type":"summary","leafUuid":"u"}\n'
    )
    assert extract(session, "log.txt").format == "claude-code"
    md = tmp_path / "README"
    md.write_text("# Hello\n\ntext\n")
    assert extract(md, "README").format == "markdown"


@pytest.mark.parametrize(
    ("data", "code", "detail"),
    [
        (b'[{"mapping": {"a": {', "PARSE_ERROR", "invalid JSON at line 1"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UNSUPPORTED_FORMAT", "binary file"),
        (b"", "INVALID_INPUT", "empty file"),
        (b"  \n\n", "INVALID_INPUT", "empty file"),
        (b'{"hello": "world"}', "UNSUPPORTED_FORMAT", "JSON of no known export shape"),
        (
            b"notes\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n",
            "UNSUPPORTED_FORMAT",
            "contains private key material",
        ),
        (
            "\ufeffkey:\n-----BEGIN OPENSSH PRIVATE KEY-----\n".encode("utf-16"),
            "UNSUPPORTED_FORMAT",
            "contains private key material",
        ),
    ],
)
def test_bad_input_is_a_problem(tmp_path: Path, data: bytes, code: str, detail: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(data)
    with pytest.raises(ChatxError) as caught:
        extract(path, "input.json")
    assert caught.value.problem.code == code
    assert caught.value.problem.detail.startswith(detail)
    assert caught.value.problem.instance.startswith("input.json")


def test_unknown_extension_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "main.py"
    path.write_text("print('hi')\n")
    with pytest.raises(ChatxError) as caught:
        extract(path, "main.py")
    assert caught.value.problem.code == "UNSUPPORTED_FORMAT"


def test_latin1_and_utf16_text(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("[01.02.24, 10:00:00] José: café crème\n".encode("latin-1"))
    assert extract(latin, "latin.txt").messages[0].text == "café crème"
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(
        codecs.BOM_UTF16_LE + "[01.02.24, 10:00:00] Zoë: naïve 🎉\n".encode("utf-16-le")
    )
    message = extract(utf16, "utf16.txt").messages[0]
    assert (message.sender, message.text) == ("Zoë", "naïve 🎉")
    bom8 = tmp_path / "bom.md"
    bom8.write_bytes(codecs.BOM_UTF8 + b"# Heading\n\nbody\n")
    assert extract(bom8, "bom.md").sections[0].heading_path == ("Heading",)
