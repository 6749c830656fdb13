"""Discord exports made by DiscordChatExporter (DCE): its JSON format and its CSV format."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import Any

from chatx.ingest.common import (
    Extracted,
    RecordError,
    as_dict,
    as_list,
    as_str,
    from_iso,
    id_text,
    localize,
    shown,
    stable_id,
    type_name,
)
from chatx.ingest.jsonpos import PositionedJSON
from chatx.models import Attachment, Message, Reaction, SourceRef
from chatx.problems import ChatxError, ProblemCode

PLATFORM = "discord"
CSV_HEADER = ("AuthorID", "Author", "Date", "Content", "Attachments", "Reactions")
MAX_ANONYMOUS_REACTIONS = 20
"""Reactions kept per emoji when the export gives only a count, not who reacted."""

_SYSTEM_TYPES = {
    "RecipientAdd",
    "RecipientRemove",
    "Call",
    "ChannelNameChange",
    "ChannelIconChange",
    "ChannelPinnedMessage",
    "GuildMemberJoin",
    "ThreadCreated",
}
_KIND_BY_EXTENSION = {
    "image": {"png", "jpg", "jpeg", "gif", "webp", "bmp", "heic", "svg", "avif", "tiff"},
    "video": {"mp4", "mov", "webm", "mkv", "avi", "m4v"},
    "audio": {"mp3", "ogg", "opus", "wav", "m4a", "flac", "aac"},
}
_MENTION = re.compile(r"<@!?(\d+)>")
_DISCRIMINATOR = re.compile(r"#\d{4}$")
_CSV_REACTION = re.compile(r"\s*(?P<emoji>[^,]+?) \((?P<count>\d{1,9})\)\s*(?:,|$)")
_CSV_DATE_FORMATS = (
    "%d-%b-%y %I:%M %p",  # DCE's old default, "dd-MMM-yy hh:mm tt"
    "%m/%d/%Y %I:%M %p",  # .NET "g" in en-US
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M",  # .NET "g" in en-GB, fr-FR, ...
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",  # de-DE, ru-RU, ...
    "%d-%b-%y %H:%M",
)


def looks_like_discord(value: object) -> bool:
    """True for a DCE JSON export: `guild` and `channel` objects and a `messages` list whose
    first items have an id, a timestamp and an author."""
    if not isinstance(value, dict):
        return False
    messages = value.get("messages")
    if not (
        isinstance(value.get("guild"), dict)
        and isinstance(value.get("channel"), dict)
        and isinstance(messages, list)
    ):
        return False
    sample = [item for item in messages[:5] if isinstance(item, dict)]
    return all({"id", "timestamp", "author"} <= item.keys() for item in sample)


def parse_discord(doc: PositionedJSON, source: str) -> Extracted:
    """Parse the messages of one DCE JSON export (one channel, one conversation); a message
    that cannot be read becomes a problem with its line, and the rest is still parsed."""
    root = doc.value
    if not isinstance(root, dict) or not isinstance(root.get("messages"), list):
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR, "expected a Discord export with a 'messages' list", source
        )
    result = Extracted(format="discord", kind="chat")
    result.keep(*doc.problems)
    channel = as_dict(root.get("channel"))
    channel_key = id_text(channel.get("id")) or f"file:{source}"
    records = root["messages"]
    lines = _record_lines(doc, records, doc.line_of(root))
    for index, (record, (line, line_end)) in enumerate(zip(records, lines, strict=True)):
        guid = id_text(record.get("id")) if isinstance(record, dict) else None
        label = f"message {guid}" if guid else f"message #{index + 1}"
        ref = SourceRef(path=source, guid=guid, line=line, line_end=line_end)
        message = result.guard(
            f"{source}:{line}", label, _json_message, record, channel_key, ref, result, label
        )
        if message is not None:
            result.messages.append(message)
    if result.messages:
        result.messages[0].source_meta["conversation"] = _conversation_name(root, channel)
    return result


def _record_lines(doc: PositionedJSON, records: list[Any], default: int) -> list[tuple[int, int]]:
    """(first, last) line of each record: a record ends where the next one starts, and the
    last one, in DCE's indented layout, spans as many lines as the same layout gives it."""
    starts: list[int] = []
    for record in records:
        starts.append(doc.line_of(record, starts[-1] if starts else default))
    ends = [max(start, following - 1) for start, following in itertools.pairwise(starts)]
    if len(starts) >= 2 and ends[-1] - starts[-2] + 1 == _indented_lines(records[-2]):
        ends.append(starts[-1] + _indented_lines(records[-1]) - 1)
    else:
        ends += starts[-1:]
    return list(zip(starts, ends, strict=True))


def _indented_lines(record: object) -> int:
    """The lines of `record` written with DCE's 2-space indentation, its closing line
    counted with it."""
    try:
        return json.dumps(record, indent=2).count("\n") + 1
    except (TypeError, ValueError):
        return 1


def _conversation_name(root: dict[str, Any], channel: dict[str, Any]) -> str:
    guild = as_str(as_dict(root.get("guild")).get("name")) or "Discord"
    name = as_str(channel.get("name")) or id_text(channel.get("id")) or "?"
    direct = (as_str(channel.get("type")) or "").startswith("Direct")
    return f"{guild} / {name}" if direct else f"{guild} / #{name}"


def _json_message(
    record: object, channel_key: str, ref: SourceRef, result: Extracted, label: str
) -> Message:
    if not isinstance(record, dict):
        raise RecordError(f"is {type_name(record)}, expected an object")
    raw_time = record.get("timestamp")
    key = ref.guid or (f"ts:{raw_time}" if isinstance(raw_time, str) and raw_time else None)
    if key is None:
        raise RecordError("has no 'id' and no 'timestamp'")
    kind = as_str(record.get("type")) or "Default"
    author = record.get("author")
    if author is not None and not isinstance(author, dict):
        raise RecordError(f"'author' is {type_name(author)}, expected an object")
    author = as_dict(author)
    left_out: list[str] = []
    text, attachments = _body(record, left_out)
    reactions = _json_reactions(record.get("reactions"), left_out)
    meta = _json_meta(record, kind, author)
    reply_to = _reply_to(as_dict(record.get("reference")), channel_key, meta)
    where = f"{ref.path}:{ref.line}"
    timestamp = from_iso(raw_time)
    if timestamp is None:
        result.add_problem(
            f"{label}: timestamp {shown(raw_time)} is not a time; kept without one", where
        )
    if left_out:
        result.add_problem(f"{label}: {', '.join(left_out)} left out", where)
    sender = _user_name(author)
    if meta.get("system") and sender:  # a join or a pin is no one's message: its actor is noted
        meta["actor"], sender = sender, None
    return Message(
        msg_id=stable_id(PLATFORM, channel_key, key),
        conv_id=stable_id(PLATFORM, channel_key),
        platform=PLATFORM,
        timestamp=timestamp,
        sender=sender,
        sender_id=id_text(author.get("id")),
        text=text,
        reply_to_msg_id=reply_to,
        reactions=reactions,
        attachments=attachments,
        source_ref=ref,
        source_meta=meta,
    )


def _reply_to(reference: dict[str, Any], channel_key: str, meta: dict[str, Any]) -> str | None:
    """The msg_id a reply points to; a forward (DCE's reference type "Forward") is no reply."""
    if as_str(reference.get("type")) == "Forward":
        meta["forwarded"] = True
        return None
    replied = id_text(reference.get("messageId"))
    if replied is None:
        return None
    return stable_id(PLATFORM, id_text(reference.get("channelId")) or channel_key, replied)


def _user_name(user: dict[str, Any]) -> str | None:
    return as_str(user.get("nickname")) or as_str(user.get("name"))


def _text_field(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"'{key}' is {type_name(value)}, expected a string")
    return value


def _body(record: dict[str, Any], left_out: list[str]) -> tuple[str, list[Attachment]]:
    """The text of a message (content, then forwarded content and embeds) and its
    attachments, stickers and embed links."""
    text = _resolve_mentions(_text_field(record, "content"), record.get("mentions"))
    forwarded = as_dict(record.get("forwardedMessage"))
    blocks = [text, _text_field(forwarded, "content")]
    attachments: list[Attachment] = []
    for holder in (record, forwarded):
        attachments += _files(holder.get("attachments"), left_out)
        attachments += _stickers(holder.get("stickers"), left_out)
        for embed in _objects(holder.get("embeds"), "embed", left_out):
            blocks.append(_embed_text(embed))
            url = as_str(embed.get("url"))
            if url:
                attachments.append(Attachment(kind="link", name=url))
    return "\n\n".join(block for block in blocks if block.strip()), attachments


def _objects(value: object, what: str, left_out: list[str]) -> Iterator[dict[str, Any]]:
    """The objects of a JSON array, noting in `left_out` any item or array of the wrong type."""
    if value is not None and not isinstance(value, list):
        left_out.append(f"'{what}s' ({type_name(value)})")
    for number, item in enumerate(as_list(value)):
        if isinstance(item, dict):
            yield item
        else:
            left_out.append(f"{what} {number} ({type_name(item)})")


def _resolve_mentions(content: str, mentions: object) -> str:
    if "<@" not in content:
        return content
    names = {
        id_text(user.get("id")): _user_name(user)
        for user in as_list(mentions)
        if isinstance(user, dict)
    }

    def name_of(match: re.Match[str]) -> str:
        name = names.get(match[1])
        return f"@{name}" if name else match[0]

    return _MENTION.sub(name_of, content)


def _embed_text(embed: dict[str, Any]) -> str:
    parts = [
        as_str(as_dict(embed.get("author")).get("name")),
        as_str(embed.get("title")),
        as_str(embed.get("description")),
    ]
    for field in as_list(embed.get("fields")):
        name, value = as_str(as_dict(field).get("name")), as_str(as_dict(field).get("value"))
        parts.append(": ".join(part for part in (name, value) if part))
    parts.append(as_str(as_dict(embed.get("footer")).get("text")))
    return "\n".join(part.strip() for part in parts if part and part.strip())


def _files(value: object, left_out: list[str]) -> list[Attachment]:
    files = []
    for item in _objects(value, "attachment", left_out):
        name = as_str(item.get("fileName")) or as_str(item.get("url"))
        files.append(Attachment(kind=_kind_of(name or ""), name=name))
    return files


def _stickers(value: object, left_out: list[str]) -> list[Attachment]:
    return [
        Attachment(kind="sticker", name=as_str(item.get("name")))
        for item in _objects(value, "sticker", left_out)
    ]


def _kind_of(name: str) -> str:
    """image, video, audio or document, from the extension of a file name or URL."""
    path = name.split("?", 1)[0].split("#", 1)[0]
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    for kind, extensions in _KIND_BY_EXTENSION.items():
        if extension in extensions:
            return kind
    return "document"


def _json_reactions(value: object, left_out: list[str]) -> list[Reaction]:
    reactions: list[Reaction] = []
    for item in _objects(value, "reaction", left_out):
        emoji = _emoji(as_dict(item.get("emoji")))
        if emoji is None:
            left_out.append("a reaction without an emoji")
            continue
        users = [as_dict(user) for user in as_list(item.get("users"))]
        if users:
            reactions += [Reaction(emoji=emoji, sender=_user_name(user)) for user in users]
        else:
            reactions += [Reaction(emoji=emoji) for _ in range(_count(item.get("count")))]
    return reactions


def _emoji(emoji: dict[str, Any]) -> str | None:
    """A Unicode emoji itself; a custom emoji (it has an id) as `:code:`."""
    name = as_str(emoji.get("name"))
    code = as_str(emoji.get("code")) or name
    if id_text(emoji.get("id")) and code:
        return f":{code}:"
    return name or (f":{code}:" if code else None)


def _count(value: object) -> int:
    """A reaction count, capped; 1 when it is no number (NaN included)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return 1
    return int(max(1, min(value, MAX_ANONYMOUS_REACTIONS)))


def _json_meta(record: dict[str, Any], kind: str, author: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if kind != "Default":
        meta["type"] = kind
    if kind in _SYSTEM_TYPES:
        meta["system"] = True
    if author.get("isBot") is True:
        meta["bot"] = True
    edited = as_str(record.get("timestampEdited"))
    if edited:
        meta["edited"] = edited
    call_ended = as_str(record.get("callEndedTimestamp"))
    if call_ended:
        meta["call_ended"] = call_ended
    if record.get("isPinned") is True:
        meta["pinned"] = True
    return meta


def looks_like_discord_csv(lines: list[str]) -> bool:
    """True when the first non-empty line is DCE's CSV header (BOM and quoting tolerated)."""
    first = next((line for line in lines[:5] if line.strip()), None)
    if first is None:
        return False
    try:
        return _is_header(next(csv.reader([first.lstrip("\ufeff")]), []))
    except csv.Error:
        return False


def _is_header(cells: list[str]) -> bool:
    return [cell.strip().lower() for cell in cells] == [name.lower() for name in CSV_HEADER]


def parse_discord_csv(text: str, source: str, zone: tzinfo | None) -> Extracted:
    """Parse a DCE CSV export (one channel): one message per record, a record that cannot
    be read becomes a problem with its line. Zone-less dates are read in `zone`."""
    rows = _csv_rows(text.removeprefix("\ufeff"))
    header = next((row for _, _, row in rows if row), None)
    if not isinstance(header, list) or not _is_header(header):
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR, "expected DiscordChatExporter's CSV header", source
        )
    columns = {name.strip().lower(): number for number, name in enumerate(header)}
    result = Extracted(format="discord", kind="chat")
    conv_id = stable_id(PLATFORM, f"file:{source}")
    seen: Counter[tuple[str, ...]] = Counter()
    for line, line_end, row in rows:
        if isinstance(row, str):
            result.add_problem(f"line {line}: {row}", f"{source}:{line}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        fields = {name: row[at] if at < len(row) else "" for name, at in columns.items()}
        where = f"{source}:{line}"
        ref = SourceRef(path=source, line=line, line_end=line_end)
        message = result.guard(
            where, f"line {line}", _csv_message, fields, conv_id, ref, zone, seen, result
        )
        if message is not None:
            result.messages.append(message)
    return result


def _csv_rows(text: str) -> Iterator[tuple[int, int, list[str] | str]]:
    """(first line, last line, fields) of each record; a record csv cannot read gives the
    error's text instead of its fields."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, max(start, reader.line_num), f"unreadable CSV record ({exc})"
            if reader.line_num < start:  # nothing was consumed: the reader is stuck
                return
            continue
        yield start, max(start, reader.line_num), row


def _csv_message(
    fields: dict[str, str],
    conv_id: str,
    ref: SourceRef,
    zone: tzinfo | None,
    seen: Counter[tuple[str, ...]],
    result: Extracted,
) -> Message:
    author_id, author, raw_date = (fields[name].strip() for name in ("authorid", "author", "date"))
    if not raw_date and not author:
        raise RecordError("has no author and no date")
    content = fields["content"].replace("\r\n", "\n")
    timestamp = _csv_time(raw_date, zone)
    if timestamp is None:
        result.add_problem(
            f"line {ref.line}: date {shown(raw_date)} is not a time; message kept without one",
            f"{ref.path}:{ref.line}",
        )
    key = (author_id, raw_date, content)
    seen[key] += 1
    return Message(
        msg_id=stable_id(PLATFORM, conv_id, *key, seen[key]),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=timestamp,
        sender=_DISCRIMINATOR.sub("", author) or None,
        sender_id=author_id or None,
        text=content,
        reactions=_csv_reactions(fields["reactions"]),
        attachments=[
            Attachment(kind=_kind_of(url), name=url)
            for url in (part.strip() for part in fields["attachments"].split(","))
            if url
        ],
        source_ref=ref,
    )


def _csv_time(raw: str, zone: tzinfo | None) -> datetime | None:
    """A DCE CSV date: ISO with an offset (new versions) or a local time in one of the
    .NET "g" layouts (old versions), read in `zone`."""
    parsed = from_iso(raw) if re.match(r"\d{4}-\d\d-\d\d", raw) else None
    if parsed is not None:
        return parsed if _has_offset(raw) else localize(parsed.replace(tzinfo=None), zone)
    for layout in _CSV_DATE_FORMATS:
        try:
            return localize(datetime.strptime(raw, layout), zone)
        except ValueError:
            continue
    return None


def _has_offset(raw: str) -> bool:
    return raw.endswith("Z") or re.search(r"[+-]\d{2}:?\d{2}$", raw) is not None


def _csv_reactions(value: str) -> list[Reaction]:
    reactions: list[Reaction] = []
    for match in _CSV_REACTION.finditer(value):
        name = match["emoji"].strip()
        emoji = f":{name}:" if re.fullmatch(r"\w+", name, re.ASCII) else name
        count = min(int(match["count"]), MAX_ANONYMOUS_REACTIONS)
        reactions += [Reaction(emoji=emoji) for _ in range(count)]
    return reactions
