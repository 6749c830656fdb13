"""Telegram Desktop exports: `result.json` (one chat, or the whole account) and `messages*.html`."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from lxml import etree  # type: ignore[import-untyped]

from chatx.ingest.common import (
    Extracted,
    RecordError,
    as_dict,
    as_list,
    as_str,
    from_epoch,
    id_text,
    localize,
    shown,
    stable_id,
    type_name,
)
from chatx.ingest.jsonpos import PositionedJSON
from chatx.ingest.mojibake import fix_mojibake
from chatx.models import Attachment, Message, Reaction, SourceRef, in_utc_range
from chatx.problems import ChatxError, ProblemCode

PLATFORM = "telegram"
_MESSAGE_TYPES = ("message", "service")
_MAX_REACTIONS = 100  # per emoji: a channel post's 50,000 likes are not 50,000 objects
_MEDIA_KINDS = {
    "sticker": "sticker",
    "voice_message": "audio",
    "audio_file": "audio",
    "video_file": "video",
    "video_message": "video",
    "animation": "video",
}
_SERVICE_TEXT = {
    "create_group": "{actor} created group «{title}»",
    "edit_group_title": "{actor} changed group title to «{title}»",
    "edit_group_photo": "{actor} changed group photo",
    "delete_group_photo": "{actor} removed group photo",
    "invite_members": "{actor} invited {members}",
    "remove_members": "{actor} removed {members}",
    "join_group_by_link": "{actor} joined group by link from {inviter}",
    "join_group_by_request": "{actor} joined group by request",
    "create_channel": "Channel «{title}» created",
    "migrate_to_supergroup": "{actor} converted this group to a supergroup",
    "migrate_from_group": "{actor} converted a basic group to this supergroup «{title}»",
    "pin_message": "{actor} pinned a message",
    "clear_history": "History cleared",
    "phone_call": "{actor} made a phone call",
    "group_call": "{actor} started a voice chat",
    "invite_to_group_call": "{actor} invited {members} to the voice chat",
    "take_screenshot": "{actor} took a screenshot",
    "joined_telegram": "{actor} joined Telegram",
    "topic_created": "{actor} created topic «{title}»",
    "edit_chat_theme": "{actor} changed chat theme to {emoticon}",
}


# JSON -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chat:
    """What every message of one chat needs to know about it."""

    key: str
    conv_id: str
    name: str | None
    kind: str | None
    owner: str | None  # the digits of the exporting user's id, when the export says
    source: str
    zone: tzinfo | None


def looks_like_telegram(value: object) -> bool:
    """True for a single-chat `result.json` (a `messages` list of Telegram message records)
    or a full-account export (`chats.list`)."""
    if not isinstance(value, dict):
        return False
    if any(
        isinstance(as_dict(value.get(key)).get("list"), list) for key in ("chats", "left_chats")
    ):
        return True
    messages = value.get("messages")
    if not isinstance(messages, list):
        return False
    records = [item for item in messages[:20] if isinstance(item, dict)]
    if not records:
        return not messages and "id" in value and "type" in value
    return all("sender_name" not in item for item in records) and any(
        item.get("type") in _MESSAGE_TYPES and ("date" in item or "date_unixtime" in item)
        for item in records
    )


def parse_telegram(doc: PositionedJSON, source: str, zone: tzinfo | None) -> Extracted:
    """Parse every chat of a Telegram Desktop JSON export, each its own conversation; a chat
    or message that cannot be read becomes a problem with its line."""
    value = doc.value
    if not looks_like_telegram(value):
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR,
            "not a Telegram Desktop export: no 'messages' list or 'chats.list'",
            source,
        )
    result = Extracted(format="telegram", kind="chat")
    result.keep(*doc.problems)
    chats = _chats(doc, source, result)
    owner = _owner_id(value, chats)
    for index, chat in enumerate(chats):
        _parse_chat(doc, chat, index, owner, source, zone, result)
    return result


def _chats(doc: PositionedJSON, source: str, result: Extracted) -> list[dict[str, Any]]:
    value: dict[str, Any] = doc.value
    if "messages" in value:
        return [value]
    chats: list[dict[str, Any]] = []
    for key in ("chats", "left_chats"):
        section = as_dict(value.get(key))
        for number, chat in enumerate(as_list(section.get("list"))):
            if isinstance(chat, dict):
                chats.append(chat)
            else:
                result.add_problem(
                    f"{key} entry {number} is {type_name(chat)}, expected an object",
                    f"{source}:{doc.line_of(section)}",
                )
    return chats


def _owner_id(value: dict[str, Any], chats: list[dict[str, Any]]) -> str | None:
    """The exporting user's id: from `personal_information`, else the Saved Messages chat."""
    own = _digits(as_dict(value.get("personal_information")).get("user_id"))
    if own is not None:
        return own
    for chat in chats:
        if chat.get("type") == "saved_messages":
            return _digits(chat.get("id"))
    return None


def _digits(value: object) -> str | None:
    """The numeric part of a Telegram id (`123`, `"123"`, `"user123"`), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    text = as_str(value)
    if text is None:
        return None
    digits = text.removeprefix("user")
    return digits if digits.isdecimal() else None


def _parse_chat(
    doc: PositionedJSON,
    raw: dict[str, Any],
    index: int,
    owner: str | None,
    source: str,
    zone: tzinfo | None,
    result: Extracted,
) -> None:
    chat_line = doc.line_of(raw)
    name = _name(raw.get("name"))
    records = raw.get("messages")
    if not isinstance(records, list):
        label = shown(name) if name else str(index)
        result.add_problem(f"chat {label} has no 'messages' list", f"{source}:{chat_line}")
        return
    chat_id = raw.get("id")
    has_id = isinstance(chat_id, int | str) and not isinstance(chat_id, bool)
    key = str(chat_id) if has_id else name or f"{source}#chat{index}"
    chat = _Chat(key, stable_id(PLATFORM, key), name, as_str(raw.get("type")), owner, source, zone)
    lines = [doc.line_of(record, chat_line) for record in records]
    for position, record in enumerate(records):
        line = lines[position]
        after = lines[position + 1] - 1 if position + 1 < len(lines) else line
        guid = as_dict(record).get("id")
        label = (
            f"chat {shown(name or key)}, message {shown(guid if guid is not None else position)}"
        )
        message = result.guard(
            f"{source}:{line}",
            label,
            _to_message,
            record,
            chat,
            position,
            (line, max(line, after)),
            result,
            label,
        )
        if message is not None:
            result.messages.append(message)


def _name(value: object) -> str | None:
    text = as_str(value)
    return fix_mojibake(text) if text else None


def _to_message(
    record: object,
    chat: _Chat,
    position: int,
    lines: tuple[int, int],
    result: Extracted,
    label: str,
) -> Message | None:
    if not isinstance(record, dict):
        raise RecordError(f"message is {type_name(record)}, expected an object")
    kind = record.get("type")
    if kind == "unsupported":
        return None
    if kind not in _MESSAGE_TYPES:
        raise RecordError(f"unknown message type {shown(kind)}")
    where = f"{chat.source}:{lines[0]}"
    timestamp = _when(record, "date", chat.zone)
    if timestamp is None:
        raw_date = record.get("date_unixtime", record.get("date"))
        result.add_problem(
            f"{label}: date {shown(raw_date)} is not a time; kept without one", where
        )
    guid = id_text(record.get("id"))
    meta = _meta(record, chat)
    text = _plain_text(record.get("text"), record.get("text_entities"))
    sender = sender_id = None
    if kind == "service":
        text = _service_text(record, text)
        meta.update(_service_meta(record))
    else:
        sender = _name(record.get("from"))
        sender_id = id_text(record.get("from_id"))
    reply_key = "message_id" if record.get("action") == "pin_message" else "reply_to_message_id"
    reply = id_text(record.get(reply_key))
    if reply is not None and record.get("reply_to_peer_id") is not None:
        meta["reply_to_other_chat"] = True
        reply = None
    return Message(
        msg_id=stable_id(PLATFORM, chat.key, guid or f"{record.get('date_unixtime')}:{position}"),
        conv_id=chat.conv_id,
        platform=PLATFORM,
        timestamp=timestamp,
        sender=sender,
        sender_id=sender_id,
        is_me=chat.owner is not None and _digits(sender_id) == chat.owner,
        text=text,
        reply_to_msg_id=stable_id(PLATFORM, chat.key, reply) if reply else None,
        reactions=_reactions(record.get("reactions")),
        attachments=_attachments(record),
        source_ref=SourceRef(path=chat.source, guid=guid, line=lines[0], line_end=lines[1]),
        source_meta=meta,
    )


def _when(record: dict[str, Any], key: str, zone: tzinfo | None) -> datetime | None:
    """`<key>_unixtime` (UTC) when present, else `<key>` read as local time in `zone`."""
    epoch = record.get(f"{key}_unixtime")
    if isinstance(epoch, str) and epoch.strip().isdecimal() and len(epoch) < 20:
        epoch = int(epoch)
    moment = from_epoch(epoch)
    if moment is not None:
        return moment
    text = as_str(record.get(key))
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return localize(parsed, zone) if parsed.tzinfo is None else in_utc_range(parsed)


def _plain_text(text: object, entities: object) -> str:
    """The message text from `text` (a string or an array of strings and entities), else from
    `text_entities`."""
    if isinstance(text, str):
        return text
    parts = text if isinstance(text, list) else as_list(entities)
    return _joined(parts)


def _joined(parts: list[Any]) -> str:
    """Parts joined as Telegram shows them. Two formatting entities that touch with no space
    between words get one (the chat-miner reading of `[bold "Link:", link "https://…"]`)."""
    text = ""
    entity_before = False
    for part in parts:
        entity = isinstance(part, dict) and part.get("type") != "plain"
        piece = as_str(part.get("text")) if isinstance(part, dict) else as_str(part)
        if not piece:
            continue
        if entity and entity_before and _touching(text, piece):
            text += " "
        text += piece
        entity_before = entity
    return text


def _touching(left: str, right: str) -> bool:
    return (left[-1].isalnum() or left[-1] in ":;,.!?") and right[0].isalnum()


def _meta(record: dict[str, Any], chat: _Chat) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if chat.name:
        meta["chat"] = chat.name
    if chat.kind:
        meta["chat_type"] = chat.kind
    for key in ("forwarded_from", "saved_from"):
        name = _name(record.get(key))
        if name:
            meta[key] = name
    for key, meta_key in (("via_bot", "via_bot"), ("author", "signature")):
        if as_str(record.get(key)):
            meta[meta_key] = record[key]
    edited = _when(record, "edited", chat.zone)
    if edited is not None:
        meta["edited"] = edited.isoformat()
    return meta


def _service_meta(record: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"system": True}
    action = as_str(record.get("action"))
    if action:
        meta["action"] = action
    actor = _name(record.get("actor"))
    if actor:
        meta["actor"] = actor
    actor_id = id_text(record.get("actor_id"))
    if actor_id:
        meta["actor_id"] = actor_id
    return meta


def _service_text(record: dict[str, Any], text: str) -> str:
    """A service record in words, as Telegram shows it: "Alice created group «X»"."""
    action = as_str(record.get("action"))
    names = [_name(member) or "Deleted Account" for member in as_list(record.get("members"))]
    values = {
        "actor": _name(record.get("actor")) or "Someone",
        "title": as_str(record.get("title")) or "",
        "members": ", ".join(names) or "nobody",
        "inviter": _name(record.get("inviter")) or "Deleted Account",
        "emoticon": as_str(record.get("emoticon")) or "none",
    }
    template = _SERVICE_TEXT.get(action or "")
    if template is not None:
        line = template.format_map(values)
    elif action:
        line = f"{values['actor']} {action.replace('_', ' ')}"
    else:
        line = as_str(record.get("information_text")) or ""
    if action == "create_group" and names:
        line += f" with members {values['members']}"
    duration = record.get("duration_seconds")
    if isinstance(duration, int) and not isinstance(duration, bool):
        line += f" ({duration} seconds)"
    return "\n".join(part for part in (line, text) if part)


def _attachments(record: dict[str, Any]) -> list[Attachment]:
    found: list[Attachment] = []
    photo = as_str(record.get("photo"))
    if photo:
        found.append(Attachment(kind="image", name=photo))
    media_type = as_str(record.get("media_type"))
    file = as_str(record.get("file")) or as_str(record.get("file_name"))
    if file or media_type:
        kind = _MEDIA_KINDS.get(media_type or "", "document")
        found.append(Attachment(kind=kind, name=file, mime=as_str(record.get("mime_type"))))
    contact = as_dict(record.get("contact_information"))
    if contact:
        names = (as_str(contact.get(key)) for key in ("first_name", "last_name"))
        name = " ".join(n for n in names if n) or as_str(contact.get("phone_number"))
        found.append(Attachment(kind="contact", name=name))
    location = as_dict(record.get("location_information"))
    place = as_str(record.get("place_name"))
    if location or place:
        point = f"{location.get('latitude')},{location.get('longitude')}" if location else None
        found.append(Attachment(kind="location", name=place or point))
    poll = record.get("poll")
    if isinstance(poll, dict):
        question = _plain_text(poll.get("question"), None)
        found.append(Attachment(kind="poll", name=question or None))
    return found


def _reactions(value: object) -> list[Reaction]:
    """One Reaction per recent reactor, then sender-less ones up to the reaction's count."""
    found: list[Reaction] = []
    for item in as_list(value):
        item = as_dict(item)
        emoji = next(
            (text for key in ("emoji", "document_id", "type") if (text := as_str(item.get(key)))),
            None,
        )
        if emoji is None:
            continue
        senders = [_name(as_dict(who).get("from")) for who in as_list(item.get("recent"))]
        count = item.get("count")
        total = count if isinstance(count, int) and not isinstance(count, bool) else 0
        total = min(max(total, len(senders)), _MAX_REACTIONS)
        senders += [None] * (total - len(senders))
        found.extend(Reaction(emoji=emoji, sender=sender) for sender in senders[:total])
    return found


# HTML -----------------------------------------------------------------------------------------

_MESSAGE_DIV = re.compile(r'<div class="message [^"]*" id="message-?\d')
_MESSAGE_ID = re.compile(r"^message(-?\d+)$")
_MESSAGE_ID_ATTRIBUTE = re.compile(r"""id=["']?message(-?\d+)["'\s/>]""")
_TAG = re.compile(r"<([a-zA-Z][\w-]*)")
_GO_TO = re.compile(r"go_to_message(\d+)|GoToMessage\((\d+)\)")
_DATE_TITLE = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{1,2}):(\d{2}))?"
)
_DAY = timedelta(days=1)
_HTML_MEDIA = (
    ("photo_wrap", "image"),
    ("video_file_wrap", "video"),
    ("animated_wrap", "video"),
    ("sticker_wrap", "sticker"),
    ("media_photo", "image"),
    ("media_video", "video"),
    ("media_voice_message", "audio"),
    ("media_audio_file", "audio"),
    ("media_file", "document"),
    ("media_contact", "contact"),
    ("media_location", "location"),
    ("media_live_location", "location"),
    ("media_venue", "location"),
    ("media_game", "game"),
    ("media_invoice", "invoice"),
    ("media_call", "call"),
    ("media_poll", "poll"),
)

_Element = Any  # an lxml element; lxml ships no type hints
_Sink = list[str] | None  # where an element's text goes; None drops it
_Role = tuple[str | None, _Sink]  # what an element is to its message, and its sink


@dataclass
class _Media:
    kind: str
    href: str | None
    title: list[str] = field(default_factory=list)


@dataclass
class _ReactionDraft:
    emoji: list[str] = field(default_factory=list)
    count: list[str] = field(default_factory=list)
    userpics: int = 0


class _Span(NamedTuple):
    """The lines a message div takes in the file, and whether it closes before the file ends."""

    line: int
    line_end: int
    closed: bool = True


@dataclass
class _Draft:
    """One message div as read so far."""

    guid: str
    span: _Span
    service: bool
    date_title: str | None = None
    from_name: list[str] = field(default_factory=list)
    forwarded_from: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    reply_to: str | None = None
    media: list[_Media] = field(default_factory=list)
    reactions: list[_ReactionDraft] = field(default_factory=list)


def looks_like_telegram_html(text: str) -> bool:
    """True for a page of Telegram Desktop's chat history (`messages.html`, `messages2.html`…)."""
    head = text[:16384]
    if 'class="page_wrap"' not in head:
        return False
    return 'class="history"' in head or _MESSAGE_DIV.search(head) is not None


def parse_telegram_html(text: str, source: str, zone: tzinfo | None) -> Extracted:
    """Parse one page of a Telegram HTML export; a page cut short keeps the messages read."""
    result = Extracted(format="telegram", kind="chat")
    try:
        root = _html_tree(text)
    except (etree.LxmlError, ValueError) as exc:
        result.add_problem(f"unreadable HTML ({exc})", source)
        return result
    if root is None:  # nothing but whitespace
        return result
    reader = _ExportReader(_spans(text))
    try:
        cut = _add_drafts(result, reader.drafts(root), reader.title(root), source, zone)
    except RecursionError:  # elements nested deeper than Python's stack
        result.add_problem("markup nested too deeply; the messages before it are kept", source)
        return result
    if cut is not None:
        result.add_problem(
            f"the file ends inside message {cut.guid}; it is kept as read",
            f"{source}:{cut.span.line}",
        )
    return result


def _html_tree(text: str) -> _Element | None:
    """The page as lxml reads it: broken markup recovered, UTF-8 whatever the page declares, no
    limit on the length of a text (libxml2 otherwise drops a message over 10 MB)."""
    parser = etree.HTMLParser(
        recover=True, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
    )
    return etree.fromstring(text.encode("utf-8", "replace"), parser)


def _spans(text: str) -> dict[str, _Span]:
    """Where each message div is, by guid, read from the text itself: lxml counts lines only up
    to 65,535. A div ends at the last tag before the next one starts; a guid seen twice keeps
    its first place."""
    starts = [
        (max(text.rfind("<", 0, found.start()), 0), found.group(1))
        for found in _MESSAGE_ID_ATTRIBUTE.finditer(text)
        if text[found.start() - 1].isspace()  # `id=`, not `data-id=`
    ]
    spans: dict[str, _Span] = {}
    line, previous = 1, 0
    for number, (start, guid) in enumerate(starts):
        line += text.count("\n", previous, start)
        previous = start
        if number + 1 < len(starts):
            end, closed = max(text.rfind(">", start, starts[number + 1][0]), start), True
        else:
            end, closed = _closing(text, start)
        spans.setdefault(guid, _Span(line, line + text.count("\n", start, end), closed))
    return spans


def _closing(text: str, start: int) -> tuple[int, bool]:
    """Where the element opened at `start` is closed, and whether it is before the text ends."""
    tag = _TAG.match(text, start)
    if tag is not None:
        depth = 0
        closing = re.compile(rf"<(/?){re.escape(tag.group(1))}[\s/>]", re.IGNORECASE)
        for found in closing.finditer(text, start):
            depth += -1 if found.group(1) else 1
            if depth == 0:
                return found.start(), True
    return len(text), False


def _classes(element: _Element) -> set[str]:
    return set((element.get("class") or "").split())


def _message_guid(element: _Element, classes: set[str]) -> str | None:
    """The guid of a message div (negative for a date separator), None for any other element."""
    if "message" not in classes:
        return None
    found = _MESSAGE_ID.match(element.get("id") or "")
    return found.group(1) if found else None


def _page(parent: _Element) -> Iterator[tuple[_Element, set[str], str | None]]:
    """The message divs under `parent` with their classes and guid (what is inside them is
    not looked at), and the page headers with a None guid."""
    for child in parent:
        if not isinstance(child.tag, str):  # a comment
            continue
        classes = _classes(child)
        guid = _message_guid(child, classes)
        if guid is not None:
            yield child, classes, guid
            continue
        if "page_header" in classes:
            yield child, classes, None
        yield from _page(child)  # a header left open holds the history


class _ExportReader:
    """Reads the message divs of a Telegram `messages.html`, parsed by lxml, into drafts."""

    def __init__(self, spans: dict[str, _Span]) -> None:
        self._spans = spans
        self._nested: list[tuple[_Element, set[str], str]] = []

    def title(self, root: _Element) -> str | None:
        """The chat's name: the first `.text` inside the first `.page_header`."""
        header = next((element for element, _, guid in _page(root) if guid is None), None)
        if header is None:
            return None
        for element in header.iterdescendants():
            if "text" in _classes(element):
                parts = [element.text or ""]
                self._read(element, None, (), parts)
                return " ".join("".join(parts).split()) or None
        return None

    def drafts(self, root: _Element) -> Iterator[_Draft]:
        """Each message of the page in file order; date separators are skipped."""
        for element, classes, guid in _page(root):
            if guid is not None:
                yield from self._message(element, classes, guid)

    def _message(self, element: _Element, classes: set[str], guid: str) -> Iterator[_Draft]:
        if guid.startswith("-"):  # a date separator; one left open holds the messages after it
            yield from self.drafts(element)
            return
        line = element.sourceline or 1
        span = self._spans.pop(guid, None) or _Span(line, line)
        draft = _Draft(guid=guid, span=span, service="service" in classes)
        self._read(element, draft, (), None)
        yield draft
        nested, self._nested = self._nested, []
        for child, child_classes, child_guid in nested:
            yield from self._message(child, child_classes, child_guid)

    def _read(
        self, parent: _Element, draft: _Draft | None, inside: tuple[str, ...], sink: _Sink
    ) -> None:
        """Read what the children of `parent` mean to `draft`, their text going to `sink` (or
        to the sink of their own role); `inside` holds the roles of the elements around them."""
        for child in parent:
            tag = child.tag
            if tag == "br":
                if sink is not None:
                    sink.append("\n")
            elif isinstance(tag, str):  # not a comment
                self._element(child, tag, draft, inside, sink)
            if sink is not None and (tail := child.tail):
                sink.append(tail)

    def _element(
        self,
        element: _Element,
        tag: str,
        draft: _Draft | None,
        inside: tuple[str, ...],
        sink: _Sink,
    ) -> None:
        classes = _classes(element)
        guid = _message_guid(element, classes)
        if guid is not None:  # a message div left open holds the next one
            self._nested.append((element, classes, guid))
            return
        role, inner = (
            (None, sink) if draft is None else _role(element, classes, draft, inside, sink)
        )
        if tag == "a" and draft is not None:
            _link(element, draft, inside)
        text = element.text
        if inner is not None and text:
            inner.append(text)
        if len(element):
            self._read(element, draft, (*inside, role) if role else inside, inner)


def _role(
    element: _Element, classes: set[str], draft: _Draft, inside: tuple[str, ...], sink: _Sink
) -> _Role:
    if "forwarded" in classes and "body" in classes:
        return "forwarded", sink
    if "from_name" in classes:
        return "name", draft.forwarded_from if "forwarded" in inside else draft.from_name
    if "date" in classes:
        title = element.get("title")
        if element.tag == "div" and title is not None and draft.date_title is None:
            draft.date_title = title
        return "skip", None
    if "reply_to" in classes:
        return "reply", sink
    if "media_wrap" in classes:
        return "media", sink
    if "media" in inside:
        return _media_role(element, classes, draft, sink)
    if "text" in classes or (draft.service and "body" in classes and "details" in classes):
        return "text", draft.text
    return _reaction_role(classes, draft, inside, sink)


def _media_role(element: _Element, classes: set[str], draft: _Draft, sink: _Sink) -> _Role:
    kind = next((kind for name, kind in _HTML_MEDIA if name in classes), None)
    if kind is not None:
        draft.media.append(_Media(kind, element.get("href") or None))
        return "media_item", sink
    if draft.media and classes & {"title", "question"}:
        return "media_title", draft.media[-1].title
    return None, sink


def _reaction_role(classes: set[str], draft: _Draft, inside: tuple[str, ...], sink: _Sink) -> _Role:
    if "reaction" in classes:
        draft.reactions.append(_ReactionDraft())
        return "reaction", sink
    if not draft.reactions or "reaction" not in inside:
        return None, sink
    current = draft.reactions[-1]
    if "emoji" in classes:
        return "emoji", current.emoji
    if "count" in classes:
        return "count", current.count
    if "userpic" in classes:
        current.userpics += 1
    return "skip", None


def _link(element: _Element, draft: _Draft, inside: tuple[str, ...]) -> None:
    if not ("reply" in inside or draft.service):
        return
    for value in (element.get("href") or "", element.get("onclick") or ""):
        target = _GO_TO.search(value)
        if target is not None:
            draft.reply_to = target.group(1) or target.group(2)
            return


def _add_drafts(
    result: Extracted, drafts: Iterable[_Draft], title: str | None, source: str, zone: tzinfo | None
) -> _Draft | None:
    """The drafts as messages; a message with no name of its own ("joined") has the sender of
    the one before. Returns the draft the file ends inside of, if any."""
    conv_key = f"html:{posixpath.dirname(source)}:{title or ''}"
    conv_id = stable_id(PLATFORM, conv_key)
    previous: str | None = None
    cut: _Draft | None = None
    for draft in drafts:
        cut = cut if draft.span.closed else draft
        where = f"{source}:{draft.span.line}"
        label = f"message {draft.guid}"
        message = result.guard(
            where, label, _from_draft, draft, previous, conv_key, conv_id, title, source, zone
        )
        if message is None:
            continue
        if message.timestamp is None and draft.date_title is not None:
            result.add_problem(f"{label}: date {shown(draft.date_title)} is not a time", where)
        if not draft.service:
            previous = message.sender
        result.messages.append(message)
    return cut


def _from_draft(
    draft: _Draft,
    previous: str | None,
    conv_key: str,
    conv_id: str,
    title: str | None,
    source: str,
    zone: tzinfo | None,
) -> Message:
    meta: dict[str, Any] = {"chat": title} if title else {}
    sender: str | None = None
    if draft.service:
        meta["system"] = True
    else:
        name, _, bot = _squeeze(draft.from_name).partition(" via @")
        sender = fix_mojibake(name) if name else previous
        if bot:
            meta["via_bot"] = f"@{bot}"
    forwarded = _squeeze(draft.forwarded_from).partition(" via @")[0]
    if forwarded:
        meta["forwarded_from"] = fix_mojibake(forwarded)
    return Message(
        msg_id=stable_id(PLATFORM, conv_key, draft.guid),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=_html_time(draft.date_title, zone),
        sender=sender,
        sender_id=None,
        text=_html_text(draft.text),
        reply_to_msg_id=stable_id(PLATFORM, conv_key, draft.reply_to) if draft.reply_to else None,
        reactions=[r for item in draft.reactions for r in _html_reactions(item)],
        attachments=[_html_attachment(media) for media in draft.media],
        source_ref=SourceRef(
            path=source, guid=draft.guid, line=draft.span.line, line_end=draft.span.line_end
        ),
        source_meta=meta,
    )


def _squeeze(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


def _html_text(parts: list[str]) -> str:
    """The text of a `div.text`: `<br>` breaks kept, the exporter's indentation dropped."""
    lines = "".join(parts).split("\n")
    return "\n".join(line.strip() for line in lines).strip("\n")


def _html_time(title: str | None, zone: tzinfo | None) -> datetime | None:
    """The time of a `div.date` title: "13.06.2023 14:23:11 UTC+02:00" (in UTC), or the older
    zone-less "13.06.2023 14:23:11" read in `zone`."""
    found = _DATE_TITLE.search(title or "")
    if found is None:
        return None
    day, month, year, hour, minute, second = map(int, found.group(1, 2, 3, 4, 5, 6))
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if found.group(7) is None:
        return localize(naive, zone)
    offset = timedelta(hours=int(found.group(8)), minutes=int(found.group(9)))
    if offset >= _DAY:  # no such zone
        return None
    try:
        moment = naive - offset if found.group(7) == "+" else naive + offset
    except OverflowError:
        return None
    return moment.replace(tzinfo=UTC)


def _html_attachment(media: _Media) -> Attachment:
    title = _squeeze(media.title)
    return Attachment(kind=media.kind, name=media.href or title or None)


def _html_reactions(draft: _ReactionDraft) -> list[Reaction]:
    emoji = _squeeze(draft.emoji)
    if not emoji:
        return []
    count = _squeeze(draft.count)
    total = int(count) if count.isdecimal() and len(count) < 10 else max(draft.userpics, 1)
    return [Reaction(emoji=emoji) for _ in range(min(total, _MAX_REACTIONS))]
