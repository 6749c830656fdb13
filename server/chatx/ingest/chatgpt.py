"""ChatGPT `conversations.json`: the branch that ends at `current_node` of each conversation."""

from __future__ import annotations

import math
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
from chatx.models import Attachment, Message, SourceRef

PLATFORM = "chatgpt"
_SKIPPED_CONTENT = {
    "thoughts",
    "reasoning_recap",
    "user_editable_context",
    "model_editable_context",
}


def looks_like_chatgpt(value: object) -> bool:
    """True for a list of conversations with a `mapping` tree."""
    return isinstance(value, list) and any(
        isinstance(item, dict) and "mapping" in item for item in value[:20]
    )


def parse_chatgpt(doc: PositionedJSON, source: str) -> Extracted:
    """Parse every conversation; a conversation or message that cannot be read becomes a
    problem with its line, and the rest of the file is still parsed."""
    result = Extracted(format="chatgpt", kind="chat")
    result.keep(*doc.problems)
    for index, conv in enumerate(doc.value):
        where = f"{source}:{doc.line_of_item(index)}"
        mapping = conv.get("mapping") if isinstance(conv, dict) else None
        if not isinstance(mapping, dict) or not mapping:
            result.add_problem(f"conversation {index} has no message tree ('mapping')", where)
            continue
        branch = result.guard(where, f"conversation {index}", _active_branch, mapping, conv)
        conv_key = as_str(conv.get("conversation_id")) or as_str(conv.get("id"))
        conv_id = stable_id(PLATFORM, conv_key or f"index:{index}")
        previous: str | None = None
        for node in branch or []:
            line = doc.line_of(node)
            label = f"conversation {index}, message {shown(node.get('id'))}"
            message = result.guard(
                f"{source}:{line}",
                label,
                _to_message,
                node,
                conv_id,
                conv,
                line,
                source,
                result,
                label,
            )
            if message is not None:
                message.reply_to_msg_id = previous
                previous = message.msg_id
                result.messages.append(message)
    return result


def _active_branch(mapping: dict[str, Any], conv: dict[str, Any]) -> list[dict[str, Any]]:
    """Nodes from the root down to `current_node` (or to the newest leaf when it is absent)."""
    current = conv.get("current_node")
    if not isinstance(current, str) or not isinstance(mapping.get(current), dict):
        leaves = [
            node for node in mapping.values() if isinstance(node, dict) and not node.get("children")
        ]
        leaves.sort(key=_created)
        current = leaves[-1].get("id") if leaves else None
    branch: list[dict[str, Any]] = []
    seen: set[str] = set()
    while isinstance(current, str) and current not in seen:
        node = mapping.get(current)
        if not isinstance(node, dict):
            break
        seen.add(current)
        branch.append(node)
        current = node.get("parent")
    return branch[::-1]


def _created(node: dict[str, Any]) -> float:
    value = as_dict(node.get("message")).get("create_time")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return 0.0 if math.isnan(number) else number


def _to_message(
    node: dict[str, Any],
    conv_id: str,
    conv: dict[str, Any],
    line: int,
    source: str,
    result: Extracted,
    label: str,
) -> Message | None:
    message = node.get("message")
    if message is None:
        return None
    if not isinstance(message, dict):
        raise RecordError(f"'message' is {type_name(message)}, expected an object")
    where = f"{source}:{line}"
    content = message.get("content")
    if isinstance(content, str):
        result.add_problem(f"{label}: 'content' is a string, not an object; read as text", where)
        content = {"content_type": "text", "parts": [content]}
    elif content is None:
        content = {}
    elif not isinstance(content, dict):
        raise RecordError(f"'content' is {type_name(content)}, expected an object")
    content_type = as_str(content.get("content_type"))
    if content_type in _SKIPPED_CONTENT:
        return None
    texts, attachments, skipped = _render(content)
    if skipped:
        result.add_problem(f"{label}: {skipped} left out", where)
    text = "\n".join(t for t in texts if t.strip()).strip()
    if not text and not attachments:
        return None
    author = as_dict(message.get("author"))
    role = as_str(author.get("role")) or "unknown"
    created = message.get("create_time")
    timestamp = from_epoch(created)
    if timestamp is None and created is not None:
        result.add_problem(
            f"{label}: create_time {shown(created)} is not a time; kept without one", where
        )
    meta: dict[str, Any] = {"content_type": content_type}
    if as_str(conv.get("title")):
        meta["title"] = conv["title"]
    if as_str(author.get("name")):
        meta["author_name"] = author["name"]
    guid = as_str(message.get("id"))
    return Message(
        msg_id=stable_id(PLATFORM, conv_id, guid or as_str(node.get("id")) or f"line:{line}"),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=timestamp,
        sender=role,
        sender_id=as_str(as_dict(message.get("metadata")).get("model_slug")),
        is_me=role == "user",
        text=text,
        attachments=attachments,
        source_ref=SourceRef(path=source, guid=guid, line=line, line_end=line),
        source_meta=meta,
    )


def _render(content: dict[str, Any]) -> tuple[list[str], list[Attachment], str]:
    """Texts and attachments of a content object, and what was left out (for a problem)."""
    texts: list[str] = []
    attachments: list[Attachment] = []
    left_out: list[str] = []
    if isinstance(content.get("text"), str):
        texts.append(content["text"])
    parts = content.get("parts")
    if isinstance(parts, str):
        parts = [parts]
    elif parts is not None and not isinstance(parts, list):
        left_out.append(f"'parts' ({type_name(parts)})")
    for number, part in enumerate(as_list(parts)):
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            pointer = as_str(part.get("asset_pointer"))
            kind = (as_str(part.get("content_type")) or "file").removesuffix("_asset_pointer")
            attachments.append(Attachment(kind=kind, name=pointer))
        elif part is not None:
            left_out.append(f"part {number} ({type_name(part)})")
    return texts, attachments, ", ".join(left_out)
