"""Claude.ai `conversations.json`: the newest branch of each conversation's message tree."""

from __future__ import annotations

from typing import Any

from chatx.ingest.claude_code import render_content
from chatx.ingest.common import Extracted, from_iso, stable_id
from chatx.ingest.jsonpos import PositionedJSON
from chatx.models import Attachment, Message, SourceRef
from chatx.problems import ProblemCode, make_problem

PLATFORM = "claude"


def looks_like_claude_ai(value: object) -> bool:
    """True for a list of conversations shaped like the Claude.ai export."""
    return isinstance(value, list) and any(
        isinstance(item, dict) and ("chat_messages" in item or ("uuid" in item and "name" in item))
        for item in value[:20]
    )


def parse_claude_ai(doc: PositionedJSON, source: str) -> Extracted:
    """Parse every conversation; one without `chat_messages` becomes a problem."""
    result = Extracted(format="claude", kind="chat")
    for index, conv in enumerate(doc.value):
        messages = conv.get("chat_messages") if isinstance(conv, dict) else None
        if not isinstance(messages, list):
            result.problems.append(
                make_problem(
                    ProblemCode.PARSE_ERROR,
                    f"conversation {index} has no 'chat_messages'",
                    f"{source}:{doc.line_of(conv)}",
                )
            )
            continue
        conv_id = stable_id(PLATFORM, conv.get("uuid") or f"index:{index}")
        records = [m for m in messages if isinstance(m, dict)]
        known = {m.get("uuid") for m in records}
        for raw in _newest_branch(records):
            message = _to_message(raw, conv_id, conv, doc, source, known)
            if message is not None:
                result.messages.append(message)
    return result


def _newest_branch(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Follow `parent_message_uuid` up from the newest message; flat exports stay as they are."""
    by_uuid = {m.get("uuid"): m for m in messages if m.get("uuid")}
    if not any(m.get("parent_message_uuid") in by_uuid for m in messages):
        return messages
    newest = max(enumerate(messages), key=lambda pair: (pair[1].get("created_at") or "", pair[0]))
    branch: list[dict[str, Any]] = []
    current: dict[str, Any] | None = newest[1]
    while current is not None and current not in branch:
        branch.append(current)
        current = by_uuid.get(current.get("parent_message_uuid"))
    return branch[::-1]


def _to_message(
    raw: dict[str, Any],
    conv_id: str,
    conv: dict[str, Any],
    doc: PositionedJSON,
    source: str,
    known: set[object],
) -> Message | None:
    texts, attachments, _ = render_content(raw.get("content"))
    text = "\n".join(t for t in texts if t.strip()).strip()
    if not text:
        text = str(raw.get("text") or "").strip()
    for item in (raw.get("attachments") or []) + (raw.get("files") or []):
        if isinstance(item, dict):
            name = item.get("file_name") or item.get("file_uuid")
            attachments.append(Attachment(kind="file", name=name, mime=item.get("file_type")))
    if not text and not attachments:
        return None
    sender = "user" if raw.get("sender") == "human" else str(raw.get("sender") or "unknown")
    parent = raw.get("parent_message_uuid")
    line = doc.line_of(raw)
    meta: dict[str, Any] = {"title": conv["name"]} if conv.get("name") else {}
    return Message(
        msg_id=stable_id(PLATFORM, conv_id, raw.get("uuid") or f"line:{line}"),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=from_iso(raw.get("created_at")),
        sender=sender,
        is_me=sender == "user",
        text=text,
        reply_to_msg_id=stable_id(PLATFORM, conv_id, parent) if parent in known else None,
        attachments=attachments,
        source_ref=SourceRef(path=source, guid=raw.get("uuid"), line=line, line_end=line),
        source_meta=meta,
    )
