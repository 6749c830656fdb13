"""Slack workspace exports: the root lists of people and conversations, then one
`<conversation>/<YYYY-MM-DD>.json` day file at a time.

A message's id is `stable_id(PLATFORM, conversation, ts)`, so a thread reply filed in a later
day file still points at its parent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chatx.ingest.common import (
    Extracted,
    RecordError,
    as_dict,
    as_list,
    as_str,
    from_epoch,
    shown,
    stable_id,
    type_name,
)
from chatx.ingest.jsonpos import PositionedJSON
from chatx.models import Attachment, Message, Problem, Reaction, SourceRef
from chatx.problems import ChatxError, ProblemCode, make_problem

PLATFORM = "slack"
CONTEXT_FILES = ("users.json", "channels.json", "groups.json", "dms.json", "mpims.json")
_KINDS = {
    "channels.json": "channel",
    "groups.json": "private",
    "dms.json": "dm",
    "mpims.json": "group-dm",
}
SYSTEM_SUBTYPES = frozenset(
    {
        "message_changed",
        "message_deleted",
        "channel_join",
        "channel_leave",
        "channel_purpose",
        "channel_topic",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "group_join",
        "group_leave",
        "group_purpose",
        "group_topic",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
    }
)
_DAY_NAME = re.compile(r"[^/]+/\d{4}-\d{2}-\d{2}\.json")
_TS = re.compile(r"\d+\.\d+")
_TIME = re.compile(r"(\d{1,12})(?:\.(\d+))?")
_MARKUP = re.compile(r"<([^<>\n]*)>|&(amp|lt|gt);")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_BROADCASTS = frozenset({"here", "channel", "everyone", "group"})
_MEDIA = frozenset({"image", "video", "audio"})
_URL_KEYS = ("from_url", "title_link", "original_url")
_DAY_SAMPLE = 5  # day-file items a content check looks at
_SLACKBOT = {"USLACKBOT": "Slackbot"}


@dataclass(frozen=True)
class SlackContext:
    """What the export's root files say about people and conversations."""

    users: dict[str, str] = field(default_factory=dict)
    bots: dict[str, str] = field(default_factory=dict)
    conversations: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)  # conversation id -> folder name


def load_context(read: Callable[[str], bytes | None]) -> tuple[SlackContext, list[Problem]]:
    """The people and conversations of an export from its root files (`read(name)` gives a
    file's bytes, or None when the export has none); a file that is not valid JSON is a
    problem naming it, and the others still load."""
    problems: list[Problem] = []
    lists = {name: _root_list(read(name), name, problems) for name in CONTEXT_FILES}
    users, bots = _people(lists["users.json"], problems)
    conversations: dict[str, str] = {}
    kinds: dict[str, str] = {}
    folders: dict[str, str] = {}
    for name, kind in _KINDS.items():
        skipped = 0
        for item in map(as_dict, lists[name]):
            folder = _folder(item, kind)
            if folder is None:
                skipped += 1
                continue
            conversations[folder] = _title(item, kind, folder, users)
            kinds[folder] = kind
            if as_str(item.get("id")):
                folders[item["id"]] = folder
        _note_skipped(name, skipped, problems)
    return SlackContext(users, bots, conversations, kinds, folders), problems


def looks_like_slack_root(names: Iterable[str]) -> bool:
    """True for the listing (relative posix paths) of a Slack export's root folder or zip."""
    listed = {name.removeprefix("./") for name in names}
    return (
        "users.json" in listed
        and ("channels.json" in listed or "dms.json" in listed)
        and any(is_slack_day_name(name) for name in listed)
    )


def is_slack_day_name(path: str) -> bool:
    """True for `<conversation folder>/<YYYY-MM-DD>.json`."""
    return _DAY_NAME.fullmatch(path.removeprefix("./")) is not None


def looks_like_slack_day(value: object) -> bool:
    """True for a list whose first items are Slack messages (`type` message, `ts` digits.digits)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(item, dict)
            and item.get("type") == "message"
            and isinstance(item.get("ts"), str)
            and _TS.fullmatch(item["ts"]) is not None
            for item in value[:_DAY_SAMPLE]
        )
    )


def parse_slack_day(
    doc: PositionedJSON, source: str, conversation: str, context: SlackContext
) -> Extracted:
    """The messages of one day file of `conversation` (its folder name); a record that cannot
    be read becomes a problem with its line, and the rest of the file is still parsed."""
    if not isinstance(doc.value, list):
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR,
            f"not a Slack day file: the top level is {type_name(doc.value)}, "
            "expected a list of messages",
            source,
        )
    result = Extracted(format="slack", kind="chat")
    result.keep(*doc.problems)
    day = _Day(conversation, context, _names(doc.value, context))
    for index, record in enumerate(doc.value):
        line, line_end = _span(doc, index, record)
        where = f"{source}:{line}"
        label = f"message {index}"
        ref = SourceRef(path=source, line=line, line_end=line_end)
        message = result.guard(where, label, _to_message, record, day, ref, result, label)
        if message is None:
            continue
        if not result.messages:
            message.source_meta["conversation"] = context.conversations.get(
                conversation, conversation
            )
        result.messages.append(message)
    return result


# --- root files ---------------------------------------------------------------------------------


def _root_list(data: bytes | None, name: str, problems: list[Problem]) -> list[Any]:
    """The items of a root file's top-level list; what cannot be read is a problem."""
    if data is None:
        return []
    try:
        doc = PositionedJSON(data.decode("utf-8-sig", "replace"), name, salvage=True)
    except json.JSONDecodeError as exc:
        reason = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        problems.append(_problem(f"{name}: invalid JSON at {reason}", name))
        return []
    except RecursionError:
        problems.append(_problem(f"{name}: invalid JSON (nesting too deep)", name))
        return []
    problems.extend(_problem(f"{name}: {problem.detail}", name) for problem in doc.problems)
    if not isinstance(doc.value, list):
        problems.append(
            _problem(f"{name}: the top level is {type_name(doc.value)}, expected a list", name)
        )
        return []
    return doc.value


def _problem(detail: str, name: str) -> Problem:
    return make_problem(ProblemCode.PARSE_ERROR, detail, name)


def _note_skipped(name: str, skipped: int, problems: list[Problem]) -> None:
    if skipped:
        problems.append(_problem(f"{name}: {skipped} entries without an id or name skipped", name))


def _people(items: list[Any], problems: list[Problem]) -> tuple[dict[str, str], dict[str, str]]:
    """User id -> name, and bot id -> name, from users.json."""
    users: dict[str, str] = {}
    bots: dict[str, str] = {}
    skipped = 0
    for item in map(as_dict, items):
        user_id = as_str(item.get("id"))
        if not user_id:
            skipped += 1
            continue
        profile = as_dict(item.get("profile"))
        name = _profile_name(profile) or as_str(item.get("real_name")) or as_str(item.get("name"))
        users[user_id] = name or user_id
        bot_id = as_str(profile.get("bot_id"))
        if bot_id:
            bots[bot_id] = users[user_id]
    _note_skipped("users.json", skipped, problems)
    return users, bots


def _profile_name(profile: dict[str, Any]) -> str | None:
    return as_str(profile.get("display_name")) or as_str(profile.get("real_name")) or None


def _folder(item: dict[str, Any], kind: str) -> str | None:
    """The folder that holds a conversation's day files: a DM's id, otherwise its name."""
    key = item.get("id") if kind == "dm" else item.get("name")
    return key if isinstance(key, str) and key and "/" not in key else None


def _title(item: dict[str, Any], kind: str, folder: str, users: Mapping[str, str]) -> str:
    if kind in ("channel", "private"):
        return f"#{folder}"
    members = [users.get(m, m) for m in as_list(item.get("members")) if isinstance(m, str)]
    prefix = "DM" if kind == "dm" else "Group DM"
    return f"{prefix}: {', '.join(members) if members else folder}"


# --- day files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Day:
    """One day file's conversation, and the names its messages may mention."""

    conversation: str
    context: SlackContext
    names: dict[str, str]

    def name_of(self, user_id: str) -> str:
        """The display name of a user id, or the id when nobody knows it."""
        return self.names.get(user_id, user_id)

    def msg_id(self, ts: str) -> str:
        """The id of the message with this `ts` in this conversation, on any day."""
        return stable_id(PLATFORM, self.conversation, ts)


def _names(records: list[Any], context: SlackContext) -> dict[str, str]:
    """Names by user id: users.json first, then the profiles the day's messages carry."""
    names = dict(_SLACKBOT)
    for record in records:
        if isinstance(record, dict) and isinstance(record.get("user"), str):
            name = _profile_name(as_dict(record.get("user_profile")))
            name = name or as_str(as_dict(record.get("user_profile")).get("name"))
            if name:
                names.setdefault(record["user"], name)
    names.update(context.users)
    return names


def _span(doc: PositionedJSON, index: int, record: object) -> tuple[int, int]:
    """First and last line of a record: it ends where the next one starts, or (the last one)
    at its last nested object, the nearest end the document knows."""
    line = doc.line_of(record, doc.line_of_item(index))
    following = doc.line_of_item(index + 1)
    if following > line:
        return line, following - 1
    last = line
    stack: list[Any] = [record]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            last = max(last, doc.line_of(item, line))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return line, last


def _to_message(
    record: object, day: _Day, ref: SourceRef, result: Extracted, label: str
) -> Message | None:
    if not isinstance(record, dict):
        raise RecordError(f"is {type_name(record)}, expected an object")
    ts = record.get("ts")
    if not isinstance(ts, str) or not ts:
        what = "empty" if ts == "" else type_name(ts)
        raise RecordError(f"'ts' is {what}, expected a string like '1681413317.397479'")
    raw_text = record.get("text")
    if raw_text is not None and not isinstance(raw_text, str):
        raise RecordError(f"'text' is {type_name(raw_text)}, expected a string")
    timestamp = _time(ts)
    if timestamp is None:
        where = f"{ref.path}:{ref.line}"
        result.add_problem(f"{label}: ts {shown(ts)} is not a time; kept without one", where)
    subtype = as_str(record.get("subtype"))
    sender, sender_id, meta = _sender(record, subtype, day)
    attachments = _files(record) + _links(record.get("attachments"))
    text = _text(record, subtype, day)
    if not text and not attachments:
        return None
    meta.update(_thread_meta(record, ts))
    thread_ts = as_str(record.get("thread_ts"))
    edited = _time(as_str(as_dict(record.get("edited")).get("ts")) or "")
    if edited is not None:
        meta["edited"] = edited.isoformat()
    return Message(
        msg_id=day.msg_id(ts),
        conv_id=stable_id(PLATFORM, day.conversation),
        platform=PLATFORM,
        timestamp=timestamp,
        sender=sender,
        sender_id=sender_id,
        text=text,
        reply_to_msg_id=day.msg_id(thread_ts) if thread_ts and thread_ts != ts else None,
        reactions=_reactions(record.get("reactions"), day),
        attachments=attachments,
        source_ref=ref.model_copy(update={"guid": ts}),
        source_meta=meta,
    )


def _time(ts: str) -> datetime | None:
    """The UTC time of a Slack `ts` ("seconds.micros"), exact to the microsecond."""
    match = _TIME.fullmatch(ts)
    moment = from_epoch(int(match.group(1))) if match else None
    if match is None or moment is None:
        return None
    return moment.replace(microsecond=int((match.group(2) or "")[:6].ljust(6, "0")))


def _sender(
    record: dict[str, Any], subtype: str | None, day: _Day
) -> tuple[str | None, str | None, dict[str, Any]]:
    """Display name, id and the source_meta a message's author gives it."""
    user = as_str(record.get("user"))
    meta: dict[str, Any] = {"subtype": subtype} if subtype else {}
    if subtype in SYSTEM_SUBTYPES:
        meta["system"] = True
        if subtype == "message_deleted":
            meta["deleted"] = True
        return None, user, meta
    bot_id = as_str(record.get("bot_id"))
    if subtype == "bot_message" or bot_id:
        meta["bot"] = True
        name = (
            as_str(record.get("username"))
            or as_str(as_dict(record.get("bot_profile")).get("name"))
            or day.context.bots.get(bot_id or "")
            or (day.names.get(user) if user else None)
        )
        return name or bot_id or user, bot_id or user, meta
    if user:
        profile = as_dict(record.get("user_profile"))
        return day.names.get(user) or _profile_name(profile) or user, user, meta
    return as_str(record.get("username")), None, meta


def _text(record: dict[str, Any], subtype: str | None, day: _Day) -> str:
    """The message text with Slack's markup resolved; a message built only of attachments
    without a link (what integrations post) reads as their fallback text."""
    text = _resolve(as_str(record.get("text")) or "", day)
    if not text and subtype == "message_changed":
        text = _resolve(as_str(as_dict(record.get("message")).get("text")) or "", day)
    if not text and subtype == "message_deleted":
        text = "(message deleted)"
    if not text:
        plain = [
            as_str(item.get("fallback")) or as_str(item.get("text")) or ""
            for item in as_list(record.get("attachments"))
            if isinstance(item, dict) and not any(as_str(item.get(key)) for key in _URL_KEYS)
        ]
        text = "\n".join(_resolve(part, day) for part in plain if part)
    return text.strip()


def _resolve(text: str, day: _Day) -> str:
    """Slack's `<@U1>`, `<#C1|name>`, `<!here>` and `<url|label>` markup as a person reads
    it, and `&amp;`, `&lt;`, `&gt;` unescaped."""
    return _MARKUP.sub(lambda match: _resolve_one(match, day), text)


def _resolve_one(match: re.Match[str], day: _Day) -> str:
    entity = match.group(2)
    if entity:
        return _ENTITIES[entity]
    target, _, label = match.group(1).partition("|")
    label = _unescape(label)
    if target.startswith("@"):
        user = target[1:]
        return "@" + (day.names.get(user) or label.lstrip("@") or user)
    if target.startswith("#"):
        return f"#{label}" if label else _channel(target[1:], day.context)
    if target.startswith("!"):
        keyword = target[1:].partition("^")[0]
        return f"@{keyword}" if keyword in _BROADCASTS else label or target[1:]
    url = _unescape(target)
    if label and label not in (url, url.removeprefix("mailto:")):
        return f"{label} ({url})"
    return label or url


def _channel(conversation_id: str, context: SlackContext) -> str:
    title = context.conversations.get(context.folders.get(conversation_id, ""), "")
    return title if title.startswith("#") else f"#{conversation_id}"


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(1)], text)


def _thread_meta(record: dict[str, Any], ts: str) -> dict[str, Any]:
    thread_ts = as_str(record.get("thread_ts"))
    parent = (thread_ts is None or thread_ts == ts) and (
        "reply_count" in record or "replies" in record
    )
    return {"thread": True} if parent else {}


def _files(record: dict[str, Any]) -> list[Attachment]:
    """Shared files, newer exports' `files` list and older ones' single `file`."""
    items = [*as_list(record.get("files")), record.get("file")]
    return [_file(item) for item in items if isinstance(item, dict)]


def _file(item: dict[str, Any]) -> Attachment:
    mime = as_str(item.get("mimetype"))
    major = (mime or "").partition("/")[0]
    return Attachment(
        kind=major if major in _MEDIA else "document",
        name=as_str(item.get("name")) or as_str(item.get("title")),
        mime=mime,
    )


def _links(value: object) -> list[Attachment]:
    """Link unfurls as link attachments; their preview text is not the message's."""
    links = []
    for item in map(as_dict, as_list(value)):
        url = next((item[key] for key in _URL_KEYS if as_str(item.get(key))), None)
        if url:
            links.append(Attachment(kind="link", name=url))
    return links


def _reactions(value: object, day: _Day) -> list[Reaction]:
    """One reaction per user who reacted (one without a sender when no user is listed)."""
    reactions: list[Reaction] = []
    for item in as_list(value):
        name = as_str(item.get("name")) if isinstance(item, dict) else None
        if not name:
            continue
        emoji = f":{name}:"
        users = [user for user in as_list(item.get("users")) if isinstance(user, str)]
        reactions.extend(Reaction(emoji=emoji, sender=day.name_of(user)) for user in users)
        if not users:
            reactions.append(Reaction(emoji=emoji))
    return reactions
