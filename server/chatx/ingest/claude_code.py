"""Claude Code session logs (JSONL, and the `{"loglines": [...]}` web/teleport form)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chatx.ingest.common import Extracted, as_str, from_iso, shown, stable_id, type_name
from chatx.ingest.jsonpos import loads
from chatx.models import Attachment, Message, Problem, SourceRef

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
    return (
        isinstance(kind, str)
        and kind in MESSAGE_TYPES | METADATA_TYPES
        and (
            "sessionId" in first_record
            or "uuid" in first_record
            or "leafUuid" in first_record
            or "messageId" in first_record
        )
    )


def parse_jsonl(lines: list[str], source: str) -> Extracted:
    """Parse a session JSONL file; a line that cannot be read becomes a problem with its
    line number, and the rest is kept."""
    result = Extracted(format="claude-code", kind="chat")
    records: list[tuple[int, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append((number, loads(line)))
        except json.JSONDecodeError as exc:
            records.append((number, _InvalidLine(exc.msg)))
    _parse_records(records, source, result)
    return result


def parse_loglines(
    records: Iterable[tuple[int, Any]], source: str, problems: Iterable[Problem] = ()
) -> Extracted:
    """Parse the records of a `{"loglines": [...]}` session document (`problems`: those
    found while loading it)."""
    result = Extracted(format="claude-code", kind="chat")
    result.keep(*problems)
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
        where = f"{source}:{number}"
        problem = _record_problem(record)
        if problem:
            result.add_problem(f"line {number}: {problem}", where)
            continue
        if record.get("type") == "system" and record.get("subtype") == "compact_boundary":
            segment += 1
        if record["type"] not in MESSAGE_TYPES or record.get("isMeta"):
            metadata_lines += 1
            continue
        message = result.guard(
            where, f"line {number}", _to_message, record, number, source, segment
        )
        if message is None:
            metadata_lines += 1
            continue
        stamp = record.get("timestamp")
        if message.timestamp is None and stamp is not None:
            result.add_problem(
                f"line {number}: timestamp {shown(stamp)} is not a time; kept without one", where
            )
        if isinstance(record.get("uuid"), str):
            msg_ids[record["uuid"]] = message.msg_id
        message.reply_to_msg_id = _nearest_message(record.get("parentUuid"), parents, msg_ids)
        result.messages.append(message)
    if result.messages:
        result.messages[0].source_meta["metadata_lines"] = metadata_lines


@dataclass(frozen=True)
class _InvalidLine:
    """A JSONL line that is not JSON, kept in place so problems come out in line order."""

    reason: str


def _record_problem(record: Any) -> str | None:
    if isinstance(record, _InvalidLine):
        return f"invalid JSON ({record.reason})"
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type_name(record)}"
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
    role = as_str(body.get("role")) or record["type"]
    tool_only = role == "user" and block_types and block_types <= {"tool_result"}
    session = as_str(record.get("sessionId")) or source
    conv_id = stable_id(PLATFORM, session, as_str(record.get("agentId")) or "")
    uuid = as_str(record.get("uuid"))
    meta: dict[str, Any] = {
        key: record[key]
        for key in ("cwd", "gitBranch", "version", "agentId", "slug")
        if isinstance(record.get(key), str)
    }
    if record.get("isSidechain"):
        meta["sidechain"] = True
    if record.get("isCompactSummary"):
        meta["compact_summary"] = True
    if segment:
        meta["compaction_segment"] = segment
    stamp = record.get("timestamp")
    if isinstance(stamp, str) or (
        isinstance(stamp, int | float) and not isinstance(stamp, bool) and math.isfinite(stamp)
    ):
        meta["timestamp_raw"] = stamp
    return Message(
        msg_id=stable_id(PLATFORM, conv_id, uuid or f"line:{number}"),
        conv_id=conv_id,
        platform=PLATFORM,
        timestamp=from_iso(stamp),
        sender="tool" if tool_only else role,
        sender_id=as_str(body.get("model")) if role == "assistant" else None,
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
            texts.append(as_str(block.get("text")) or "")
        elif kind == "tool_use":
            args = json.dumps(block.get("input"), ensure_ascii=False, sort_keys=True)
            texts.append(f"[tool_use {as_str(block.get('name'))}] {args}")
        elif kind == "tool_result":
            inner, _, _ = render_content(block.get("content"))
            label = "[tool_result error]" if block.get("is_error") else "[tool_result]"
            texts.append(f"{label} " + "\n".join(inner))
        elif kind in {"image", "document"}:
            attachments.append(Attachment(kind=kind, mime=_media_type(block)))
    return texts, attachments, types


def _media_type(block: dict[str, Any]) -> str | None:
    source = block.get("source")
    return as_str(source.get("media_type")) if isinstance(source, dict) else None
