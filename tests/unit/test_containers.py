"""Exports that are not one text file: zips (WhatsApp "Attach media", with their bad cases),
folders, SQLite files that are no chat, Signal's text export, and the locators they cite."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatx import locator
from chatx.ingest import archive, extract, extract_path
from chatx.problems import ChatxError

WHATSAPP_ZIP_CHAT = "whatsapp/pustur_ios_group_attached_poll_crlf.txt"


def whatsapp_zip(corpus: Path, target: Path, *extra: tuple[str, bytes]) -> Path:
    """A zip as "Export chat → Attach media" makes it: `_chat.txt` beside the media."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive_file:
        archive_file.writestr("_chat.txt", (corpus / WHATSAPP_ZIP_CHAT).read_bytes())
        archive_file.writestr("00000001-PHOTO-2019-06-20-16-00-15.jpg", b"\xff\xd8\xff\xe0 jpeg")
        for name, data in extra:
            archive_file.writestr(name, data)
    return target


def test_whatsapp_zip_cites_the_member_lines(corpus: Path, tmp_path: Path) -> None:
    plain = extract(corpus / WHATSAPP_ZIP_CHAT, "chat.txt")
    zipped = extract(whatsapp_zip(corpus, tmp_path / "chat.zip"), "chats/chat.zip")
    assert zipped.format == "whatsapp"
    assert len(zipped.messages) == len(plain.messages) == 52
    assert [m.text for m in zipped.messages] == [m.text for m in plain.messages]
    first = zipped.messages[0].source_ref
    assert (first.path, first.anchor, first.line) == ("chats/chat.zip", "!/_chat.txt", 1)
    attached = [a.name for m in zipped.messages for a in m.attachments if a.kind == "image"]
    assert "00000001-PHOTO-2019-06-20-16-00-15.jpg" in attached
    assert zipped.problems == []


def test_zip_slip_member_is_reported_and_the_rest_is_read(corpus: Path, tmp_path: Path) -> None:
    evil = (corpus / "signal" / "chatminer_signal_export.txt").read_bytes()
    path = whatsapp_zip(corpus, tmp_path / "chat.zip", ("../../evil.txt", evil))
    result = extract(path, "chat.zip")
    assert len(result.messages) == 52
    [problem] = result.problems
    assert problem.instance == "chat.zip!/../../evil.txt"
    assert "'..' path" in problem.detail and "zip-slip" in problem.detail
    assert not (tmp_path.parent / "evil.txt").exists()


def test_zip_bomb_member_is_refused_and_the_chat_still_reads(corpus: Path, tmp_path: Path) -> None:
    path = whatsapp_zip(corpus, tmp_path / "chat.zip", ("bomb.txt", b"\0" * (8 * 1024 * 1024)))
    result = extract(path, "chat.zip")
    assert len(result.messages) == 52
    [problem] = result.problems
    assert problem.instance == "chat.zip!/bomb.txt"
    assert "zip bomb" in problem.detail and problem.code == "INVALID_INPUT"


def test_zip_over_the_entry_or_size_caps_is_refused_before_reading(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = whatsapp_zip(corpus, tmp_path / "chat.zip", ("a.txt", b"a"), ("b.txt", b"b"))
    monkeypatch.setattr(archive, "MAX_ENTRIES", 3)
    with pytest.raises(ChatxError) as entries:
        extract(path, "chat.zip")
    assert entries.value.problem.detail.startswith("zip with 4 entries, over the cap of 3")
    monkeypatch.setattr(archive, "MAX_ENTRIES", 100)
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1000)
    with pytest.raises(ChatxError) as size:
        extract(path, "chat.zip")
    assert "over the cap of 1,000" in size.value.problem.detail


def test_corrupt_zip_and_zip_without_chats(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x01" * 200)
    with pytest.raises(ChatxError) as corrupt:
        extract(broken, "broken.zip")
    assert corrupt.value.problem.code == "PARSE_ERROR"
    assert corrupt.value.problem.detail.startswith("corrupt zip archive")
    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as archive_file:
        archive_file.writestr("a.jpg", b"\xff\xd8\xff")
        archive_file.writestr("notes.json", b'{"x": 1}')
    with pytest.raises(ChatxError) as empty:
        extract(photos, "photos.zip")
    assert empty.value.problem.code == "UNSUPPORTED_FORMAT"
    assert empty.value.problem.detail.startswith("no chat export inside (2 files")


def test_secret_members_are_never_read(corpus: Path, tmp_path: Path) -> None:
    path = whatsapp_zip(corpus, tmp_path / "chat.zip", (".env", b"[2019-12-24, 12:23] A: KEY=1\n"))
    result = extract(path, "chat.zip")
    assert all("KEY" not in m.text for m in result.messages)
    assert result.problems == []


def test_signal_export(corpus: Path) -> None:
    result = extract(corpus / "signal" / "chatminer_signal_export.txt", "signal.txt")
    assert result.format == "signal"
    assert [(m.platform, m.sender, m.text) for m in result.messages] == [
        ("signal", "Jane Doe", "Hello John!"),
        ("signal", "John Doe", "Hello\nJane!"),
    ]
    assert [m.timestamp.replace(tzinfo=None) for m in result.messages if m.timestamp] == [
        datetime(2019, 12, 24, 12, 23),
        datetime(2020, 1, 17, 21, 49),
    ]


def test_sqlite_files_that_are_no_chat_or_are_damaged(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(ChatxError) as unsupported:
        extract(other, "app.db")
    assert unsupported.value.problem.code == "UNSUPPORTED_FORMAT"
    assert "not an iMessage chat.db (tables: notes)" in unsupported.value.problem.detail
    damaged = tmp_path / "chat.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000)
    with pytest.raises(ChatxError) as corrupt:
        extract(damaged, "chat.db")
    assert corrupt.value.problem.code == "PARSE_ERROR"


def test_slack_export_folder_and_zip_resolve_users(corpus: Path) -> None:
    folder = extract_path(corpus / "slack" / "langchain_slack_export", "slack")
    zipped = extract(corpus / "slack" / "langchain_slack_export.zip", "slack.zip")
    assert folder.format == zipped.format == "slack"
    assert len(folder.messages) == len(zipped.messages) > 0
    assert [m.text for m in folder.messages] == [m.text for m in zipped.messages]
    assert {m.sender for m in zipped.messages} == {"Example User", None}
    assert zipped.messages[0].text == "@Example User has joined the channel"
    assert all("<@U" not in m.text for m in zipped.messages)
    ref = zipped.messages[0].source_ref
    assert ref.path == "slack.zip" and ref.anchor is not None and ref.anchor.startswith("!/")
    assert folder.messages[0].source_ref.path.startswith("slack/")


def test_slack_day_file_in_a_workspace_finds_its_users(corpus: Path) -> None:
    day = next((corpus / "slack" / "langchain_slack_export" / "general").glob("*.json"))
    result = extract(day, "slack/general/" + day.name)
    assert result.format == "slack"
    assert all("<@U" not in m.text for m in result.messages)
    with pytest.raises(ChatxError) as users:
        extract(corpus / "slack" / "langchain_slack_export" / "users.json", "slack/users.json")
    assert users.value.problem.detail.startswith("Slack export metadata")


def test_locators() -> None:
    assert locator.location("a.md", 3, 3) == "a.md:3"
    assert locator.location("a.md", 3, 9) == "a.md:3-9"
    assert locator.location("chat.db", 120, 120, "#message") == "chat.db#message=120"
    assert locator.location("r.pdf", 2, 3, "#page") == "r.pdf#page=2-3"
    assert locator.location("c.zip", 4, 9, "!/_chat.txt") == "c.zip!/_chat.txt:4-9"
    assert locator.fragment(3, "#page") == "#page=3"
    assert locator.fragment(7) == "#L7"
    assert locator.fragment(7, "!/x.txt") == ""


def test_timestamps_of_zip_members_keep_their_zone(corpus: Path, tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Zurich")
    result = extract(whatsapp_zip(corpus, tmp_path / "c.zip"), "c.zip", zone)
    stamp = result.messages[0].timestamp
    assert stamp is not None and stamp.utcoffset() is not None
    assert stamp.astimezone(UTC).tzinfo == UTC


def test_truncated_single_object_export_keeps_what_came_before(
    corpus: Path, tmp_path: Path
) -> None:
    whole = (corpus / "discord" / "chatpackcli_dce_guild_minimal.json").read_text()
    cut = tmp_path / "discord.json"
    cut.write_text(whole[: whole.index('"1005"')])
    result = extract(cut, "discord.json")
    assert [m.text for m in result.messages] == [
        m.text
        for m in extract(corpus / "discord" / "chatpackcli_dce_guild_minimal.json", "d").messages
    ][:4]
    [problem] = result.problems
    assert problem.instance.startswith("discord.json:")
    assert "cut short there: what came before it is kept" in problem.detail


def test_a_truncated_member_does_not_stop_the_rest_of_a_zip(corpus: Path, tmp_path: Path) -> None:
    whole = (corpus / "instagram_messenger" / "langchain_facebook_messenger.json").read_bytes()
    path = whatsapp_zip(corpus, tmp_path / "export.zip", ("inbox/x/message_1.json", whole[:40]))
    result = extract(path, "export.zip")
    assert len(result.messages) == 52
    [problem] = result.problems
    assert problem.instance.startswith("export.zip!/inbox/x/message_1.json:")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_a_truncated_or_damaged_zip_never_crashes(corpus: Path, tmp_path: Path, data) -> None:  # type: ignore[no-untyped-def]
    whole = whatsapp_zip(corpus, tmp_path / "whole.zip").read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(whole)))
    damaged = bytearray(whole[:cut] if data.draw(st.booleans()) else whole)
    for _ in range(data.draw(st.integers(min_value=0, max_value=3))):
        if damaged:
            damaged[data.draw(st.integers(0, len(damaged) - 1))] ^= 0xFF
    path = tmp_path / "chat.zip"
    path.write_bytes(bytes(damaged))
    try:
        result = extract(path, "chat.zip")
    except ChatxError as exc:
        assert exc.problem.instance is not None and exc.problem.instance.startswith("chat.zip")
    else:
        assert all(m.source_ref.path == "chat.zip" for m in result.messages)


def test_many_small_members_are_a_bomb_too(corpus: Path, tmp_path: Path) -> None:
    lines = b"[01.01.20, 10:00:00] A: x\n" * 40_000
    members = [(f"chat{n}.txt", lines) for n in range(12)]
    path = whatsapp_zip(corpus, tmp_path / "many.zip", *members)
    result = extract(path, "many.zip")
    refused = [p for p in result.problems if "zip bomb" in p.detail]
    assert refused and all(p.code == "INVALID_INPUT" for p in refused)
    assert len(result.messages) < 52 + 12 * 40_000  # what was refused was never parsed


def test_a_damaged_lzma_member_is_a_problem(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "lzma.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_LZMA) as archive_file:
        archive_file.writestr("_chat.txt", (corpus / WHATSAPP_ZIP_CHAT).read_bytes())
    data = bytearray(path.read_bytes())
    data[60:80] = b"\xff" * 20  # inside the compressed stream of the only member
    path.write_bytes(bytes(data))
    with pytest.raises(ChatxError) as damaged:
        extract(path, "lzma.zip")
    assert damaged.value.problem.instance == "lzma.zip!/_chat.txt"


def test_chunks_of_a_newest_first_export_cover_their_lines(corpus: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    from chatx.chunking import ChunkSettings, chunk_messages

    result = extract(corpus / "instagram_messenger" / "langchain_facebook_messenger.json", "m.json")
    chunks = chunk_messages(result.messages, tokenizer, ChunkSettings(window_turns=4))
    assert len(chunks) > 1
    for chunk in chunks:
        lines = [m.source_ref.line for m in result.messages if m.msg_id in chunk.meta.message_ids]
        assert chunk.meta.line_start == min(lines) <= max(lines) <= chunk.meta.line_end


def test_a_day_file_outside_an_export_reads_nothing_beside_the_workspace(
    corpus: Path, tmp_path: Path
) -> None:
    (tmp_path / "users.json").write_text('[{"id": "U0500003428", "name": "outside"}]')
    (tmp_path / "channels.json").write_text("[]")
    ws = tmp_path / "ws"
    ws.mkdir()
    day = corpus / "slack" / "langchain_slack_export" / "general" / "2023-04-13.json"
    shutil.copy(day, ws / "2023-04-13.json")
    result = extract(ws / "2023-04-13.json", "2023-04-13.json")
    assert "outside" not in {m.sender for m in result.messages}
