"""The data model of DESIGN.md as pydantic v2 models; schemas/ is generated from these."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ChunkKind = Literal["chat", "doc", "memory"]
FileState = Literal["indexed", "stale", "failed", "skipped"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Model):
    """An RFC 7807 problem detail, with ChatX's machine-readable `code`."""

    type: str = Field(description="URI identifying the problem type.")
    title: str = Field(description="Short, human-readable summary of the problem type.")
    status: int = Field(description="HTTP-style status code for this occurrence.")
    detail: str = Field(description="Human-readable explanation of this occurrence.")
    instance: str | None = Field(default=None, description="What the problem is about (a path).")
    code: str = Field(description="ChatX problem code, e.g. PARSE_ERROR.")


class Attachment(_Model):
    """A non-text part of a message: media placeholder, image pointer, file."""

    kind: str = Field(description="image, video, audio, document, sticker, file, poll, ...")
    name: str | None = Field(default=None, description="File name or pointer, when known.")
    mime: str | None = None


class Reaction(_Model):
    """An emoji or tapback reaction to a message."""

    emoji: str
    sender: str | None = None


class SourceRef(_Model):
    """Where a message comes from in its source file."""

    path: str = Field(description="Workspace-relative path with forward slashes.")
    guid: str | None = Field(default=None, description="The record's own id in the source.")
    line: int | None = Field(default=None, description="1-based line where the record starts.")
    line_end: int | None = Field(default=None, description="1-based last line of the record.")
    anchor: str | None = Field(
        default=None,
        description="How `line` is read when it is no text line: '#message' (a database row "
        "id), '#page' (a PDF page), or '!/<member>' (lines of a file inside a zip).",
    )


class Message(_Model):
    """One canonical chat message, whatever the platform it was exported from."""

    msg_id: str = Field(description="Stable id derived from source identity, not run order.")
    conv_id: str
    platform: str
    timestamp: datetime | None = Field(
        default=None, description="ISO-8601 with offset; zone-less exports read in local time."
    )
    sender: str | None = Field(default=None, description="Display name; None for system lines.")
    sender_id: str | None = None
    is_me: bool = False
    text: str
    reply_to_msg_id: str | None = None
    reactions: list[Reaction] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    source_ref: SourceRef
    source_meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("text", "sender", "sender_id", mode="before")
    @classmethod
    def _repair(cls, value: Any) -> Any:
        return repair_text(value) if isinstance(value, str) else value

    @field_validator("timestamp")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return in_utc_range(value)


def in_utc_range(moment: datetime | None) -> datetime | None:
    """`moment`, or None when it cannot be expressed in UTC (year 9999 west of Greenwich):
    such a time is unknown."""
    if moment is not None and moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except (OverflowError, ValueError, OSError):
            return None
    return moment


SURROGATE = re.compile(r"[\ud800-\udfff]")  # a UTF-16 surrogate, paired or not


def repair_text(text: str) -> str:
    """`text` with lone surrogates (from JSON escapes like `\\ud800`) replaced by U+FFFD; a
    valid surrogate pair becomes its character."""
    if not SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class ChunkMeta(_Model):
    """Where a chunk comes from and what it covers."""

    source: str = Field(description="Workspace-relative path with forward slashes.")
    line_start: int
    line_end: int
    platform: str | None = None
    participants: list[str] = Field(default_factory=list)
    date_start: datetime | None = None
    date_end: datetime | None = None
    message_ids: list[str] = Field(default_factory=list)
    heading_path: list[str] = Field(default_factory=list)
    anchor: str | None = Field(
        default=None, description="The unit of line_start/line_end, as SourceRef.anchor."
    )


class Chunk(_Model):
    """The unit that is embedded and searched: a window of chat turns or a doc section."""

    chunk_id: str
    conv_id: str | None = None
    doc_id: str | None = None
    kind: ChunkKind
    text: str
    meta: ChunkMeta
    content_hash: str


class Citation(_Model):
    """A pointer from an answer back to the passage that supports it."""

    chunk_id: str
    source: str = Field(description="Workspace-relative path with forward slashes.")
    line_start: int = Field(description="1-based first line in the source file.")
    line_end: int = Field(description="1-based last line in the source file.")
    msg_ids: list[str] = Field(default_factory=list)
    score: float
    anchor: str | None = Field(
        default=None,
        description="What line_start/line_end count when not lines of the file: '#message' "
        "(database row ids), '#page' (PDF pages), '!/<member>' (lines of a zip member).",
    )
    locator: str = Field(
        default="",
        description="The citation as shown: 'notes.md:12-14', 'chat.db#message=120', "
        "'report.pdf#page=3', 'chat.zip!/_chat.txt:4-9'.",
    )


class QueryCitation(Citation):
    """A citation as `chatx query --json` prints it."""

    snippet: str
    kind: ChunkKind
    date_start: datetime | None = None
    date_end: datetime | None = None


class QueryResult(_Model):
    """Output contract of `chatx query --json`."""

    query: str
    took_ms: float
    citations: list[QueryCitation]


class IndexSummary(_Model):
    """Output contract of `chatx index --json`."""

    workspace: str
    files_indexed: int
    files_unchanged: int
    files_failed: int
    messages: int
    chunks: int
    seconds: float
    problems: list[Problem]
    repairs: list[str] = Field(
        default_factory=list,
        description="What the run put right that a killed run had left (indices, compaction).",
    )


class FileStatus(_Model):
    """One file the walker saw, and what became of it."""

    path: str
    format: str | None
    state: FileState
    messages: int = 0
    chunks: int = 0
    problem: Problem | None = None


class StatusTotals(_Model):
    """Totals over every file of a status report."""

    files: int
    indexed: int
    stale: int
    failed: int
    skipped: int
    messages: int
    chunks: int


class IndexLimits(_Model):
    """The per-file budgets an index run applies."""

    max_file_mb: float = Field(description="Files larger than this are skipped, not read.")
    max_file_chunks: int = Field(
        description="Cost budget: a file that would make more chunks is refused."
    )


class StatusReport(_Model):
    """Output contract of `chatx status --json`."""

    workspace: str
    files: list[FileStatus]
    totals: StatusTotals
    embedder: str | None = None
    limits: IndexLimits | None = None
    store: str | None = Field(
        default=None, description="The store in use: `lancedb (<folder>)` or `pgvector (...)`."
    )


class KindCoverage(_Model):
    """Coverage of one kind of sensitive span."""

    expected: int = Field(
        description="Labelled spans (labelled mode), or spans redacted plus residual (rescan)."
    )
    removed: int = Field(description="Of those, spans the redaction removed entirely.")
    coverage: float = Field(description="removed / expected (1.0 when nothing was expected).")


class RedactionReport(_Model):
    """What a redaction removed and what preflight's re-scan of its output still found.

    Values are never included: only kinds and counts.
    """

    schema_version: Literal[1] = 1
    source: str | None = Field(default=None, description="The input: a path, or '-' for stdin.")
    mode: Literal["labelled", "rescan"] = Field(
        description="labelled: coverage against the input's labels; rescan: against what "
        "redaction removed plus what the re-scan of its output still finds."
    )
    strict: bool
    threshold: float = Field(description="Coverage needed to pass (0.995, or 0.999 strict).")
    records: int = Field(description="Messages, documents or labelled records read.")
    characters: int
    redacted: dict[str, int] = Field(description="Spans replaced by a pseudonym, per kind.")
    residual: dict[str, int] = Field(description="Re-scan findings in the redacted text.")
    hard_fail: dict[str, int] = Field(
        description="Content that never leaves the machine (attachments, sensitivity labels)."
    )
    by_kind: dict[str, KindCoverage]
    coverage: float = Field(description="Share of sensitive spans removed, over all kinds.")
    over_redacted: int | None = Field(
        default=None, description="Labelled mode: replaced spans that no label covers."
    )
    name_model: str | None = Field(
        default=None, description="The entity model that found names nobody listed (None: off)."
    )
    unavailable: list[str] = Field(
        default_factory=list,
        description="Detectors that could not run, and why; preflight fails while any is listed.",
    )
    passed: bool
    took_ms: float


class Route(_Model):
    """Where a model-backed request went, and why."""

    backend: str = Field(description="ollama, llamacpp, anthropic, or extractive (no model).")
    model: str | None = Field(description="The model id; None for an extractive answer.")
    reason: str = Field(description="Why this backend, in words a person can read.")
    escalated: bool = Field(description="True when the request went to the cloud.")


class FileEdit(_Model):
    """A new file an action proposes (for `/tdd-loop`: the failing tests)."""

    path: str = Field(description="Workspace-relative path of the file to create.")
    text: str


class ActionResult(_Model):
    """Output contract of `chatx ask|summarize|reply|plan-slice|tdd-loop|security-review --json`."""

    action: str
    answer: str
    citations: list[QueryCitation]
    route: Route
    tokens_in: int
    tokens_out: int
    took_ms: float
    cache_hit: bool
    confidence: float | None = Field(
        default=None, description="The local answer's confidence, when a local model answered."
    )
    file: FileEdit | None = None


class LedgerEntry(_Model):
    """One model call in the token ledger."""

    at: float = Field(description="Unix time of the call.")
    action: str
    backend: str
    model: str
    reason: str
    escalated: bool
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cache_hit: bool
    outcome: str = Field(description="ok, or the error kind (timeout, rate-limited, ...).")


class LedgerGroup(_Model):
    """Ledger totals of one backend and model."""

    backend: str
    model: str
    calls: int
    cache_hits: int
    failures: int
    tokens_in: int
    tokens_out: int
    latency_p50_ms: float = Field(description="Median latency of calls the cache did not answer.")
    latency_p95_ms: float


class LedgerSummary(_Model):
    """Output contract of `chatx ledger --json`."""

    calls: int
    tokens_in: int
    tokens_out: int
    cache_hits: int
    escalations: int
    groups: list[LedgerGroup]
    reasons: dict[str, int] = Field(description="Calls per routing reason (figures removed).")
