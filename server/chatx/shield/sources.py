"""The shield applied to whole inputs: a chat export (redacted message by message) or text.

Who counts as a person comes from the input's own senders, the workspace index's participants
and the names in the settings.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from chatx.chunking import turn_line
from chatx.config import Settings
from chatx.index.indexer import state_dir
from chatx.index.rows import ChunkRows
from chatx.index.walker import is_secret_name
from chatx.ingest import extract_text
from chatx.models import Message, RedactionReport
from chatx.problems import ChatxError, ProblemCode
from chatx.shield.labelled import LabelledRecord, load_labelled
from chatx.shield.names import People
from chatx.shield.service import Shield, people_from


@dataclass
class Input:
    """An input to redact: its text and where it came from (`-` for stdin)."""

    text: str
    source: str
    messages: list[Message] = field(default_factory=list)

    @property
    def is_chat(self) -> bool:
        """True when the text parsed as a chat export."""
        return bool(self.messages)


@dataclass
class SourceRedaction:
    """The redacted form of an input (JSONL lines for a chat, else text) and its report."""

    output: list[str]
    report: RedactionReport
    chat: bool


def read_input(name: str, zone: tzinfo | None = None) -> Input:
    """Read a file (or stdin for `-`); a chat export is parsed into its messages.

    `.env*` and other credential files are refused: they are never read.
    """
    if name == "-":
        text, source = sys.stdin.read(), "-"
    else:
        path = Path(name)
        if is_secret_name(path.name):
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT, f"{path.name} is a secrets file and is never read", name
            )
        try:
            text, source = path.read_bytes().decode("utf-8", errors="replace"), name
        except OSError as exc:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT, f"cannot read file: {exc.strerror}", name
            ) from exc
    messages: list[Message] = []
    if text.strip():
        try:
            extracted = extract_text(text, source, zone, suffix=Path(source).suffix.lower())
        except ChatxError:
            extracted = None  # not a format ChatX parses: it is redacted as plain text
        if extracted is not None and extracted.kind == "chat":
            messages = extracted.messages
    return Input(text, source, messages)


def workspace_people(
    workspace: Path | None, settings: Settings, messages: Sequence[Message] = ()
) -> People:
    """Senders of `messages`, participants the workspace index knows, configured names."""
    participants = {m.sender for m in messages if m.sender and not m.is_me}
    me = {m.sender for m in messages if m.sender and m.is_me}
    if workspace is not None:
        rows = ChunkRows(state_dir(workspace) / "chunks.sqlite")
        try:
            participants.update(rows.participants())
        finally:
            rows.close()
    return people_from(participants, settings.shield_names, [*settings.shield_me, *me])


def local_shield(people: People, settings: Settings) -> Shield:
    """This machine's shield for `people`, as the settings configure it: phone regions led by
    the user's locale, and the name model."""
    return Shield.local(
        people,
        locale_regions(settings.shield_locale, settings.shield_regions),
        names=settings.shield_name_model or None,
        entities=settings.shield_entities,
    )


def locale_regions(locale: str | None, regions: Sequence[str]) -> list[str]:
    """`regions` with the locale's region first (`de_DE.UTF-8` -> DE)."""
    locale = locale or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    match = re.match(r"[a-z]{2,3}[_-]([A-Z]{2})\b", locale)
    first = [match.group(1)] if match else []
    return list(dict.fromkeys([*first, *(r.upper() for r in regions)]))


def redact_input(shield: Shield, source: Input, *, strict: bool = False) -> SourceRedaction:
    """Redact an input and preflight the result."""
    if source.is_chat:
        lines = [turn_line(m) for m in source.messages]
        named = sum(1 for m in source.messages for a in m.attachments if a.name)
        _, report = shield.preflight(lines, strict=strict, source=source.source, attachments=named)
        output = [shield.redact_message(m).model_dump_json() for m in source.messages]
        return SourceRedaction(output, report, chat=True)
    texts, report = shield.preflight([source.text], strict=strict, source=source.source)
    return SourceRedaction(texts, report, chat=False)


def labelled_records(source: Input) -> list[LabelledRecord]:
    """The input read as a labelled JSONL fixture."""
    return load_labelled(source.text, source.source)
