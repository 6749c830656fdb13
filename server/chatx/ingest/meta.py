"""Instagram and Facebook Messenger "Download your information" JSON (`message_N.json`).

One file holds one thread, newest message first; a long thread is split over
`message_1.json` .. `message_N.json`, which share the thread's conversation id. Meta writes
every string as UTF-8 bytes read as Latin-1, so each one goes through `fix_mojibake`.

Which platform a file comes from is read from its path first, then from its content:

1. the path, from the file up: the nearest folder or file name that mentions "instagram"
   (`your_instagram_activity`, `instagram-user-2024...`) or "facebook"/"messenger"
   (`your_activity_across_facebook`, `facebook-user-...`), but not both, decides; a thread
   folder (the one under `inbox/`, `archived_threads/`, ...) is named after people and is
   skipped;
2. the thread's join link: `https://ig.me/j/...` is Instagram, `https://m.me/j/...` Messenger;
3. a shared post with an `original_content_owner` (only Instagram writes it) is Instagram;
4. anything else is Messenger. Fields such as `magic_words`, `joinable_mode`,
   `is_geoblocked_for_viewer` and `thread_type` appear in exports of both platforms, so
   they decide nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from chatx.ingest.common import (
    Extracted,
    RecordError,
    as_dict,
    as_list,
    as_str,
    shown,
    stable_id,
    type_name,
)
from chatx.ingest.jsonpos import PositionedJSON
from chatx.ingest.mojibake import fix_mojibake
from chatx.models import Attachment, Message, Reaction, SourceRef
from chatx.problems import ChatxError, ProblemCode

PLATFORM_INSTAGRAM = "instagram"
PLATFORM_MESSENGER = "messenger"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MEDIA = (
    ("photos", "image"),
    ("videos", "video"),
    ("audio_files", "audio"),
    ("gifs", "image"),
    ("files", "file"),
)
_THREAD_BOXES = {
    "inbox",
    "archived_threads",
    "message_requests",
    "filtered_threads",
    "e2ee_cutover",
}
_PART_FILE = re.compile(r"message_\d+\.json")
_CALL_KEYS = ("call_duration", "missed")
_MEMBERSHIP = {"Subscribe", "Unsubscribe"}  # people added to or leaving a group


@dataclass(frozen=True)
class _Thread:
    """What every message of one file shares."""

    platform: str
    key: str
    conv_id: str
    source: str
    title: str | None


@dataclass(frozen=True)
class _Record:
    """One entry of `messages`, with where it is in the file and its time in ms."""

    index: int
    value: object
    line: int
    line_end: int
    millis: float | None


def looks_like_meta(value: object) -> bool:
    """True for an object whose `messages` list holds `sender_name` + timestamp records."""
    messages = value.get("messages") if isinstance(value, dict) else None
    return isinstance(messages, list) and any(
        isinstance(item, dict)
        and "sender_name" in item
        and ("timestamp_ms" in item or "timestamp" in item)
        for item in messages[:20]
    )


def thread_key(value: dict[str, Any]) -> str:
    """The conversation key of a thread file: its `thread_path`, else its title and sorted
    participants; "" when the file names none of them."""
    path = as_str(value.get("thread_path"))
    if path:
        return fix_mojibake(path)
    title = fix_mojibake(as_str(value.get("title")) or "")
    names = sorted(_participants(value))
    return "\x1f".join([title, *names]) if title or names else ""


def parse_meta(doc: PositionedJSON, source: str) -> Extracted:
    """Parse one `message_N.json` into messages in time order; a record that cannot be read
    becomes a problem at its line and the rest of the file is still parsed."""
    value = doc.value
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR,
            "not an Instagram/Messenger export: expected an object with a 'messages' list",
            source,
        )
    platform = _platform(value, source)
    key = thread_key(value) or _file_key(source)
    title = as_str(value.get("title"))
    thread = _Thread(
        platform, key, stable_id(platform, key), source, fix_mojibake(title) if title else None
    )
    result = Extracted(format=platform, kind="chat")
    result.keep(*doc.problems)
    seen: Counter[tuple[object, ...]] = Counter()
    for record in _in_time_order(_records(doc, value)):
        label = f"message {record.index}"
        where = f"{source}:{record.line}"
        message = result.guard(where, label, _to_message, record, thread, seen, result, label)
        if message is not None:
            result.messages.append(message)
    participants = _participants(value)
    if result.messages and participants:
        result.messages[0].source_meta["participants"] = participants
    return result


def _platform(value: dict[str, Any], source: str) -> str:
    """Instagram or Messenger, by the rule in the module docstring."""
    by_path = _platform_of_path(source)
    if by_path is not None:
        return by_path
    link = as_str(as_dict(value.get("joinable_mode")).get("link")) or ""
    host = urlsplit(link).hostname if "//" in link else None
    if host == "ig.me":
        return PLATFORM_INSTAGRAM
    if host == "m.me":
        return PLATFORM_MESSENGER
    shares = (as_dict(item).get("share") for item in as_list(value.get("messages")))
    if any("original_content_owner" in as_dict(share) for share in shares):
        return PLATFORM_INSTAGRAM
    return PLATFORM_MESSENGER


def _platform_of_path(source: str) -> str | None:
    parts = PurePosixPath(source.replace("\\", "/").lower()).parts
    for index in reversed(range(len(parts))):
        if index and parts[index - 1] in _THREAD_BOXES:
            continue
        instagram = "instagram" in parts[index]
        messenger = "facebook" in parts[index] or "messenger" in parts[index]
        if instagram != messenger:
            return PLATFORM_INSTAGRAM if instagram else PLATFORM_MESSENGER
    return None


def _file_key(source: str) -> str:
    """The key of a thread that names itself nowhere: the folder of a `message_N.json` (its
    parts live side by side), else the file itself."""
    path = PurePosixPath(source.replace("\\", "/"))
    if _PART_FILE.fullmatch(path.name):
        return f"folder:{path.parent}"
    return f"file:{path}"


def _participants(value: dict[str, Any]) -> list[str]:
    """Participant names; old Instagram exports list bare strings instead of objects."""
    names = (
        as_str(item.get("name")) if isinstance(item, dict) else as_str(item)
        for item in as_list(value.get("participants"))
    )
    return [fix_mojibake(name) for name in names if name]


def _records(doc: PositionedJSON, value: dict[str, Any]) -> list[_Record]:
    """The entries of `messages` in file order, each with its first and last line."""
    items: list[Any] = value["messages"]
    starts: list[int] = []
    line = doc.line_of(value)
    for item in items:
        line = doc.line_of(item, default=line) if isinstance(item, dict) else line
        starts.append(line)
    records = []
    for index, item in enumerate(items):
        start = starts[index]
        if index + 1 < len(items):
            end = max(start, starts[index + 1] - 1)
        else:
            end = _deepest_line(doc, item, start)
        records.append(_Record(index, item, start, end, _millis(item)))
    return records


def _deepest_line(doc: PositionedJSON, item: object, start: int) -> int:
    """The last line known inside the last record: the start of its last nested object."""
    last = start
    stack = [item]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            last = max(last, doc.line_of(node, default=start))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return last


def _millis(item: object) -> float | None:
    """The record's time in ms since the epoch (`timestamp_ms`, or the old `timestamp` in
    seconds), or None when it has none that is a finite number."""
    if not isinstance(item, dict):
        return None
    raw, scale = (
        (item.get("timestamp_ms"), 1) if "timestamp_ms" in item else (item.get("timestamp"), 1000)
    )
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        millis = float(raw) * scale
    except OverflowError:
        return None
    return millis if millis == millis and abs(millis) != float("inf") else None


def _in_time_order(records: list[_Record]) -> list[_Record]:
    """Oldest first. Files list newest first, so the file order is reversed, then sorted by
    time with ties kept in that order; a record without a time stays after its predecessor."""
    keyed: list[tuple[float, _Record]] = []
    last = float("-inf")
    for record in reversed(records):
        last = record.millis if record.millis is not None else last
        keyed.append((last, record))
    keyed.sort(key=lambda pair: pair[0])
    return [record for _, record in keyed]


def _moment(millis: float | None) -> datetime | None:
    if millis is None:
        return None
    try:
        return _EPOCH + timedelta(milliseconds=millis)
    except OverflowError:
        return None


def _to_message(
    record: _Record,
    thread: _Thread,
    seen: Counter[tuple[object, ...]],
    result: Extracted,
    label: str,
) -> Message:
    item = record.value
    if not isinstance(item, dict):
        raise RecordError(f"is {type_name(item)}, expected an object")
    sender = _string(item, "sender_name", required=True)
    content = _string(item, "content")
    left_out: list[str] = []
    attachments = _attachments(item, left_out)
    reactions = _reactions(item.get("reactions"), left_out)
    share_text = _share_text(item)
    text = content or share_text or ""
    timestamp = _moment(record.millis)
    where = f"{thread.source}:{record.line}"
    if timestamp is None:
        raw = item.get("timestamp_ms", item.get("timestamp"))
        found = "no timestamp" if raw is None else f"timestamp {shown(raw)} is not a time"
        result.add_problem(f"{label}: {found}; kept without one", where)
    if left_out:
        result.add_problem(f"{label}: {', '.join(left_out)} left out", where)
    digest = stable_id(text, *(a.name for a in attachments))
    identity = (_stamp(record.millis), sender, digest)
    seen[identity] += 1
    meta = _meta(item, thread)
    if meta.get("type") in _MEMBERSHIP:  # "A added C" is no one's message: its actor is noted
        meta.update(system=True, actor=sender)
    return Message(
        msg_id=stable_id(thread.platform, thread.key, *identity, seen[identity]),
        conv_id=thread.conv_id,
        platform=thread.platform,
        timestamp=timestamp,
        sender=None if meta.get("system") else sender,
        text=text,
        reactions=reactions,
        attachments=attachments,
        source_ref=SourceRef(path=thread.source, line=record.line, line_end=record.line_end),
        source_meta=meta,
    )


def _string(item: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string field with its mojibake undone; a field of another type is the record's error."""
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        found = "missing" if value is None else f"{type_name(value)}"
        raise RecordError(f"'{key}' is {found}, expected a string")
    return fix_mojibake(value)


def _stamp(millis: float | None) -> str:
    """The time as it goes into a msg_id: whole ms print without a trailing '.0'."""
    if millis is None:
        return ""
    return str(int(millis)) if millis.is_integer() else repr(millis)


def _attachments(item: dict[str, Any], left_out: list[str]) -> list[Attachment]:
    attachments: list[Attachment] = []
    for key, kind in _MEDIA:
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            left_out.append(f"'{key}' ({type_name(value)})")
            continue
        for number, media in enumerate(value):
            uri = as_str(as_dict(media).get("uri"))
            if uri is None:
                left_out.append(f"{key} {number} ({type_name(media)} without a 'uri')")
            else:
                attachments.append(Attachment(kind=kind, name=fix_mojibake(uri)))
    sticker = item.get("sticker")
    if sticker is not None:
        uri = as_str(as_dict(sticker).get("uri"))
        if uri is None:
            left_out.append(f"'sticker' ({type_name(sticker)} without a 'uri')")
        else:
            attachments.append(Attachment(kind="sticker", name=fix_mojibake(uri)))
    link = as_str(as_dict(item.get("share")).get("link"))
    if link:
        attachments.append(Attachment(kind="link", name=fix_mojibake(link)))
    return attachments


def _share_text(item: dict[str, Any]) -> str | None:
    text = as_str(as_dict(item.get("share")).get("share_text"))
    return fix_mojibake(text) if text else None


def _reactions(value: object, left_out: list[str]) -> list[Reaction]:
    if value is None:
        return []
    if not isinstance(value, list):
        left_out.append(f"'reactions' ({type_name(value)})")
        return []
    reactions: list[Reaction] = []
    for number, reaction in enumerate(value):
        emoji = as_str(as_dict(reaction).get("reaction"))
        if emoji is None:
            left_out.append(f"reaction {number} ({type_name(reaction)} without a 'reaction')")
            continue
        actor = as_str(as_dict(reaction).get("actor"))
        reactions.append(
            Reaction(emoji=fix_mojibake(emoji), sender=fix_mojibake(actor) if actor else None)
        )
    return reactions


def _meta(item: dict[str, Any], thread: _Thread) -> dict[str, Any]:
    """Extras: the thread title, a non-plain message type (calls, joins, leaves), unsent."""
    meta: dict[str, Any] = {}
    if thread.title:
        meta["title"] = thread.title
    kind = as_str(item.get("type"))
    if kind and kind != "Generic":
        meta["type"] = kind
    if item.get("is_unsent") is True:
        meta["unsent"] = True
    for key in _CALL_KEYS:
        if isinstance(item.get(key), int | float | bool):
            meta[key] = item[key]
    users = [as_str(as_dict(user).get("name")) for user in as_list(item.get("users"))]
    if any(users):
        meta["users"] = [fix_mojibake(name) for name in users if name]
    return meta
