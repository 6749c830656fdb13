"""Synthetic exports in every chat format ChatX reads, in the layouts the real exporters write,
for `formats_bench.py`. Texts come from `synth.message_text`; nothing here is real data."""

from __future__ import annotations

import html
import json
import random
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from synth import message_text, whatsapp_export

PEOPLE = ["Ana Souza", "Ben Okafor", "Chen Wei", "Dana Levi", "Emil Novak", "Fatima Zahra"]
START = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def _moments(rng: random.Random, count: int) -> Iterator[datetime]:
    moment = START
    for _ in range(count):
        moment += timedelta(seconds=rng.randint(5, 900))
        yield moment


def whatsapp_zip(path: Path, rng: random.Random, messages: int) -> None:
    """ "Export chat → Attach media": `_chat.txt` and a few photos it mentions."""
    text = whatsapp_export(rng, messages, START.replace(tzinfo=None), ios=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", text)
        for n in range(3):
            archive.writestr(f"0000000{n}-PHOTO-2023-03-01-09-00-0{n}.jpg", b"\xff\xd8\xff" * 100)


def signal_text(rng: random.Random, messages: int) -> str:
    """signal-export's text layout: `[2023-03-01, 09:00] Name: text`."""
    return "".join(
        f"[{moment:%Y-%m-%d, %H:%M}] {rng.choice(PEOPLE[:2])}: {message_text(rng)}\n"
        for moment in _moments(rng, messages)
    )


def telegram_json(rng: random.Random, messages: int) -> str:
    """Telegram Desktop's single-chat `result.json`."""
    records = []
    for number, moment in enumerate(_moments(rng, messages), start=1):
        sender = rng.randrange(2)
        record: dict[str, object] = {
            "id": number,
            "type": "message",
            "date": moment.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(int(moment.timestamp())),
            "from": PEOPLE[sender],
            "from_id": f"user{1000 + sender}",
            "text": message_text(rng),
        }
        if number > 1 and rng.random() < 0.1:
            record["reply_to_message_id"] = rng.randrange(1, number)
        records.append(record)
    return json.dumps({"name": PEOPLE[1], "type": "personal_chat", "id": 42, "messages": records})


def telegram_html(rng: random.Random, messages: int) -> str:
    """Telegram Desktop's `messages.html`."""
    parts = [
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8"/>\n<title>Exported Data</title>\n'
        '</head>\n<body>\n<div class="page_wrap">\n<div class="page_header">\n'
        '<div class="content">\n<div class="text bold">\nBen Okafor\n</div>\n</div>\n</div>\n'
        '<div class="page_body chat_page">\n<div class="history">\n'
    ]
    for number, moment in enumerate(_moments(rng, messages), start=1):
        parts.append(
            f'<div class="message default clearfix" id="message{number}">\n<div class="body">\n'
            f'<div class="pull_right date details" title="{moment:%d.%m.%Y %H:%M:%S} UTC+00:00">'
            f"\n{moment:%H:%M}\n</div>\n"
            f'<div class="from_name">\n{rng.choice(PEOPLE[:2])}\n</div>\n'
            f'<div class="text">\n{html.escape(message_text(rng))}\n</div>\n</div>\n</div>\n'
        )
    parts.append("</div>\n</div>\n</div>\n</body>\n</html>\n")
    return "".join(parts)


def meta_json(rng: random.Random, messages: int) -> str:
    """Messenger's `message_1.json`: newest first, text escaped byte by byte (mojibake)."""
    records = [
        {
            "sender_name": rng.choice(PEOPLE[:2]),
            "timestamp_ms": int(moment.timestamp() * 1000),
            "content": message_text(rng).encode("utf-8").decode("latin-1"),
            "is_geoblocked_for_viewer": False,
        }
        for moment in _moments(rng, messages)
    ]
    records.reverse()
    return json.dumps(
        {
            "participants": [{"name": name} for name in PEOPLE[:2]],
            "messages": records,
            "title": PEOPLE[1],
            "thread_path": "inbox/benokafor_123",
        }
    )


def slack_day(rng: random.Random, messages: int) -> str:
    """One `<channel>/<YYYY-MM-DD>.json` of a Slack export."""
    records = []
    for moment in _moments(rng, messages):
        text = message_text(rng)
        if rng.random() < 0.1:
            text = f"<@U0{rng.randrange(len(PEOPLE))}> {text}"
        records.append(
            {
                "type": "message",
                "user": f"U0{rng.randrange(len(PEOPLE))}",
                "text": text,
                "ts": f"{moment.timestamp():.6f}",
            }
        )
    return json.dumps(records)


def slack_users() -> str:
    """The `users.json` the day files resolve their ids with."""
    return json.dumps(
        [
            {"id": f"U0{n}", "name": name.split()[0].lower(), "real_name": name}
            for n, name in enumerate(PEOPLE)
        ]
    )


def discord_json(rng: random.Random, messages: int) -> str:
    """DiscordChatExporter's JSON."""
    records = []
    for number, moment in enumerate(_moments(rng, messages), start=1):
        author = rng.randrange(len(PEOPLE))
        record: dict[str, object] = {
            "id": str(10_000 + number),
            "type": "Default",
            "timestamp": moment.isoformat(),
            "timestampEdited": None,
            "content": message_text(rng),
            "author": {"id": str(author), "name": PEOPLE[author], "isBot": False},
            "attachments": [],
            "embeds": [],
            "reactions": [],
        }
        if number > 1 and rng.random() < 0.1:
            record["type"] = "Reply"
            record["reference"] = {"messageId": str(10_000 + rng.randrange(1, number))}
        records.append(record)
    return json.dumps(
        {
            "guild": {"id": "1", "name": "Synth"},
            "channel": {"id": "2", "name": "general", "type": "GuildTextChat"},
            "messages": records,
            "messageCount": len(records),
        }
    )


def discord_csv(rng: random.Random, messages: int) -> str:
    """DiscordChatExporter's CSV."""
    rows = ['"AuthorID","Author","Date","Content","Attachments","Reactions"']
    for moment in _moments(rng, messages):
        author = rng.randrange(len(PEOPLE))
        content = message_text(rng).replace('"', '""')
        rows.append(f'"{author}","{PEOPLE[author]}","{moment.isoformat()}","{content}","",""')
    return "\n".join(rows) + "\n"


def attributed_body(text: str) -> bytes:
    """An NSAttributedString typedstream as Messages stores it (macOS 11+): the text is only
    here when the `text` column is NULL."""
    data = text.encode("utf-8")
    short = len(data) < 0x81
    length = bytes([len(data)]) if short else b"\x81" + len(data).to_bytes(2, "little")
    return (
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00"
        b"\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+"
        + length
        + data
        + b"\x86\x84\x02iI\x01"
        + bytes([min(len(text), 127)])
        + b"\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84\x96\x96"
        b"\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84"
        b"\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86"
    )


_IMESSAGE_SCHEMA = """
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,
    country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    style INTEGER, chat_identifier TEXT, service_name TEXT, display_name TEXT);
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    text TEXT, handle_id INTEGER DEFAULT 0, service TEXT, attributedBody BLOB,
    date INTEGER, date_read INTEGER, is_from_me INTEGER DEFAULT 0, item_type INTEGER DEFAULT 0,
    cache_has_attachments INTEGER DEFAULT 0, associated_message_guid TEXT,
    associated_message_type INTEGER DEFAULT 0, associated_message_emoji TEXT,
    thread_originator_guid TEXT, date_edited INTEGER DEFAULT 0,
    date_retracted INTEGER DEFAULT 0, message_summary_info BLOB, group_title TEXT);
CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER,
    PRIMARY KEY (chat_id, message_id));
CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE (chat_id, handle_id));
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
    filename TEXT, mime_type TEXT, transfer_name TEXT, total_bytes INTEGER);
CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER,
    UNIQUE (message_id, attachment_id));
"""
_TAPBACKS = (2000, 2001, 2003)


def imessage_db(path: Path, rng: random.Random, messages: int, chats: int = 200) -> None:
    """A macOS 14 style `chat.db`: 1:1 and group chats, a third of the texts only in
    `attributedBody`, tapbacks, replies, edits and photos, in the tables Messages writes."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(_IMESSAGE_SCHEMA)
    handles = [(f"+1555{n:07d}", "US", "iMessage") for n in range(chats)]
    db.executemany("INSERT INTO handle (id, country, service) VALUES (?, ?, ?)", handles)
    db.executemany(
        "INSERT INTO chat (guid, style, chat_identifier, service_name, display_name) "
        "VALUES (?, ?, ?, 'iMessage', ?)",
        [
            (f"iMessage;-;chat{n}", 43 if n % 5 == 0 else 45, f"chat{n}",
             f"Group {n}" if n % 5 == 0 else "")
            for n in range(chats)
        ],
    )  # fmt: skip
    db.executemany(
        "INSERT INTO chat_handle_join VALUES (?, ?)", [(n + 1, n + 1) for n in range(chats)]
    )
    rows, joins, attachments, links = [], [], [], []
    last: dict[int, str] = {}
    for rowid, moment in enumerate(_moments(rng, messages), start=1):
        chat = rng.randrange(chats) + 1
        guid = f"M{rowid:09d}"
        date = int((moment - APPLE_EPOCH).total_seconds() * 1e9)
        mine = rng.random() < 0.4
        text = message_text(rng)
        target = last.get(chat)
        kind, associated, origin, body = 0, None, None, None
        if target and rng.random() < 0.05:
            kind, associated, text = rng.choice(_TAPBACKS), f"p:0/{target}", "Liked a message"
        elif target and rng.random() < 0.05:
            origin = target
        if kind == 0 and rng.random() < 0.33:
            body, text = attributed_body(text), None
        rows.append(
            (rowid, guid, text, 0 if mine else chat, body, date, int(mine), associated, kind,
             origin, date + 60_000_000_000 if rng.random() < 0.01 else 0,
             int(rng.random() < 0.02))
        )  # fmt: skip
        joins.append((chat, rowid, date))
        if rows[-1][-1]:
            attachments.append((f"A{rowid}", f"~/Library/Messages/Attachments/{rowid}.heic",
                                "image/heic", f"IMG_{rowid}.heic"))  # fmt: skip
            links.append((rowid, len(attachments)))
        if kind == 0:
            last[chat] = guid
    db.executemany(
        "INSERT INTO message (ROWID, guid, text, handle_id, attributedBody, date, is_from_me, "
        "associated_message_guid, associated_message_type, thread_originator_guid, "
        "date_edited, cache_has_attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany("INSERT INTO chat_message_join VALUES (?, ?, ?)", joins)
    db.executemany(
        "INSERT INTO attachment (guid, filename, mime_type, transfer_name) VALUES (?, ?, ?, ?)",
        attachments,
    )
    db.executemany("INSERT INTO message_attachment_join VALUES (?, ?)", links)
    db.commit()
    db.close()


def pdf_document(pages: int, rng: random.Random) -> bytes:
    """A PDF with a text layer on every page (Helvetica, one paragraph per page)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 "
               b"/BaseFont /Helvetica >>"]  # fmt: skip
    kids = []
    for _ in range(pages):
        lines = [message_text(rng) for _ in range(12)]
        text = " T* ".join(
            "(" + line.encode("latin-1", "replace").decode("latin-1").replace("\\", "")
            .replace("(", "").replace(")", "") + ") Tj"
            for line in lines
        )  # fmt: skip
        stream = f"BT /F1 10 Tf 14 TL 50 780 Td {text} ET".encode("latin-1", "replace")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % content
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
