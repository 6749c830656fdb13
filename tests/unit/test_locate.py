"""Opening a citation: `chatx show` on a database row, a PDF page, a zip member's lines."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from tests.exports import IMAGE_ONLY, build_pdf, pdf_text

from chatx.ingest.locate import Location, parse_locator, show
from chatx.problems import ChatxError


def test_parse_every_kind_of_locator() -> None:
    assert parse_locator("chats/chat.db#message=120") == Location(
        "chats/chat.db", "#message", 120, 120
    )
    assert parse_locator("docs/r.pdf#page=2-3") == Location("docs/r.pdf", "#page", 2, 3)
    assert parse_locator("c.zip!/_chat.txt:4-9") == Location("c.zip", "!/_chat.txt", 4, 9)
    assert parse_locator("a b/notes.md:7") == Location("a b/notes.md", None, 7, 7)
    with pytest.raises(ChatxError) as bad:
        parse_locator("notes.md")
    assert bad.value.problem.detail.startswith("not a locator")


def test_show_a_database_row_with_its_conversation_around_it(corpus: Path, tmp_path: Path) -> None:
    shutil.copy(corpus / "imessage" / "caleb531_mock_chat.db", tmp_path / "chat.db")
    lines = show(tmp_path, parse_locator("chat.db#message=2"), context=1)
    assert len(lines) == 3
    assert lines[1].startswith("> chat.db#message=2  2024-01-19 ")
    assert lines[1].endswith("+12123456789: Oh hey, John! Sure, the party is on the 30th! 🎊")
    assert lines[0].startswith("  chat.db#message=1 ") and "ME: Hey Daniel" in lines[0]


def test_show_zip_member_lines_and_pdf_pages(corpus: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as archive:
        archive.write(corpus / "whatsapp" / "langchain_ios_12h.txt", "_chat.txt")
    [line] = show(tmp_path, parse_locator("c.zip!/_chat.txt:5"), context=0)
    assert line.startswith("> c.zip!/_chat.txt:5  2023-08-15 ")
    assert line.endswith("Dr. Feather: image omitted")
    pages = [pdf_text("first page"), IMAGE_ONLY, pdf_text("third page")]
    (tmp_path / "r.pdf").write_bytes(build_pdf(pages))
    assert show(tmp_path, parse_locator("r.pdf#page=3"), context=0) == [
        "--- r.pdf#page=3\nthird page"
    ]


def test_show_refuses_what_is_not_there(corpus: Path, tmp_path: Path) -> None:
    shutil.copy(corpus / "imessage" / "caleb531_mock_chat.db", tmp_path / "chat.db")
    with pytest.raises(ChatxError) as missing:
        show(tmp_path, parse_locator("chat.db#message=99999"), context=1)
    assert missing.value.problem.detail == "no message there"
    with pytest.raises(ChatxError) as outside:
        show(tmp_path, parse_locator("../etc/passwd:1"), context=1)
    assert outside.value.problem.detail == "no such file in the workspace"
    (tmp_path / ".env.local").write_text("[2019-12-24, 12:23] A: KEY=1\n")
    with pytest.raises(ChatxError) as secret:
        show(tmp_path, parse_locator(".env.local:1"), context=0)
    assert secret.value.problem.detail == "never read: a secret"


def test_a_message_range_stays_in_the_conversation_of_its_first_row(
    corpus: Path, tmp_path: Path
) -> None:
    shutil.copy(corpus / "imessage" / "caleb531_mock_chat.db", tmp_path / "chat.db")
    lines = show(tmp_path, parse_locator("chat.db#message=4-18"), context=0)
    senders = {line.split("  ", 1)[1].split(" ", 2)[2].split(":")[0] for line in lines}
    assert senders == {"ME", "+12234567890"}  # Jane's chat; rows 11, 13, 15 are Thomas's
    assert lines[0].startswith("> chat.db#message=4 ")


def test_show_does_not_follow_a_link_to_a_secret(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("API_KEY=sk-secret\n")
    (tmp_path / "notes.txt").symlink_to(tmp_path / ".env")
    with pytest.raises(ChatxError) as secret:
        show(tmp_path, parse_locator("notes.txt:1"), context=0)
    assert secret.value.problem.detail == "never read: a secret"
