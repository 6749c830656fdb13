"""What the CLI reads and redacts: a file or stdin, a chat export (redacted message by message)
or text.

Who counts as a person comes from the input's own senders (`Input.senders`), the workspace
index's participants and the names in the settings (`Shield.from_settings`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from chatx.chunking import turn_line
from chatx.index.walker import is_secret_name
from chatx.ingest import extract_text
from chatx.models import Message, RedactionReport
from chatx.problems import ChatxError, ProblemCode
from chatx.shield import Shield
from chatx.shield.labelled import LabelledRecord, load_labelled


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

    def senders(self, *, me: bool = False) -> set[str]:
        """Who sent the messages: the others, or (`me`) the user."""
        return {m.sender for m in self.messages if m.sender and m.is_me == me}


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
