"""Claude Code session logs (JSONL, and the `{"loglines": [...]}` web/teleport form)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chatx.ingest.common import Extracted, from_iso, stable_id
from chatx.models import Attachment, Message, SourceRef
from chatx.problems import ProblemCode, make_problem

PLATFORM = "claude-code"
MESSAGE_TYPES = {"user", "assistant"}
METADATA_TYPES = {
    "summary",
    "progress",
    "file-history-snapshot",
    "queue-operation",
    "system",
    "custom-title",
    "attachment",
}


def looks_like_claude_code(first_record: object) -> bool:
    """True when a JSONL file's first record is a Claude Code session line."""
    if not isinstance(first_record, dict):
        return False
    kind = first_record.get("type")
    return kind in MESSAGE_TYPES | METADATA_TYPES and (
        "sessionId" in first_record
        or "uuid" in first_record
        or "leafUuid" in first_record
        or "messageId" in first_record
    )


def parse_jsonl(lines: list[str], source: str) -> Extracted:
    """Parse a session JSONL file; malformed lines become problems, the rest is kept."""
    result = Extracted(format="claude-code", kind="chat")
    records: list[tuple[int, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            result.problems.append(
                make_problem(
                    ProblemCode.PARSE_ERROR,
                    f"line {number}: invalid JSON ({exc.msg})",
                    f"{source}:{number}",
                )
            )
    _parse_records(records, source, result)
    return result


def parse_loglines(records: Iterable[tuple[int, Any]], source: str) -> Extracted:
    """Parse the records of a `{"loglines": [...]}` session document."""
    result = Extracted(format="claude-code", kind="chat")
    _parse_records(list(records), source, result)
    return result


def _parse_records(records: list[tuple[int, Any]], source: str, result: Extracted) -> None:
    parents = {
        rec["uuid"]: rec.get("parentUuid") or rec.get("logicalParentUuid")
        for _, rec in records
        if isinstance(rec, dict) and isinstance(rec.get("uuid"), str)
    }
    msg_ids: dict[str, str] = {}
    segment = 0
    metadata_lines = 0
    for number, record in records:
        problem = _record_problem(record)
        if problem:
            result.problems.append(
                make_problem(
                    ProblemCode.PARSE_ERROR, f"line {number}: {problem}", f"{source}:{number}"
                )
            )
            continue
        if record.get("type") == "system" and record.get("subtype") == "compact_boundary":
            segment += 1
        if record["type"] not in MESSAGE_TYPES or record.get("isMeta"):
            metadata_lines += 1
            continue
        message = _to_message(record, number, source, segment)
        if message is None:
            metadata_lines += 1
            continue
        if isinstance(record.get("uuid"), str):
            msg_ids[record["uuid"]] = message.msg_id
        message.reply_to_msg_id = _nearest_message(record.get("parentUuid"), parents, msg_ids)
        result.messages.append(message)
    if result.messages:
        result.messages[0].source_meta["metadata_lines"] = metadata_lines


def _record_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    kind = record.get("type")
    if not isinstance(kind, str):
        return "record has no 'type'"
    if kind in MESSAGE_TYPES and not isinstance(record.get("message"), dict):
        return f"'{kind}' record has no message object"
    return None


def _nearest_message(
    parent: object, parents: dict[str, object], msg_ids: dict[str, str]
) -> str | None:
    """Walk up through progress/system lines to the closest ancestor that is a message."""
    hops = 0
    while isinstance(parent, str) and hops < 10_000:
        if parent in msg_ids:
            return msg_ids[parent]
        parent = parents.get(parent)
        hops += 1
    return None


def _to_message(record: dict[str, Any], number: int, source: str, segment: int) -> Message | None:
    body = record["message"]
    texts, attachments, block_types = render_content(body.get("content"))
    text = "\n".join(t for t in texts if t.strip()).strip()
    if not text and not attachments:
        return None
    role = body.get("role") or record["type"]
    tool_only = role == "user" and block_types and block_types <= {"tool_result"}
    session = record.get("sessionId") or source
    conv_id = stable_id(PLATFORM, session, record.get("agentId") or "")
    uuid = record.get("uuid")
    meta: dict[str, Any] = {
        key: record[key]
        for key in ("cwd", "gitBranch", "version", "agentId", "slug")
        if record.get(key) is not None
    }
    if record.get("isSidechain"):
        meta["sidechain"] = True
    if record.get("isCompactSummary"):
        meta["compact_summary"] = True
    if segment:
        meta["compaction_segment"] = segment
    if record.get("timestamp") is not None:
        meta["timestamp_raw"] = record["timestamp"]
    return Message(
        msg_id=stable_id(PLATFORM, conv_id, uuid or f"line:{number}"),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=from_iso(record.get("timestamp")),
        sender="tool" if tool_only else role,
        sender_id=body.get("model") if role == "assistant" else None,
        is_me=role == "user" and not tool_only,
        text=text,
        attachments=attachments,
        source_ref=SourceRef(path=source, guid=uuid, line=number, line_end=number),
        source_meta=meta,
    )


def render_content(content: object) -> tuple[list[str], list[Attachment], set[str]]:
    """Text, attachments and block types of an Anthropic-style content value.

    Text, tool_use input and tool_result text are content; thinking is not imported.
    """
    if isinstance(content, str):
        return [content], [], {"text"}
    texts: list[str] = []
    attachments: list[Attachment] = []
    types: set[str] = set()
    for block in content if isinstance(content, list) else []:
        if isinstance(block, str):
            texts.append(block)
            types.add("text")
            continue
        if not isinstance(block, dict):
            continue
        kind = str(block.get("type"))
        types.add(kind)
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "tool_use":
            args = json.dumps(block.get("input"), ensure_ascii=False, sort_keys=True)
            texts.append(f"[tool_use {block.get('name')}] {args}")
        elif kind == "tool_result":
            inner, _, _ = render_content(block.get("content"))
            label = "[tool_result error]" if block.get("is_error") else "[tool_result]"
            texts.append(f"{label} " + "\n".join(inner))
        elif kind in {"image", "document"}:
            attachments.append(Attachment(kind=kind, mime=_media_type(block)))
    return texts, attachments, types


def _media_type(block: dict[str, Any]) -> str | None:
    source = block.get("source")
    return source.get("media_type") if isinstance(source, dict) else None
