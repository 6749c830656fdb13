"""iMessage chat.db parser: every database in ../shared/corpus/imessage, a hand-made macOS 14
database, the attributedBody decoder, read-only access and iPhone backup lookup."""

from __future__ import annotations

import hashlib
import plistlib
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatx.ingest.common import Extracted, stable_id
from chatx.ingest.imessage import (
    PLATFORM,
    backup_sms_db,
    iter_imessage,
    looks_like_imessage,
    parse_imessage,
)
from chatx.ingest.typedstream import TypedStreamError, attributed_text
from chatx.models import Attachment, Message, Reaction
from chatx.problems import ChatxError

CORPUS_DBS = [
    "langchain_imessage_chat.db",
    "langchain_imessage_chat_osx11.db",
    "plaso_ios_chat_2015.db",
    "caleb531_mock_chat.db",
]
EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def parse(corpus: Path, name: str) -> list[Message]:
    result = parse_imessage(corpus / "imessage" / name, f"imessage/{name}")
    assert result.format == "imessage" and result.kind == "chat"
    assert result.problems == []
    return result.messages


def by_text(messages: list[Message], start: str) -> Message:
    (found,) = [m for m in messages if m.text.startswith(start)]
    return found


def ns(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value // 1000)


def assert_contiguous_and_ordered(messages: list[Message]) -> None:
    seen: list[str] = []
    for message in messages:
        if not seen or seen[-1] != message.conv_id:
            assert message.conv_id not in seen, "a conversation must be contiguous"
            seen.append(message.conv_id)
    for conv in seen:
        times = [m.timestamp for m in messages if m.conv_id == conv and m.timestamp]
        assert times == sorted(times)


def attributed_only(path: Path) -> list[tuple[int, bytes]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute(
            "SELECT _rowid_, attributedBody FROM message WHERE coalesce(text, '') = '' "
            "AND typeof(attributedBody) = 'blob'"
        ).fetchall()
    finally:
        conn.close()


# --- corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["langchain_imessage_chat.db", "langchain_imessage_chat_osx11.db"])
def test_langchain_databases(corpus: Path, name: str) -> None:
    messages = parse(corpus, name)
    assert len(messages) == 22  # 23 rows, one of them a tapback
    assert {m.conv_id for m in messages} == {stable_id(PLATFORM, "chat", 1)}  # no chat table
    assert_contiguous_and_ordered(messages)
    # the older file names handle 67; the upgraded one lost it, and its 1:1 chat names the other
    other = "testemail@gmail.com" if name == "langchain_imessage_chat.db" else "test@gmail.com"
    assert [m.source_meta for m in messages] == [{"chat": other}] * 22
    assert sum(m.is_me for m in messages) == 12
    assert {m.sender for m in messages} == {"ME", other}
    assert all(m.sender_id == other for m in messages if not m.is_me)
    first = messages[0]
    assert first.text == "Yeh"
    assert first.timestamp == datetime(2023, 11, 5, 2, 50, 50, 393148, tzinfo=UTC)
    assert first.timestamp == ns(720845450393148160)
    assert first.msg_id == stable_id(PLATFORM, "E7F6B913-EEE2-47E8-9458-BDA6BDA9BE8A")
    ref = first.source_ref
    assert (ref.path, ref.line, ref.line_end, ref.anchor) == (
        f"imessage/{name}",
        241480,
        241480,
        "#message",
    )
    assert ref.guid == "E7F6B913-EEE2-47E8-9458-BDA6BDA9BE8A"
    # text only in attributedBody (text column NULL)
    assert by_text(messages, "Woaaaaaah").is_me
    assert by_text(messages, "Yehh unfortunately screen is cracked").sender == other
    assert messages[-1].text == "Alio was here"
    # the 'Loved' tapback (associated_message_type 2000, "p:0/<guid>") is a reaction
    loved = by_text(messages, "I see nothing here add")
    assert loved.reactions == [Reaction(emoji="❤️", sender="ME")]
    assert loved.msg_id == stable_id(PLATFORM, "FC62F43D-2F38-43EC-937E-2129DBBD948A")
    assert sum(len(m.reactions) for m in messages) == 1
    assert not any(m.text.startswith("Loved") for m in messages)
    assert all(m.reply_to_msg_id is None and not m.attachments for m in messages)


def test_plaso_ios_2015_dates_in_seconds(corpus: Path) -> None:
    messages = parse(corpus, "plaso_ios_chat_2015.db")
    assert len(messages) == 10
    assert_contiguous_and_ordered(messages)
    first_chat = stable_id(PLATFORM, "iMessage;-;+447775446518")
    second_chat = stable_id(PLATFORM, "iMessage;-;jondoh2015@icloud.com")
    assert [m.conv_id for m in messages] == [first_chat] * 8 + [second_chat] * 2
    assert [m.source_ref.line for m in messages] == [1, 2, 3, 4, 5, 6, 7, 10, 8, 9]
    assert [m.sender for m in messages] == [
        "447775455555",
        "ME",
        "447775455555",
        "447775455555",
        "ME",
        "ME",
        "447775455555",
        "ME",
        "xxxxxx2015@icloud.com",
        "ME",
    ]
    assert messages[0].source_meta == {"chat": "447775455555"}
    assert messages[-1].source_meta == {"chat": "xxxxxx2015@icloud.com"}
    assert messages[0].timestamp == datetime(2015, 11, 22, 18, 9, 46, tzinfo=UTC)
    assert messages[0].timestamp == EPOCH + timedelta(seconds=469908586)
    assert messages[7].timestamp == datetime(2015, 12, 2, 19, 24, 53, tzinfo=UTC)
    assert messages[0].text.startswith("Hey Kenneth, it's Eireanne!")
    assert messages[5].text.startswith("It does have it’s own ‘office’ software")
    assert messages[8].text == "Did you try to send me a message?"
    assert all(not m.reactions and not m.attachments for m in messages)


def test_caleb531_text_tapbacks_text_rowids_and_nanoseconds(corpus: Path) -> None:
    messages = parse(corpus, "caleb531_mock_chat.db")
    assert len(messages) == 30  # 38 rows, 8 of them tapbacks written as text
    assert_contiguous_and_ordered(messages)
    titles = [m.source_meta["chat"] for m in messages]
    assert titles == (
        ["+12123456789, +12234567890"]
        + ["+12123456789"] * 3
        + ["+12234567890"] * 9
        + ["thomas.riverstone@example.com"] * 17
    )
    assert messages[0].text == "Hello everyone!" and messages[0].is_me
    assert messages[0].conv_id == stable_id(PLATFORM, "chat", "chat-daniel-jane-john")
    # the ROWIDs are text: the msg_id and guid come from them, the line is the real rowid
    jane = by_text(messages, "Hey Jane, how's your day going?")
    assert jane.msg_id == stable_id(PLATFORM, "5ab162b0-e4c7-4e77-9623-c2396bb81d73")
    assert jane.source_ref.guid == "5ab162b0-e4c7-4e77-9623-c2396bb81d73"
    assert jane.source_ref.line == 4
    assert jane.timestamp == datetime(2024, 1, 8, tzinfo=UTC)
    assert jane.reactions == [Reaction(emoji="👋", sender="+12234567890")]
    thomas = "thomas.riverstone@example.com"
    reactions = {m.text[:30]: m.reactions for m in messages if m.reactions}
    assert reactions == {
        "Hey Jane, how's your day going": [Reaction(emoji="👋", sender="+12234567890")],
        "Building a new feature for our": [Reaction(emoji="‼️", sender="+12234567890")],
        "Hey John! What's up? 👊": [Reaction(emoji="❤️", sender="ME")],
        "I'm building a new feature for": [Reaction(emoji="👍", sender=thomas)],
        "On the topic of lo-fi, have yo": [Reaction(emoji="👎", sender="ME")],
        "Oh gosh this is terrible.. I c": [Reaction(emoji="❓", sender=thomas)],
        "Ha really? I totally love it. ": [Reaction(emoji="😂", sender="ME")],
        # this tapback is only in attributedBody
        "Same here! 🤣 Catch you later!": [Reaction(emoji="❤️", sender=thomas)],
    }
    # the quoted text matches no message (another video link): it stays a message
    kept = by_text(messages, "Loved “That's so cool!")
    assert kept.is_me and not kept.reactions
    gif = [m for m in messages if m.attachments]
    assert len(gif) == 1
    assert gif[0].text == ""  # only the object replacement character
    assert gif[0].attachments == [Attachment(kind="image", name="abc.gif", mime="image/gif")]
    assert gif[0].sender == "ME"
    assert by_text(messages, "Hey John! What's up?").timestamp == ns(726361900437000064)


@pytest.mark.parametrize("name", CORPUS_DBS)
def test_attributed_body_decoder_matches_pytypedstream(corpus: Path, name: str) -> None:
    typedstream = pytest.importorskip("typedstream")
    blobs = attributed_only(corpus / "imessage" / name)
    conn = sqlite3.connect(
        f"{(corpus / 'imessage' / name).resolve().as_uri()}?mode=ro&immutable=1", uri=True
    )
    try:
        every = [blob for (blob,) in conn.execute("SELECT attributedBody FROM message")]
    finally:
        conn.close()
    for blob in [b for b in every if isinstance(b, bytes)]:
        reference = typedstream.unarchive_from_data(blob).contents[0].value.value
        assert attributed_text(blob) == reference
    expected = {"langchain_imessage_chat.db": 11, "langchain_imessage_chat_osx11.db": 11}
    assert len(blobs) == expected.get(name, 1 if name.startswith("caleb") else 0)
    texts = {m.source_ref.line: m for m in parse(corpus, name)}
    for rowid, blob in blobs:
        decoded = attributed_text(blob)
        assert decoded
        if rowid in texts:  # else a tapback, now a reaction
            assert texts[rowid].text == decoded


@pytest.mark.parametrize("name", CORPUS_DBS)
def test_looks_like_every_corpus_database(corpus: Path, name: str) -> None:
    assert looks_like_imessage(corpus / "imessage" / name)


def test_iter_streams_the_same_messages(corpus: Path) -> None:
    path = corpus / "imessage" / "caleb531_mock_chat.db"
    result = Extracted(format="imessage", kind="chat")
    stream = iter_imessage(path, "x.db", result)
    assert isinstance(stream, Iterator)
    first = next(stream)
    assert first.text == "Hello everyone!"
    assert [first, *stream] == parse_imessage(path, "x.db").messages


# --- read-only, immutable ---------------------------------------------------------------


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in folder.iterdir()
    }


def test_database_is_never_changed_nor_locked(corpus: Path, tmp_path: Path) -> None:
    copy = tmp_path / "chat.db"
    shutil.copyfile(corpus / "imessage" / "plaso_ios_chat_2015.db", copy)
    before = fingerprint(tmp_path)
    assert looks_like_imessage(copy)
    assert len(parse_imessage(copy, "chat.db").messages) == 10
    assert fingerprint(tmp_path) == before  # same bytes, same mtime, no -wal/-shm/-journal


def test_reads_while_another_process_holds_an_exclusive_lock(corpus: Path, tmp_path: Path) -> None:
    copy = tmp_path / "chat.db"
    shutil.copyfile(corpus / "imessage" / "langchain_imessage_chat_osx11.db", copy)
    writer = sqlite3.connect(copy, isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        locked = sqlite3.connect(copy, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            locked.execute("SELECT count(*) FROM message").fetchone()
        locked.close()
        assert looks_like_imessage(copy)
        assert len(parse_imessage(copy, "chat.db").messages) == 22
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# --- not a Messages database --------------------------------------------------------------


def make_db(path: Path, script: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.commit()
    conn.close()
    return path


def test_file_level_errors_are_parse_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    no_message = make_db(tmp_path / "a.db", "CREATE TABLE handle(ROWID INTEGER, id TEXT);")
    no_handle = make_db(tmp_path / "b.db", "CREATE TABLE message(ROWID INTEGER, text TEXT);")
    no_text = make_db(
        tmp_path / "c.db",
        "CREATE TABLE message(ROWID INTEGER, date INT); CREATE TABLE handle(ROWID, id);",
    )
    cases = {
        garbage: "not a SQLite database",
        no_message: "not an iMessage database: no 'message' table",
        no_handle: "not an iMessage database: no 'handle' table",
        no_text: "not an iMessage database: the 'message' table has no text column",
        tmp_path / "missing.db": "cannot open the database",
    }
    for path, detail in cases.items():
        with pytest.raises(ChatxError) as caught:
            parse_imessage(path, "src.db")
        assert caught.value.problem.code == "PARSE_ERROR"
        assert caught.value.problem.detail.startswith(detail)
        assert caught.value.problem.instance == "src.db"
        assert not looks_like_imessage(path)
    assert not looks_like_imessage(tmp_path)  # a folder


def test_corrupt_pages_are_a_parse_error(corpus: Path, tmp_path: Path) -> None:
    data = bytearray((corpus / "imessage" / "plaso_ios_chat_2015.db").read_bytes())
    data[4096 : len(data)] = b"\xff" * (len(data) - 4096)  # every page after the first
    broken = tmp_path / "broken.db"
    broken.write_bytes(bytes(data))
    with pytest.raises(ChatxError) as caught:
        parse_imessage(broken, "broken.db")
    assert caught.value.problem.detail.startswith("corrupt SQLite database: ")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imessage-fuzz")


@settings(max_examples=50, deadline=None)
@given(
    name=st.sampled_from(CORPUS_DBS),
    keep=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.integers(0, 2**20), st.integers(1, 255)), max_size=4),
)
def test_truncated_or_flipped_database_never_crashes(
    corpus: Path, scratch: Path, name: str, keep: float, flips: list[tuple[int, int]]
) -> None:
    data = bytearray((corpus / "imessage" / name).read_bytes())
    del data[int(len(data) * keep) :]
    for position, mask in flips:
        if data:
            data[position % len(data)] ^= mask
    path = scratch / "fuzz.db"
    path.write_bytes(bytes(data))
    looks_like_imessage(path)
    try:
        result = parse_imessage(path, "fuzz.db")
    except ChatxError as exc:
        assert exc.problem.code == "PARSE_ERROR"
        return
    assert all(isinstance(m, Message) for m in result.messages)


# --- a hand-made macOS 14 database --------------------------------------------------------

MODERN_SCHEMA = """
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL,
    country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    style INTEGER, chat_identifier TEXT, service_name TEXT, display_name TEXT);
CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE(chat_id, handle_id));
CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER,
    PRIMARY KEY (chat_id, message_id));
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    text TEXT, handle_id INTEGER DEFAULT 0, service TEXT, attributedBody BLOB,
    date INTEGER, is_from_me INTEGER DEFAULT 0, item_type INTEGER DEFAULT 0, group_title TEXT,
    cache_has_attachments INTEGER DEFAULT 0, associated_message_guid TEXT,
    associated_message_type INTEGER DEFAULT 0, associated_message_emoji TEXT,
    message_summary_info BLOB, thread_originator_guid TEXT, date_retracted INTEGER DEFAULT 0,
    date_edited INTEGER DEFAULT 0, part_count INTEGER);
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    filename TEXT, uti TEXT, mime_type TEXT, transfer_name TEXT, is_sticker INTEGER DEFAULT 0);
CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER,
    UNIQUE(message_id, attachment_id));
"""
T0 = 720_000_000 * 10**9  # nanoseconds since 2001: 2023-10-26T08:00:00Z
ALICE, BOB, CAROL = "+15550001111", "bob@example.com", "+15550003333"


def typed_int(value: int) -> bytes:
    if value < 0x80:
        return bytes([value])
    if value < 0x8000:
        return b"\x81" + value.to_bytes(2, "little")
    return b"\x82" + value.to_bytes(4, "little")


def archived(text: str) -> bytes:
    """A hand-made NSMutableAttributedString typedstream, as Messages writes one."""
    data = text.encode()
    return (
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x19NSMutableAttributedString"
        b"\x00\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84"
        b"\x0fNSMutableString\x01\x84\x84\x08NSString\x01\x95\x84\x01+"
        + typed_int(len(data))
        + data
        + b"\x86\x84\x02iI\x01"
        + typed_int(len(text.encode("utf-16-le")) // 2)
        + b"\x92\x84\x84\x84\x0cNSDictionary\x00\x95\x84\x01i\x01\x92\x84\x98\x98"
        b"\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84"
        b"\x07NSValue\x00\x95\x84\x01*\x84\x9b\x9b\x00\x86\x86\x86"
    )


SUMMARY = plistlib.dumps({"amc": 1, "ust": True}, fmt=plistlib.FMT_BINARY)
RETRACTED = plistlib.dumps({"amc": 1, "ust": True, "rp": [0]}, fmt=plistlib.FMT_BINARY)


def cut_off(text: str) -> bytes:
    """An archive that ends three bytes into its string."""
    blob = archived(text)
    return blob[: blob.index(text.encode()) + 3]


def seconds(offset: int) -> int:
    return T0 + offset * 10**9


MESSAGES: list[tuple[int, str, str | None, int, int, int | None, int, dict[str, object]]] = [
    # ROWID, guid, text, handle, from_me, chat, date offset, extra columns
    (1, "G1", "Who's in for Saturday?", 1, 0, 1, 0, {}),
    (2, "G2", "Me!", 0, 1, 1, 60, {"thread_originator_guid": "G1"}),
    (3, "G3", None, 2, 0, 1, 120, {"associated_message_guid": "p:0/G1"}),
    (4, "G4", None, 1, 0, 1, 130, {"associated_message_guid": "p:0/G2"}),
    (5, "G5", None, 1, 0, 1, 140, {"associated_message_guid": "p:0/G2"}),
    (6, "G6", None, 2, 0, 1, 150, {"associated_message_guid": "p:0/G1"}),
    (7, "G7", "See you at 10", 0, 1, 1, 160, {"date_edited": seconds(200)}),
    (8, "G8", None, 1, 0, 1, 170, {"date_retracted": seconds(175)}),
    (9, "G9", "\ufffc", 2, 0, 1, 180, {"cache_has_attachments": 1}),
    (10, "G10", None, 0, 1, 1, -10, {"item_type": 2, "group_title": "Weekend Crew"}),
    (11, "G11", None, 2, 0, 2, 300, {"attributedBody": archived("Sure 🙂 see you")}),
    (12, "G12", "Great", 0, 1, 2, 310, {"cache_has_attachments": 1}),
    (13, "G13", None, 2, 0, 2, 320, {"attributedBody": cut_off("cut off here")}),
    (14, "G14", "Hi, it's Carol", 3, 0, None, 400, {}),
    (15, "G15", None, 1, 0, 1, 190, {"message_summary_info": RETRACTED}),
    (16, "G16", None, 2, 0, 2, 330, {"message_summary_info": SUMMARY}),
    (17, "G17", "Liked “Great”", 2, 0, 2, 340, {}),
    (18, "G18", None, 2, 0, 1, 210, {"associated_message_guid": "bp:G7"}),
    (19, "G19", None, 2, 0, 1, 195, {"date_edited": seconds(196)}),
]
TAPBACK_TYPES = {3: 2000, 4: 2001, 5: 3001, 6: 2006, 18: 2003}


@pytest.fixture()
def modern_db(tmp_path: Path) -> Path:
    path = make_db(tmp_path / "chat.db", MODERN_SCHEMA)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO handle (ROWID, id, service) VALUES (?, ?, 'iMessage')",
        [(1, ALICE), (2, BOB), (3, CAROL)],
    )
    conn.executemany(
        "INSERT INTO chat (ROWID, guid, style, chat_identifier, display_name) VALUES (?,?,?,?,?)",
        [
            (1, "iMessage;+;chat1234", 43, "chat1234", "Weekend Crew"),
            (2, f"iMessage;-;{BOB}", 45, BOB, ""),
        ],
    )
    conn.executemany("INSERT INTO chat_handle_join VALUES (?, ?)", [(1, 1), (1, 2), (2, 2)])
    for rowid, guid, text, handle, from_me, chat, offset, extra in MESSAGES:
        columns: dict[str, object] = {
            "ROWID": rowid,
            "guid": guid,
            "text": text,
            "handle_id": handle,
            "is_from_me": from_me,
            "date": seconds(offset),
            "associated_message_type": TAPBACK_TYPES.get(rowid, 0),
            **extra,
        }
        if rowid == 6:
            columns["associated_message_emoji"] = "🔥"
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        conn.execute(f"INSERT INTO message ({names}) VALUES ({marks})", list(columns.values()))
        if chat is not None:
            conn.execute("INSERT INTO chat_message_join VALUES (?, ?, 0)", (chat, rowid))
    conn.executemany(
        "INSERT INTO attachment (ROWID, guid, filename, uti, mime_type, transfer_name) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (1, "A1", "~/Library/Messages/Attachments/ab/11/A1/IMG_0001.HEIC", "public.heic",
             "image/heic", "IMG_0001.HEIC"),
            (2, "A2", "~/Library/Messages/Attachments/cd/12/A2/Audio Message.caf",
             "com.apple.coreaudio-format", None, None),
        ],
    )  # fmt: skip
    conn.executemany("INSERT INTO message_attachment_join VALUES (?, ?)", [(9, 1), (12, 2)])
    conn.commit()
    conn.close()
    return path


def test_modern_database(modern_db: Path) -> None:
    result = parse_imessage(modern_db, "chat.db")
    messages = result.messages
    assert_contiguous_and_ordered(messages)
    group = stable_id(PLATFORM, "iMessage;+;chat1234")
    direct = stable_id(PLATFORM, f"iMessage;-;{BOB}")
    alone = stable_id(PLATFORM, "handle", CAROL)  # the handle itself: rowids differ per device
    assert [(m.conv_id, m.source_ref.line) for m in messages] == [
        (group, 10),
        (group, 1),
        (group, 2),
        (group, 7),
        (group, 8),
        (group, 9),
        (group, 15),
        (group, 19),
        (direct, 11),
        (direct, 12),
        (alone, 14),
    ]
    assert [m.source_meta.get("chat") for m in messages] == ["Weekend Crew"] * 8 + [BOB] * 2 + [
        CAROL
    ]
    rename, saturday, me_too, edited, unsent, photo, unsent_summary, edited_away = messages[:8]
    assert rename.sender is None and rename.text == "ME named the conversation “Weekend Crew”"
    assert rename.source_meta["system"] is True
    assert saturday.sender == ALICE and saturday.sender_id == ALICE and not saturday.is_me
    assert saturday.timestamp == datetime(2023, 10, 26, 8, 0, tzinfo=UTC)
    assert saturday.msg_id == stable_id(PLATFORM, "G1")
    # tapbacks 2000 and 2006 (custom emoji) stay; 2001 is taken back by 3001
    assert saturday.reactions == [Reaction(emoji="❤️", sender=BOB), Reaction(emoji="🔥", sender=BOB)]
    assert me_too.reply_to_msg_id == saturday.msg_id and me_too.is_me and me_too.sender == "ME"
    assert me_too.reactions == []
    assert edited.text == "See you at 10"
    assert edited.source_meta["edited"] == "2023-10-26T08:03:20+00:00"
    assert edited.reactions == [Reaction(emoji="😂", sender=BOB)]  # a "bp:" target
    assert unsent.text == "" and unsent.source_meta["unsent"] is True
    assert unsent_summary.text == "" and unsent_summary.source_meta["unsent"] is True
    assert edited_away.text == "" and edited_away.source_meta["unsent"] is True
    assert "edited" not in edited_away.source_meta
    assert photo.text == "" and photo.attachments == [
        Attachment(kind="image", name="IMG_0001.HEIC", mime="image/heic")
    ]
    sure, great, carol = messages[8:]
    assert sure.text == "Sure 🙂 see you" and sure.sender == BOB
    assert great.attachments == [
        Attachment(kind="audio", name="~/Library/Messages/Attachments/cd/12/A2/Audio Message.caf")
    ]
    assert great.reactions == [Reaction(emoji="👍", sender=BOB)]  # an SMS-style text tapback
    assert carol.sender == CAROL and carol.text == "Hi, it's Carol"
    # the cut-off attributedBody is that row's problem; row 16, empty but not unsent, is skipped
    assert [(p.instance, p.code) for p in result.problems] == [
        ("chat.db#message=13", "PARSE_ERROR")
    ]
    assert "attributedBody cannot be read" in result.problems[0].detail


def test_tapback_texts_without_a_target_stay_text(modern_db: Path) -> None:
    conn = sqlite3.connect(modern_db)
    conn.execute("UPDATE message SET text = 'Loved “Nothing said this”' WHERE ROWID = 17")
    conn.commit()
    conn.close()
    messages = parse_imessage(modern_db, "chat.db").messages
    assert by_text(messages, "Loved “Nothing said this”").sender == BOB
    assert by_text(messages, "Great").reactions == []


def test_removed_text_tapback_cancels_the_added_one(modern_db: Path) -> None:
    conn = sqlite3.connect(modern_db)
    conn.execute(
        "INSERT INTO message (ROWID, guid, text, handle_id, date) VALUES (20, 'G20', ?, 2, ?)",
        ("Removed a like from “Great”", seconds(350)),
    )
    conn.execute("INSERT INTO chat_message_join VALUES (2, 20, 0)")
    conn.commit()
    conn.close()
    messages = parse_imessage(modern_db, "chat.db").messages
    assert by_text(messages, "Great").reactions == []
    assert not any(m.text.startswith(("Liked", "Removed")) for m in messages)


# --- attributedBody decoder ---------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 127, 128, 255, 32767, 40000])
def test_attributed_text_length_prefixes(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)
    assert attributed_text(archived(text)) == text


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_attributed_text_round_trip(text: str) -> None:
    text = text.encode("utf-8", "replace").decode("utf-8")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert attributed_text(archived(text)) == text


def test_hand_made_archives_agree_with_pytypedstream() -> None:
    typedstream = pytest.importorskip("typedstream")
    for text in ["", "hello", "Sure 🙂 see you", "x" * 200]:
        decoded = typedstream.unarchive_from_data(archived(text))
        assert decoded.contents[0].value.value == text


def test_attributed_text_rejects_and_reports() -> None:
    assert attributed_text(b"bplist00...") is None
    assert attributed_text(b"\x04\x0bstreamtyped\x81\xe8\x03 no string here") is None
    with pytest.raises(TypedStreamError):
        attributed_text(cut_off("a long enough text"))
    with pytest.raises(TypedStreamError):
        attributed_text(b"\x04\x0bstreamtypedNSString\x01\x94")


# --- iPhone backups -----------------------------------------------------------------------

SMS_ID = hashlib.sha1(b"HomeDomain-Library/SMS/sms.db").hexdigest()


def make_manifest(folder: Path, file_id: str) -> None:
    make_db(
        folder / "Manifest.db",
        "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, "
        "flags INTEGER, file BLOB);"
        "INSERT INTO Files VALUES ('0000aaaa', 'HomeDomain', 'Library/Notes/x.db', 1, NULL);"
        f"INSERT INTO Files VALUES ('{file_id}', 'HomeDomain', 'Library/SMS/sms.db', 1, NULL);",
    )


def test_backup_sms_db(tmp_path: Path) -> None:
    nested = tmp_path / "nested"
    (nested / "ab").mkdir(parents=True)
    make_manifest(nested, "abcdef0123")
    assert backup_sms_db(nested) is None  # listed but absent
    (nested / "ab" / "abcdef0123").write_bytes(b"db")
    assert backup_sms_db(nested) == nested / "ab" / "abcdef0123"

    flat = tmp_path / "flat"
    flat.mkdir()
    make_manifest(flat, "abcdef0123")
    (flat / "abcdef0123").write_bytes(b"db")
    assert backup_sms_db(flat) == flat / "abcdef0123"

    old = tmp_path / "old"  # before iOS 10: no Manifest.db, the id is the path's hash
    old.mkdir()
    (old / SMS_ID).write_bytes(b"db")
    assert backup_sms_db(old) == old / SMS_ID

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "Manifest.db").write_bytes(b"encrypted" * 100)
    assert backup_sms_db(broken) is None
    assert backup_sms_db(tmp_path / "missing") is None


def test_a_live_wal_database_is_read_as_checkpointed_and_left_untouched(
    corpus: Path, tmp_path: Path
) -> None:
    """Messages keeps chat.db in WAL mode: what it has not checkpointed is not seen, and
    neither the database nor its -wal and -shm files change."""
    path = tmp_path / "chat.db"
    shutil.copy(corpus / "imessage" / "langchain_imessage_chat_osx11.db", path)
    live = sqlite3.connect(path)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute("UPDATE message SET text = 'only in the wal' WHERE ROWID = 241480")
    live.commit()
    files = sorted(tmp_path.iterdir())
    before = [p.read_bytes() for p in files]
    try:
        result = parse_imessage(path, "chat.db")
    finally:
        after = [p.read_bytes() for p in files]
        live.close()
    assert len(result.messages) == 22 and result.problems == []
    assert "only in the wal" not in {m.text for m in result.messages}
    assert [p.name for p in files] == ["chat.db", "chat.db-shm", "chat.db-wal"]
    assert after == before
