"""Exports that are not one text file: an iMessage database, a PDF, a zip, or a folder holding
one export. Each is recognised from its first bytes (or, for a folder, its layout) and read by
its own reader; zips and folders hand each member to the text parsers and merge what they make.
"""

from __future__ import annotations

import functools
import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import tzinfo
from pathlib import Path, PurePosixPath

from chatx import locator
from chatx.formats import HEAD_BYTES, binary_kind
from chatx.ingest import imessage, pdf, slack
from chatx.ingest.archive import Members, folder_members, open_zip
from chatx.ingest.common import Extracted, read_source
from chatx.ingest.jsonpos import PositionedJSON
from chatx.models import Message, Problem, SourceRef
from chatx.problems import ChatxError, ProblemCode

ParseBytes = Callable[[bytes, str, tzinfo | None], Extracted]

SLACK_METADATA = {
    "users.json",
    "channels.json",
    "groups.json",
    "dms.json",
    "mpims.json",
    "integration_logs.json",
    "canvases.json",
    "org_users.json",
}
# Media and other binaries an export carries beside its text: references, never read.
_MEDIA = {
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".bmp", ".mp4", ".mov", ".3gp",
    ".webm", ".opus", ".ogg", ".mp3", ".m4a", ".aac", ".wav", ".vcf", ".pdf", ".zip",
    ".db", ".sqlite", ".docx", ".xlsx", ".pptx", ".tgs", ".css", ".js", ".ico", ".svg",
}  # fmt: skip


def sniff(path: Path, data: bytes | None) -> str | None:
    """`sqlite`, `pdf` or `zip` from a file's first bytes, else None (text, or unreadable)."""
    if data is None:
        try:
            with path.open("rb") as handle:
                data = handle.read(HEAD_BYTES)
        except OSError:
            return None
    return binary_kind(data)


def is_slack_metadata(name: str) -> bool:
    """True for the root files of a Slack export (users, channels, ...)."""
    return PurePosixPath(name).name in SLACK_METADATA


def extract_binary(
    kind: str,
    path: Path,
    source: str,
    zone: tzinfo | None,
    data: bytes | None,
    parse: ParseBytes,
    stream: bool = False,
) -> Extracted:
    """Read a database, PDF or zip (`kind` from `sniff`); with `stream`, a database's messages
    are left to `Extracted.iter_messages`."""
    if kind == "sqlite":
        return _sqlite(path, source, stream)
    if kind == "pdf":
        return pdf.parse_pdf(data if data is not None else read_source(path, source), source)
    archive, members, unsafe = open_zip(path, source)
    with archive:
        result = extract_members(members, source, zone, parse, inside_zip=True)
    for name, reason in unsafe:
        result.add_problem(
            f"member not read: {reason} (zip-slip)",
            f"{source}!/{name}",
            ProblemCode.INVALID_INPUT,
        )
    return result


def extract_folder(folder: Path, source: str, zone: tzinfo | None, parse: ParseBytes) -> Extracted:
    """Every conversation of the export in `folder`: the sms.db of an iPhone backup, or the
    chat files below it (a Slack export with its users, a Telegram or Meta download)."""
    sms = imessage.backup_sms_db(folder)
    if sms is not None:
        return imessage.parse_imessage(sms, f"{source}/{sms.relative_to(folder).as_posix()}")
    return extract_members(folder_members(folder, source), source, zone, parse, inside_zip=False)


def _sqlite(path: Path, source: str, stream: bool) -> Extracted:
    """An iMessage database; any other SQLite file is skipped, a damaged one is a problem."""
    if imessage.looks_like_imessage(path):
        if not stream:
            return imessage.parse_imessage(path, source)
        result = Extracted(format=imessage.PLATFORM, kind="chat")
        result.stream = imessage.iter_imessage(path, source, result)
        return result
    try:
        with closing(imessage.open_readonly(path)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as exc:
        raise ChatxError.of(
            ProblemCode.PARSE_ERROR, f"corrupt or unreadable SQLite database: {exc}", source
        ) from exc
    shown = ", ".join(sorted(tables)[:5]) or "none"
    raise ChatxError.of(
        ProblemCode.UNSUPPORTED_FORMAT,
        f"a SQLite database that is not an iMessage chat.db (tables: {shown})",
        source,
    )


def extract_members(
    members: Members, source: str, zone: tzinfo | None, parse: ParseBytes, inside_zip: bool
) -> Extracted:
    """Parse every chat file among `members` and merge them, each conversation in time order.

    Messages cite the container (`chat.zip!/_chat.txt:12`) or, for a folder, the file below
    it. A member that is no chat export is left out; one that fails is a problem and the rest
    still count.
    """
    result = Extracted(format="zip" if inside_zip else "folder", kind="chat")
    names = members.names()
    if slack.looks_like_slack_root(names):
        parts = _slack_members(members, source, inside_zip, result)
    else:
        parts = _chat_members(members, source, zone, parse, inside_zip, result)
    merged = _merge(parts)
    if not merged and result.problems:  # its chats are there, but broken: say what broke
        raise ChatxError(result.problems[0])
    if not merged:
        raise ChatxError.of(
            ProblemCode.UNSUPPORTED_FORMAT,
            f"no chat export inside ({len(names)} files, none a known chat format)",
            source,
        )
    result.messages = merged
    platforms = Counter(m.platform for m in merged)
    result.format = platforms.most_common(1)[0][0]
    return result


def _member_source(source: str, name: str, inside_zip: bool) -> str:
    return f"{source}!/{name}" if inside_zip else f"{source}/{name}"


def _chat_members(
    members: Members,
    source: str,
    zone: tzinfo | None,
    parse: ParseBytes,
    inside_zip: bool,
    result: Extracted,
) -> list[list[Message]]:
    parts: list[list[Message]] = []
    for member in members.members:
        where = _member_source(source, member.name, inside_zip)
        if PurePosixPath(member.name).suffix.lower() in _MEDIA:
            continue
        try:
            part = parse(members.read_member(member), where, zone)
        except ChatxError as exc:
            if exc.problem.code != ProblemCode.UNSUPPORTED_FORMAT.value:
                result.keep(exc.problem)
            continue
        result.keep(*part.problems)
        if part.kind == "chat" and part.messages:
            parts.append(_relocated(part.messages, source, member.name, inside_zip))
    return parts


def _slack_members(
    members: Members, source: str, inside_zip: bool, result: Extracted
) -> list[list[Message]]:
    context, problems = slack.load_context(members.read)
    result.keep(*problems)
    parts: list[list[Message]] = []
    for member in members.members:
        if not slack.is_slack_day_name(member.name):
            continue
        where = _member_source(source, member.name, inside_zip)
        conversation = PurePosixPath(member.name).parent.name
        try:
            text = members.read_member(member).decode("utf-8", "replace")
            doc = PositionedJSON(text, where, salvage=True)
        except ChatxError as exc:
            result.keep(exc.problem)
            continue
        except (ValueError, RecursionError) as exc:
            result.add_problem(f"invalid JSON: {exc}", where)
            continue
        part = slack.parse_slack_day(doc, where, conversation, context)
        result.keep(*part.problems)
        parts.append(_relocated(part.messages, source, member.name, inside_zip))
    return parts


def _relocated(
    messages: list[Message], source: str, member: str, inside_zip: bool
) -> list[Message]:
    """The messages of one member, citing the zip and the member (or the folder's file)."""
    for message in messages:
        ref = message.source_ref
        path, anchor = f"{source}/{member}", ref.anchor
        if inside_zip:
            path, anchor = source, locator.member_anchor(member)
        message.source_ref = SourceRef(
            path=path, guid=ref.guid, line=ref.line, line_end=ref.line_end, anchor=anchor
        )
    return messages


def _merge(parts: list[list[Message]]) -> list[Message]:
    """Each conversation's messages together, in time order where every one has a time (the
    parts of a Meta thread come newest file first), else in file order."""
    conversations: dict[str, list[Message]] = {}
    for part in parts:
        for message in part:
            conversations.setdefault(message.conv_id, []).append(message)
    merged: list[Message] = []
    for messages in conversations.values():
        if all(m.timestamp is not None for m in messages):
            messages.sort(key=lambda m: m.timestamp)  # type: ignore[arg-type,return-value]
        merged.extend(messages)
    return merged


def slack_context_near(path: Path | None) -> tuple[slack.SlackContext, list[Problem]]:
    """The users and channels of the Slack export a day file (`<root>/<channel>/<day>.json`)
    belongs to; empty when its root has no `users.json`."""
    root = path.parent.parent if path is not None else None
    users = root / "users.json" if root is not None else None
    try:
        stamp = users.stat().st_mtime_ns if users is not None else 0
    except OSError:
        stamp = 0
    if root is None or not stamp:
        return slack.load_context(lambda name: None)[0], []
    return _slack_context(root, stamp)


@functools.lru_cache(maxsize=8)
def _slack_context(root: Path, stamp: int) -> tuple[slack.SlackContext, list[Problem]]:
    del stamp  # part of the cache key: a changed users.json is read again

    def read(name: str) -> bytes | None:
        try:
            return (root / name).read_bytes()
        except OSError:
            return None

    return slack.load_context(read)
