"""iMessage `chat.db` (macOS Messages, or `sms.db` of an iPhone backup), read in place.

The database is opened read-only and immutable: a live Messages database is never locked or
changed, and no -wal/-shm file appears beside it (what only the write-ahead log holds is not
seen). One query streams every message, chat by chat in time order; handles, chats,
attachments and tapbacks are loaded first into dicts.
"""

from __future__ import annotations

import hashlib
import plistlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from chatx import locator
from chatx.ingest.common import Extracted, RecordError, stable_id
from chatx.ingest.typedstream import TypedStreamError, attributed_text
from chatx.models import Attachment, Message, Reaction, SourceRef
from chatx.problems import ChatxError, ProblemCode

PLATFORM = "imessage"
ME = "ME"
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_NANOSECONDS = 10**12  # Apple times above this count nanoseconds (macOS 10.13+), else seconds
_BATCH = 2000
# What a damaged file raises: SQLite's errors, and a message of its in bytes that are no UTF-8.
_DB_ERRORS = (sqlite3.Error, UnicodeDecodeError)
_OBJECT_REPLACEMENT = "\ufffc"  # where an attachment sits in the text

# The columns read from `message`, in the order of `_Row`; one absent from an older schema
# is read as NULL.
_MESSAGE_COLUMNS = (
    "guid",
    "text",
    "attributedBody",
    "handle_id",
    "date",
    "is_from_me",
    "associated_message_guid",
    "associated_message_type",
    "associated_message_emoji",
    "thread_originator_guid",
    "date_edited",
    "date_retracted",
    "message_summary_info",
    "item_type",
    "group_title",
)
_TAPBACK_ADDED = 2000
_TAPBACK_REMOVED = 3000
_TAPBACK_END = 4000
_TAPBACK_EMOJI = {0: "❤️", 1: "👍", 2: "👎", 3: "😂", 4: "‼️", 5: "❓"}
_IS_TAPBACK = (
    f"coalesce(m.associated_message_type, 0) BETWEEN {_TAPBACK_ADDED} AND {_TAPBACK_END - 1}"
)

# What Messages writes for a tapback when it cannot send one (older databases, SMS peers).
_TEXT_TAPBACK = re.compile(
    r"^(?:(?P<verb>Loved|Liked|Disliked|Laughed at|Emphasized|Questioned)"
    r"|Reacted (?P<emoji>.+?) to"
    r"|Removed (?:a |an )?(?P<removed>.+?) from) “(?P<quoted>.*)”$",
    re.DOTALL,
)
_VERB_EMOJI = {
    "Loved": "❤️",
    "Liked": "👍",
    "Disliked": "👎",
    "Laughed at": "😂",
    "Emphasized": "‼️",
    "Questioned": "❓",
}
_REMOVED_EMOJI = {
    "heart": "❤️",
    "like": "👍",
    "dislike": "👎",
    "laugh": "😂",
    "exclamation": "‼️",
    "emphasis": "‼️",
    "question mark": "❓",
}

_KIND_HINTS = (  # (kind, words of a uti or extensions of a file name)
    ("audio", ("audio", "m4a", "mp3", "caf", "amr", "aac", "wav", "opus")),
    ("video", ("movie", "video", "mpeg-4", "mp4", "mov", "m4v", "3gp")),
    ("image", ("image", "jpeg", "jpg", "png", "heic", "heif", "gif", "webp", "tiff")),
)

_ConvKey = tuple[str, object]  # ("chat", chat ROWID) or ("handle", handle ROWID)


class _Row(NamedTuple):
    rowid: int
    key: object  # the ROWID column: an int, or text in hand-made databases
    chat: object
    guid: object
    text: object
    body: object
    handle: object
    date: object
    from_me: object
    assoc_guid: object
    assoc_type: object
    assoc_emoji: object
    thread_guid: object
    edited: object
    retracted: object
    summary: object
    item_type: object
    group_title: object


@dataclass(frozen=True)
class _Conversation:
    conv_id: str
    title: str | None
    participants: tuple[str, ...]


@dataclass
class _Schema:
    columns: dict[str, set[str]]  # table -> its columns, both lower-case

    def has(self, table: str, column: str | None = None) -> bool:
        names = self.columns.get(table.lower())
        return names is not None and (column is None or column.lower() in names)

    def column(self, alias: str, table: str, column: str) -> str:
        """`alias.column` when the table has it, else NULL."""
        return f"{alias}.{column}" if self.has(table, column) else "NULL"


@dataclass
class _Db:
    conn: sqlite3.Connection
    schema: _Schema
    handles: dict[object, str] = field(default_factory=dict)
    chats: dict[object, _Conversation] = field(default_factory=dict)
    participants: dict[object, tuple[str, ...]] = field(default_factory=dict)
    attachments: dict[object, list[Attachment]] = field(default_factory=dict)
    reactions: dict[str, list[Reaction]] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)  # rows that are text tapbacks
    by_handle: dict[object, _Conversation] = field(default_factory=dict)


@dataclass(frozen=True)
class _Tapback:
    when: tuple[float, int]  # (date, rowid) of the tapback row
    target: str
    sender: str | None
    emoji: str
    removed: bool


def looks_like_imessage(path: Path) -> bool:
    """True for a SQLite file with the `message` and `handle` tables of Messages and a
    `chat` or `chat_message_join` table. Never raises."""
    try:
        conn = open_readonly(path)
        try:
            tables = set(_read_schema(conn).columns)
        finally:
            conn.close()
    except (OSError, RuntimeError, ValueError, sqlite3.Error):
        return False
    return {"message", "handle"} <= tables and bool({"chat", "chat_message_join"} & tables)


def parse_imessage(path: Path, source: str) -> Extracted:
    """Every message of a Messages database, chat by chat, as canonical messages."""
    result = Extracted(format="imessage", kind="chat")
    result.messages = list(iter_imessage(path, source, result))
    return result


def iter_imessage(path: Path, source: str, result: Extracted) -> Iterator[Message]:
    """The messages of `parse_imessage`, streamed: conversation by conversation, in time
    order inside each, without holding them all. Bad rows become problems in `result`;
    a file that is no Messages database raises ChatxError."""
    try:
        conn = open_readonly(path)
    except (OSError, RuntimeError, ValueError, sqlite3.Error) as exc:
        raise _file_error(exc, source) from exc
    try:
        try:
            db = _load(conn, source)
        except _DB_ERRORS as exc:
            raise _file_error(exc, source) from exc
        yield from _stream(db, source, result)
    finally:
        conn.close()


def backup_sms_db(folder: Path) -> Path | None:
    """The `sms.db` of an iPhone backup folder (the file `Manifest.db` names for
    HomeDomain `Library/SMS/sms.db`, in its `xx/` subfolder or flat), or None."""
    file_id = _manifest_file_id(folder / "Manifest.db")
    if file_id is None:  # backups before iOS 10: no Manifest.db, the id is a known hash
        file_id = hashlib.sha1(b"HomeDomain-Library/SMS/sms.db", usedforsecurity=False).hexdigest()
    for candidate in (folder / file_id[:2] / file_id, folder / file_id):
        if candidate.is_file():
            return candidate
    return None


def _manifest_file_id(manifest: Path) -> str | None:
    if not manifest.is_file():
        return None
    try:
        conn = open_readonly(manifest)
        try:
            row = conn.execute(
                "SELECT fileID FROM Files WHERE domain = 'HomeDomain' "
                "AND relativePath = 'Library/SMS/sms.db'"
            ).fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, ValueError):
        return None
    file_id = row[0] if row else None
    if isinstance(file_id, str) and re.fullmatch(r"[0-9A-Fa-f]{6,64}", file_id):
        return file_id
    return None


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only, immutable connection: no lock taken, no journal or WAL file made."""
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None
    )
    conn.text_factory = _decode
    return conn


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _file_error(exc: Exception, source: str) -> ChatxError:
    reason = "unreadable schema or text" if isinstance(exc, UnicodeDecodeError) else str(exc)
    if "not a database" in reason:
        detail = "not a SQLite database (file is not a database or is encrypted)"
    elif "unable to open" in reason:
        detail = f"cannot open the database: {reason}"
    else:
        detail = f"corrupt SQLite database: {reason}"
    return ChatxError.of(ProblemCode.PARSE_ERROR, detail, source)


def _read_schema(conn: sqlite3.Connection) -> _Schema:
    tables = [
        str(name) for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    columns: dict[str, set[str]] = {}
    for table in tables:
        quoted = table.replace('"', '""')
        info = conn.execute(f'PRAGMA table_info("{quoted}")').fetchall()
        columns[table.lower()] = {str(column[1]).lower() for column in info}
    return _Schema(columns)


def _load(conn: sqlite3.Connection, source: str) -> _Db:
    """Everything but the messages themselves, checking this is a Messages database."""
    schema = _read_schema(conn)
    for table in ("message", "handle"):
        if not schema.has(table):
            raise ChatxError.of(
                ProblemCode.PARSE_ERROR, f"not an iMessage database: no '{table}' table", source
            )
    if not (schema.has("message", "text") or schema.has("message", "attributedBody")):
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR,
            "not an iMessage database: the 'message' table has no text column",
            source,
        )
    db = _Db(conn, schema)
    db.handles = _load_handles(db)
    db.participants = _load_participants(db)
    db.chats = _load_chats(db)
    db.attachments = _load_attachments(db)
    events = _structured_tapbacks(db) + _text_tapbacks(db)
    db.reactions = _fold_reactions(events)
    return db


def _load_handles(db: _Db) -> dict[object, str]:
    column = db.schema.column("h", "handle", "id")
    rows = db.conn.execute(f"SELECT h.ROWID, {column} FROM handle h")
    return {key: _clean(value) or str(key) for key, value in rows}


def _load_participants(db: _Db) -> dict[object, tuple[str, ...]]:
    """The other people of each chat: `chat_handle_join`, or the senders of its messages."""
    if db.schema.has("chat_handle_join"):
        sql = "SELECT chat_id, handle_id FROM chat_handle_join ORDER BY chat_id, handle_id"
    elif db.schema.has("chat_message_join"):
        sql = (
            "SELECT DISTINCT j.chat_id, m.handle_id FROM chat_message_join j "
            "JOIN message m ON m.ROWID = j.message_id ORDER BY j.chat_id, m.handle_id"
        )
    else:
        return {}
    found: dict[object, list[str]] = {}
    for chat, handle in db.conn.execute(sql):
        name = db.handles.get(handle)
        people = found.setdefault(chat, [])
        if name is not None and name not in people:
            people.append(name)
    return {chat: tuple(people) for chat, people in found.items()}


def _load_chats(db: _Db) -> dict[object, _Conversation]:
    if not db.schema.has("chat"):
        return {}
    columns = ", ".join(
        db.schema.column("c", "chat", name) for name in ("guid", "display_name", "chat_identifier")
    )
    chats: dict[object, _Conversation] = {}
    for key, guid, display_name, identifier in db.conn.execute(
        f"SELECT c.ROWID, {columns} FROM chat c"
    ):
        people = db.participants.get(key, ())
        title = _clean(display_name) or ", ".join(people) or _clean(identifier)
        conv_id = stable_id(PLATFORM, guid) if _clean(guid) else stable_id(PLATFORM, "chat", key)
        chats[key] = _Conversation(conv_id, title, people)
    return chats


def _load_attachments(db: _Db) -> dict[object, list[Attachment]]:
    if not (db.schema.has("message_attachment_join") and db.schema.has("attachment")):
        return {}
    columns = ", ".join(
        db.schema.column("a", "attachment", name)
        for name in ("transfer_name", "filename", "mime_type", "uti", "is_sticker")
    )
    found: dict[object, list[Attachment]] = {}
    for message, transfer_name, filename, mime, uti, sticker in db.conn.execute(
        f"SELECT j.message_id, {columns} FROM message_attachment_join j "
        "JOIN attachment a ON a.ROWID = j.attachment_id ORDER BY j.message_id, a.ROWID"
    ):
        name = _clean(transfer_name) or _clean(filename)
        kind = "sticker" if _flag(sticker) else _kind_of(_clean(mime), _clean(uti), name)
        found.setdefault(message, []).append(Attachment(kind=kind, name=name, mime=_clean(mime)))
    return found


def _kind_of(mime: str | None, uti: str | None, name: str | None) -> str:
    major = mime.split("/", 1)[0].lower() if mime else ""
    if major in ("image", "video", "audio"):
        return major
    hints = [(uti or "").lower()]
    if name and "." in name:
        hints.append(name.rsplit(".", 1)[1].lower())
    for kind, words in _KIND_HINTS:
        if any(word in hint for hint in hints if hint for word in words):
            return kind
    return "document"


def _select(db: _Db, where: str = "", order: bool = True) -> str:
    """The message query: every column of `_Row`, each message once with its first chat."""
    schema = db.schema
    columns = ", ".join(schema.column("m", "message", name) for name in _MESSAGE_COLUMNS)
    joined = schema.has("chat_message_join")
    chat = "j.chat_id" if joined else "NULL"
    sql = f"SELECT m._rowid_, m.ROWID, {chat}, {columns} FROM message m"
    if joined:
        sql += (
            " LEFT JOIN (SELECT message_id, MIN(chat_id) AS chat_id FROM chat_message_join"
            " GROUP BY message_id) j ON j.message_id = m.ROWID"
        )
    if where:
        sql += f" WHERE {where}"
    if order:
        date = schema.column("m", "message", "date")
        sql += (
            f" ORDER BY {chat} IS NULL, {chat},"
            f" CASE WHEN {chat} IS NULL THEN m.handle_id END, {date}, m._rowid_"
        )
    return sql


def _structured_tapbacks(db: _Db) -> list[_Tapback]:
    """Tapback rows (associated_message_type 2000-3999)."""
    if not db.schema.has("message", "associated_message_type"):
        return []
    events: list[_Tapback] = []
    for raw in db.conn.execute(_select(db, _IS_TAPBACK, order=False)):
        row = _Row._make(raw)
        target = _target_guid(row.assoc_guid)
        kind = _int(row.assoc_type)
        emoji = _TAPBACK_EMOJI.get(kind % 1000) or _clean(row.assoc_emoji)
        if target and emoji:
            sender, _, _ = _sender(db, row)
            removed = kind >= _TAPBACK_REMOVED
            events.append(_Tapback(_when(row), target, sender, emoji, removed))
    return events


def _target_guid(value: object) -> str | None:
    """The message a tapback is on: 'p:0/GUID' (a part of it), 'bp:GUID', or 'GUID'."""
    text = _clean(value)
    if text is None:
        return None
    if text.startswith("p:") and "/" in text:
        return text.split("/", 1)[1] or None
    return text.removeprefix("bp:") or None


def _text_tapbacks(db: _Db) -> list[_Tapback]:
    """Tapbacks written as text ('Loved “…”'), when the quoted message is found: an earlier
    message of the same conversation with exactly that text. The others stay text."""
    text_col = db.schema.column("m", "message", "text")
    body_col = db.schema.column("m", "message", "attributedBody")
    like = (
        f"({text_col} LIKE '%”' OR (coalesce({text_col}, '') = ''"
        f" AND instr({body_col}, X'E2809D') > 0))"
    )
    if db.schema.has("message", "associated_message_type"):
        like += f" AND NOT ({_IS_TAPBACK})"
    pending: list[tuple[_Row, re.Match[str]]] = []
    for raw in db.conn.execute(_select(db, like, order=False)):
        row = _Row._make(raw)
        match = _TEXT_TAPBACK.match(_safe_text(row))
        if match is not None and match["quoted"]:
            pending.append((row, match))
    if not pending:
        return []
    targets = _quoted_targets(db, {match["quoted"] for _, match in pending})
    events: list[_Tapback] = []
    for row, match in pending:
        target = _latest_before(targets.get((_conv_key(row), match["quoted"]), []), row)
        if target is not None:
            db.hidden.add(row.rowid)
            events.append(_text_tapback(db, row, match, target))
    return events


def _quoted_targets(
    db: _Db, quoted: set[str]
) -> dict[tuple[_ConvKey, str], list[tuple[tuple[float, int], str]]]:
    """Messages whose text is one of `quoted`: (conversation, text) -> (when, id)."""
    db.conn.execute("CREATE TEMP TABLE IF NOT EXISTS chatx_quoted (text TEXT PRIMARY KEY)")
    db.conn.execute("DELETE FROM temp.chatx_quoted")
    db.conn.executemany("INSERT INTO temp.chatx_quoted VALUES (?)", [(q,) for q in quoted])
    text_col = db.schema.column("m", "message", "text")
    body_col = db.schema.column("m", "message", "attributedBody")
    where = (
        f"({text_col} IN (SELECT text FROM temp.chatx_quoted)"
        f" OR (coalesce({text_col}, '') = '' AND {body_col} IS NOT NULL))"
    )
    found: dict[tuple[_ConvKey, str], list[tuple[tuple[float, int], str]]] = {}
    for raw in db.conn.execute(_select(db, where, order=False)):
        row = _Row._make(raw)
        text = _safe_text(row)
        if text in quoted:
            found.setdefault((_conv_key(row), text), []).append((_when(row), _ident(row)))
    return found


def _latest_before(candidates: list[tuple[tuple[float, int], str]], row: _Row) -> str | None:
    """The id of the latest candidate sent before the tapback `row`."""
    when = _when(row)
    earlier = [candidate for candidate in candidates if candidate[0] < when]
    return max(earlier)[1] if earlier else None


def _text_tapback(db: _Db, row: _Row, match: re.Match[str], target: str) -> _Tapback:
    sender, _, _ = _sender(db, row)
    if match["removed"]:
        removed = match["removed"]
        return _Tapback(_when(row), target, sender, _REMOVED_EMOJI.get(removed, removed), True)
    emoji = _VERB_EMOJI[match["verb"]] if match["verb"] else match["emoji"]
    return _Tapback(_when(row), target, sender, emoji, False)


def _when(row: _Row) -> tuple[float, int]:
    return _sort_number(row.date), row.rowid


def _fold_reactions(events: list[_Tapback]) -> dict[str, list[Reaction]]:
    """The reactions left on each message once removed tapbacks cancel added ones."""
    standing: dict[str, dict[tuple[str | None, str], None]] = {}
    for event in sorted(events, key=lambda event: event.when):
        on_target = standing.setdefault(event.target, {})
        if event.removed:
            on_target.pop((event.sender, event.emoji), None)
        else:
            on_target[(event.sender, event.emoji)] = None
    return {
        target: [Reaction(emoji=emoji, sender=sender) for sender, emoji in reactions]
        for target, reactions in standing.items()
        if reactions
    }


def _stream(db: _Db, source: str, result: Extracted) -> Iterator[Message]:
    where = f"NOT ({_IS_TAPBACK})" if db.schema.has("message", "associated_message_type") else ""
    yielded = 0
    try:
        cursor = db.conn.execute(_select(db, where))
    except _DB_ERRORS as exc:
        raise _file_error(exc, source) from exc
    while True:
        try:
            batch = cursor.fetchmany(_BATCH)
        except _DB_ERRORS as exc:
            if not yielded:
                raise _file_error(exc, source) from exc
            result.add_problem(f"database damaged after {yielded} messages: {exc}", source)
            return
        if not batch:
            return
        for raw in batch:
            row = _Row._make(raw)
            where_ = f"{source}#message={row.rowid}"
            message = result.guard(where_, f"message {row.rowid}", _to_message, db, row, source)
            if message is not None:
                yielded += 1
                yield message


def _to_message(db: _Db, row: _Row, source: str) -> Message | None:
    """The message of one row; None for rows that carry nothing to read."""
    if row.rowid in db.hidden:
        return None
    conv = _conversation(db, row)
    if _int(row.item_type):
        return _system_message(db, row, conv, source)
    text = _text(row)
    attachments = db.attachments.get(row.key, [])
    meta: dict[str, object] = {"chat": conv.title} if conv.title else {}
    if _int(row.retracted) > 0 or (not text and not attachments and _was_unsent(row)):
        meta["unsent"] = True
    elif not text and not attachments:
        return None
    elif _int(row.edited) > 0:
        edited = _apple_time(row.edited)
        meta["edited"] = edited.isoformat() if edited else True
    sender, sender_id, is_me = _sender(db, row, conv)
    ident = _ident(row)
    thread = _clean(row.thread_guid)
    return Message(
        msg_id=stable_id(PLATFORM, ident),
        conv_id=conv.conv_id,
        platform=PLATFORM,
        timestamp=_apple_time(row.date),
        sender=sender,
        sender_id=sender_id,
        is_me=is_me,
        text=text,
        reply_to_msg_id=stable_id(PLATFORM, thread) if thread else None,
        reactions=db.reactions.get(ident, []),
        attachments=attachments,
        source_ref=_source_ref(row, ident, source),
        source_meta=meta,
    )


def _was_unsent(row: _Row) -> bool:
    """An empty message that was edited away, or whose summary lists retracted parts."""
    if _int(row.edited) > 0:
        return True
    if not isinstance(row.summary, bytes) or not row.summary:
        return False
    try:
        summary = plistlib.loads(row.summary)
    except Exception:  # any damage in the blob: then it says nothing
        return False
    return isinstance(summary, dict) and bool(summary.get("rp"))


def _system_message(db: _Db, row: _Row, conv: _Conversation, source: str) -> Message | None:
    """A group rename (a row with a group_title); other service rows are skipped."""
    title = _clean(row.group_title)
    if title is None:
        return None
    actor, _, _ = _sender(db, row, conv)
    ident = _ident(row)
    meta: dict[str, object] = {"chat": conv.title} if conv.title else {}
    return Message(
        msg_id=stable_id(PLATFORM, ident),
        conv_id=conv.conv_id,
        platform=PLATFORM,
        timestamp=_apple_time(row.date),
        text=f"{actor or 'someone'} named the conversation “{title}”",
        source_ref=_source_ref(row, ident, source),
        source_meta={**meta, "system": True, "group_title": title},
    )


def _source_ref(row: _Row, ident: str, source: str) -> SourceRef:
    return SourceRef(
        path=source, line=row.rowid, line_end=row.rowid, guid=ident, anchor=locator.MESSAGE
    )


def _conversation(db: _Db, row: _Row) -> _Conversation:
    """The row's chat; a message in no chat is grouped with the others of its handle."""
    if row.chat is not None:
        conv = db.chats.get(row.chat)
        if conv is None:
            people = db.participants.get(row.chat, ())
            title = ", ".join(people) or None
            conv = _Conversation(stable_id(PLATFORM, "chat", row.chat), title, people)
            db.chats[row.chat] = conv
        return conv
    conv = db.by_handle.get(row.handle)
    if conv is None:
        name = db.handles.get(row.handle) or _clean(row.handle)
        people = (name,) if name else ()
        conv = _Conversation(stable_id(PLATFORM, "handle", name or row.handle), name, people)
        db.by_handle[row.handle] = conv
    return conv


def _conv_key(row: _Row) -> _ConvKey:
    return ("chat", row.chat) if row.chat is not None else ("handle", row.handle)


def _sender(
    db: _Db, row: _Row, conv: _Conversation | None = None
) -> tuple[str | None, str | None, bool]:
    """(sender, sender_id, is_me): the user as ME, else the handle's id (phone or email);
    in a one-to-one chat, a handle missing from `handle` is the chat's other person."""
    if _flag(row.from_me):
        return ME, None, True
    name = db.handles.get(row.handle)
    if name is None:
        conv = conv or _conversation(db, row)
        if len(conv.participants) == 1:
            name = conv.participants[0]
        elif row.handle != 0:
            name = _clean(row.handle)
    return name, name, False


def _ident(row: _Row) -> str:
    """The message's own id: its guid, else its ROWID."""
    return _clean(row.guid) or str(row.key)


def _text(row: _Row) -> str:
    """The `text` column, else the string of `attributedBody`; attachment marks removed."""
    text = _clean_text(row.text)
    if not text and isinstance(row.body, bytes) and row.body:
        try:
            text = attributed_text(row.body) or ""
        except TypedStreamError as exc:
            raise RecordError(f"attributedBody cannot be read: {exc}") from exc
    if _OBJECT_REPLACEMENT in text:
        text = text.replace(_OBJECT_REPLACEMENT, "").strip()
    return text


def _safe_text(row: _Row) -> str:
    try:
        return _text(row)
    except RecordError:  # reported when the row itself is read
        return ""


def _clean_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _clean(value: object) -> str | None:
    """A non-empty stripped string of a cell, or None."""
    text = _clean_text(value).strip()
    return text or None


def _int(value: object) -> int:
    """An integer cell, 0 when it is none (NULL, text, a blob)."""
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 2**63:
        return int(value)
    return 0


def _flag(value: object) -> bool:
    return _int(value) != 0 or (isinstance(value, str) and value.strip() in ("1", "true"))


def _sort_number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and value == value else 0.0


def _apple_time(value: object) -> datetime | None:
    """A UTC time from Apple's epoch (2001-01-01): nanoseconds in newer databases, seconds
    in older ones; None for 0 (unknown) or a value that is no time."""
    number = _int(value)
    if number == 0:
        return None
    try:
        if abs(number) > _NANOSECONDS:
            return APPLE_EPOCH + timedelta(microseconds=number // 1000)
        return APPLE_EPOCH + timedelta(seconds=number)
    except OverflowError:
        return None
