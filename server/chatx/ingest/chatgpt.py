"""ChatGPT `conversations.json`: the branch that ends at `current_node` of each conversation."""

from __future__ import annotations

from typing import Any

from chatx.ingest.common import Extracted, from_epoch, stable_id
from chatx.ingest.jsonpos import PositionedJSON
from chatx.models import Attachment, Message, SourceRef
from chatx.problems import ProblemCode, make_problem

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
    """Parse every conversation; one without a usable tree becomes a problem, not a crash."""
    result = Extracted(format="chatgpt", kind="chat")
    for index, conv in enumerate(doc.value):
        where = f"{source}:{doc.line_of(conv)}"
        mapping = conv.get("mapping") if isinstance(conv, dict) else None
        if not isinstance(mapping, dict) or not mapping:
            result.problems.append(
                make_problem(
                    ProblemCode.PARSE_ERROR,
                    f"conversation {index} has no message tree ('mapping')",
                    where,
                )
            )
            continue
        conv_key = conv.get("conversation_id") or conv.get("id") or f"index:{index}"
        conv_id = stable_id(PLATFORM, conv_key)
        previous: str | None = None
        for node in _active_branch(mapping, conv.get("current_node")):
            message = _to_message(node, conv_id, conv, doc, source)
            if message is not None:
                message.reply_to_msg_id = previous
                previous = message.msg_id
                result.messages.append(message)
    return result


def _active_branch(mapping: dict[str, Any], current: object) -> list[dict[str, Any]]:
    """Nodes from the root down to `current_node` (or to the newest leaf when it is absent)."""
    if not isinstance(current, str) or current not in mapping:
        leaves = [
            node for node in mapping.values() if isinstance(node, dict) and not node.get("children")
        ]
        leaves.sort(key=lambda node: (node.get("message") or {}).get("create_time") or 0)
        current = leaves[-1].get("id") if leaves else None
    branch: list[dict[str, Any]] = []
    seen: set[str] = set()
    while isinstance(current, str) and current in mapping and current not in seen:
        seen.add(current)
        node = mapping[current]
        branch.append(node)
        current = node.get("parent")
    return branch[::-1]


def _to_message(
    node: dict[str, Any], conv_id: str, conv: dict[str, Any], doc: PositionedJSON, source: str
) -> Message | None:
    message = node.get("message")
    if not isinstance(message, dict):
        return None
    content = message.get("content") or {}
    content_type = content.get("content_type")
    if content_type in _SKIPPED_CONTENT:
        return None
    texts, attachments = _render(content)
    text = "\n".join(t for t in texts if t.strip()).strip()
    if not text and not attachments:
        return None
    author = message.get("author") or {}
    role = author.get("role") or "unknown"
    meta: dict[str, Any] = {"content_type": content_type}
    if conv.get("title"):
        meta["title"] = conv["title"]
    if author.get("name"):
        meta["author_name"] = author["name"]
    line = doc.line_of(node)
    return Message(
        msg_id=stable_id(PLATFORM, conv_id, message.get("id") or node.get("id")),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=from_epoch(message.get("create_time")),
        sender=role,
        sender_id=(message.get("metadata") or {}).get("model_slug"),
        is_me=role == "user",
        text=text,
        attachments=attachments,
        source_ref=SourceRef(path=source, guid=message.get("id"), line=line, line_end=line),
        source_meta=meta,
    )


def _render(content: dict[str, Any]) -> tuple[list[str], list[Attachment]]:
    texts: list[str] = []
    attachments: list[Attachment] = []
    if isinstance(content.get("text"), str):
        texts.append(content["text"])
    for part in content.get("parts") or []:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            pointer = part.get("asset_pointer")
            kind = str(part.get("content_type") or "file").removesuffix("_asset_pointer")
            attachments.append(
                Attachment(kind=kind, name=pointer if isinstance(pointer, str) else None)
            )
    return texts, attachments
