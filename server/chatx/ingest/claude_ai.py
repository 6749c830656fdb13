"""Claude.ai `conversations.json`: the newest branch of each conversation's message tree."""

from __future__ import annotations

from typing import Any

from chatx.ingest.claude_code import render_content
from chatx.ingest.common import (
    Extracted,
    RecordError,
    as_list,
    as_str,
    from_iso,
    shown,
    stable_id,
    type_name,
)
from chatx.ingest.jsonpos import PositionedJSON
from chatx.models import Attachment, Message, SourceRef

PLATFORM = "claude"


def looks_like_claude_ai(value: object) -> bool:
    """True for a list of conversations shaped like the Claude.ai export."""
    return isinstance(value, list) and any(
        isinstance(item, dict) and ("chat_messages" in item or ("uuid" in item and "name" in item))
        for item in value[:20]
    )


def parse_claude_ai(doc: PositionedJSON, source: str) -> Extracted:
    """Parse every conversation; one without `chat_messages`, or a message that cannot be
    read, becomes a problem with its line and the rest of the file is still parsed."""
    result = Extracted(format="claude", kind="chat")
    result.keep(*doc.problems)
    for index, conv in enumerate(doc.value):
        where = f"{source}:{doc.line_of_item(index)}"
        messages = conv.get("chat_messages") if isinstance(conv, dict) else None
        if not isinstance(messages, list):
            result.add_problem(f"conversation {index} has no 'chat_messages'", where)
            continue
        conv_id = stable_id(PLATFORM, as_str(conv.get("uuid")) or f"index:{index}")
        records = [m for m in messages if isinstance(m, dict)]
        for number, item in enumerate(messages):
            if not isinstance(item, dict):
                result.add_problem(
                    f"conversation {index}, message {number} is {type_name(item)}, "
                    "expected an object",
                    where,
                )
        known = {uuid for m in records if (uuid := as_str(m.get("uuid")))}
        branch = result.guard(where, f"conversation {index}", _newest_branch, records)
        for raw in branch or []:
            line = doc.line_of(raw)
            label = f"conversation {index}, message {shown(raw.get('uuid'))}"
            message = result.guard(
                f"{source}:{line}", label, _to_message, raw, conv_id, conv, line, source, known
            )
            if message is not None:
                if message.timestamp is None and raw.get("created_at") is not None:
                    result.add_problem(
                        f"{label}: created_at {shown(raw['created_at'])} is not a time; "
                        "kept without one",
                        f"{source}:{line}",
                    )
                result.messages.append(message)
    return result


def _newest_branch(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Follow `parent_message_uuid` up from the newest message; flat exports stay as they are."""
    by_uuid = {uuid: m for m in messages if (uuid := as_str(m.get("uuid")))}
    if not any(as_str(m.get("parent_message_uuid")) in by_uuid for m in messages):
        return messages
    newest = max(
        enumerate(messages), key=lambda pair: (as_str(pair[1].get("created_at")) or "", pair[0])
    )
    branch: list[dict[str, Any]] = []
    seen: set[int] = set()
    current: dict[str, Any] | None = newest[1]
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        branch.append(current)
        current = by_uuid.get(as_str(current.get("parent_message_uuid")) or "")
    return branch[::-1]


def _to_message(
    raw: dict[str, Any],
    conv_id: str,
    conv: dict[str, Any],
    line: int,
    source: str,
    known: set[str],
) -> Message | None:
    texts, attachments, _ = render_content(raw.get("content"))
    text = "\n".join(t for t in texts if t.strip()).strip()
    if not text:
        if raw.get("text") is not None and not isinstance(raw["text"], str):
            raise RecordError(f"'text' is {type_name(raw['text'])}, expected a string")
        text = (as_str(raw.get("text")) or "").strip()
    for item in as_list(raw.get("attachments")) + as_list(raw.get("files")):
        if isinstance(item, dict):
            name = as_str(item.get("file_name")) or as_str(item.get("file_uuid"))
            attachments.append(
                Attachment(kind="file", name=name, mime=as_str(item.get("file_type")))
            )
    if not text and not attachments:
        return None
    sender_field = as_str(raw.get("sender"))
    sender = "user" if sender_field == "human" else sender_field or "unknown"
    parent = as_str(raw.get("parent_message_uuid"))
    uuid = as_str(raw.get("uuid"))
    name = as_str(conv.get("name"))
    return Message(
        msg_id=stable_id(PLATFORM, conv_id, uuid or f"line:{line}"),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=from_iso(raw.get("created_at")),
        sender=sender,
        is_me=sender == "user",
        text=text,
        reply_to_msg_id=stable_id(PLATFORM, conv_id, parent) if parent in known else None,
        attachments=attachments,
        source_ref=SourceRef(path=source, guid=uuid, line=line, line_end=line),
        source_meta={"title": name} if name else {},
    )
