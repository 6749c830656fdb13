"""Deterministic chunking: chat windows of turns with overlap, doc sections split at paragraphs.

Every chunk fits the embedder's maximum sequence length, so nothing is silently truncated.
Same input, same settings -> byte-identical chunks and ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from itertools import groupby
from typing import Protocol

from chatx.config import DEFAULTS
from chatx.ingest.common import Section, stable_id
from chatx.models import Chunk, ChunkMeta, Message

MAX_CHARS_PER_TOKEN = 12  # a chunk is never longer than this many characters per budget token
COUNT_BATCH = 1024  # texts tokenized together when counting


class TokenCounter(Protocol):
    """What chunking needs from the embedder's tokenizer."""

    max_content_tokens: int

    def count(self, texts: list[str]) -> list[int]:
        """Content tokens of each text."""
        ...

    def split(self, text: str, max_tokens: int) -> Iterable[str]:
        """Pieces of at most `max_tokens` tokens."""
        ...


@dataclass(frozen=True)
class ChunkSettings:
    """Chunking knobs; see docs/adr/0003-chunking.md for the measured defaults."""

    window_turns: int = DEFAULTS.index.window_turns
    overlap_turns: int = DEFAULTS.index.overlap_turns
    chat_window_tokens: int = DEFAULTS.index.chat_window_tokens
    doc_chunk_tokens: int = 254
    min_window_turns: int = DEFAULTS.index.min_window_turns


def content_hash(text: str) -> str:
    """SHA-256 of a chunk's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def turn_line(message: Message) -> str:
    """How one message reads inside a chat chunk."""
    return f"{message.sender or 'system'}: {message.text}"


def chunk_messages(
    messages: Sequence[Message], tokens: TokenCounter, settings: ChunkSettings
) -> list[Chunk]:
    """Windows of consecutive turns per conversation, `overlap_turns` shared between windows.
    A window closes at `chat_window_tokens`, or past it once it holds `min_window_turns` turns
    (the embedder's limit still holds)."""
    return list(iter_chat_chunks(messages, tokens, settings))


def iter_chat_chunks(
    messages: Iterable[Message], tokens: TokenCounter, settings: ChunkSettings
) -> Iterator[Chunk]:
    """`chunk_messages`, one chunk at a time (a caller may stop early)."""
    budget = min(settings.chat_window_tokens, tokens.max_content_tokens)
    # A window never spans two files of one conversation (two members of a zip, two files).
    for _, group in groupby(messages, key=_file_of_conversation):
        conv = list(group)
        counts = count_tokens([turn_line(m) for m in conv], tokens, tokens.max_content_tokens)
        for window, text in _windows(conv, counts, budget, settings, tokens):
            yield _chat_chunk(window, text)


def _file_of_conversation(message: Message) -> tuple[str, str, str | None]:
    ref = message.source_ref
    return message.conv_id, ref.path, ref.anchor


def count_tokens(texts: list[str], tokens: TokenCounter, budget: int) -> list[int]:
    """Content tokens of each text, in bounded batches.

    A text too long to fit `budget` at `MAX_CHARS_PER_TOKEN` is reported as `budget + 1`
    without being tokenized, since it must be split anyway.
    """
    limit = budget * MAX_CHARS_PER_TOKEN
    counts = [budget + 1 if len(text) > limit else 0 for text in texts]
    todo = [i for i, text in enumerate(texts) if len(text) <= limit]
    for first in range(0, len(todo), COUNT_BATCH):
        batch = todo[first : first + COUNT_BATCH]
        for index, count in zip(batch, tokens.count([texts[i] for i in batch]), strict=True):
            counts[index] = count
    return counts


def _windows(
    conv: list[Message],
    counts: list[int],
    budget: int,
    settings: ChunkSettings,
    tokens: TokenCounter,
) -> Iterator[tuple[list[Message], str]]:
    ceiling, least = tokens.max_content_tokens, settings.min_window_turns
    start = 0
    while start < len(conv):
        if counts[start] > budget:
            for piece in tokens.split(turn_line(conv[start]), tokens.max_content_tokens):
                yield [conv[start]], piece
            start += 1
            continue
        end, used = start, 0
        while (
            end < len(conv)
            and end - start < settings.window_turns
            and counts[end] <= budget
            and used + counts[end] <= (ceiling if end - start < least else budget)
        ):
            used += counts[end]
            end += 1
        window = conv[start:end]
        yield window, "\n".join(turn_line(m) for m in window)
        if end >= len(conv):
            return
        start = max(start + 1, end - settings.overlap_turns)


def _chat_chunk(window: list[Message], text: str) -> Chunk:
    first, last = window[0], window[-1]
    stamps = [m.timestamp for m in window if m.timestamp is not None]
    participants = sorted({m.sender for m in window if m.sender})
    # Turns in time order need not be in file order (Meta lists newest first): cover them all.
    starts = [m.source_ref.line or 1 for m in window]
    ends = [m.source_ref.line_end or m.source_ref.line or 1 for m in window]
    meta = ChunkMeta(
        source=first.source_ref.path,
        line_start=min(starts),
        line_end=max(max(ends), min(starts)),
        platform=first.platform,
        participants=participants,
        date_start=min(stamps).astimezone(UTC) if stamps else None,
        date_end=max(stamps).astimezone(UTC) if stamps else None,
        message_ids=[m.msg_id for m in window],
        anchor=first.source_ref.anchor,
    )
    digest = content_hash(text)
    return Chunk(
        chunk_id=stable_id("chat", first.conv_id, first.msg_id, last.msg_id, digest),
        conv_id=first.conv_id,
        kind="chat",
        text=text,
        meta=meta,
        content_hash=digest,
    )


def chunk_sections(
    sections: Sequence[Section], source: str, tokens: TokenCounter, settings: ChunkSettings
) -> list[Chunk]:
    """One chunk per section, or several when a section is over budget (cut at paragraphs)."""
    return list(iter_doc_chunks(sections, source, tokens, settings))


def iter_doc_chunks(
    sections: Sequence[Section],
    source: str,
    tokens: TokenCounter,
    settings: ChunkSettings,
    anchor: str | None = None,
) -> Iterator[Chunk]:
    """`chunk_sections`, one chunk at a time (a caller may stop early); `anchor` says what the
    sections' line numbers count (chatx.locator)."""
    budget = min(settings.doc_chunk_tokens, tokens.max_content_tokens)
    doc_id = stable_id("doc", source)
    for section in sections:
        for line_start, lines in _paragraph_groups(section, budget, tokens):
            text = "\n".join(lines).strip()
            fits = count_tokens([text], tokens, budget)[0] <= budget
            for piece in [text] if fits else tokens.split(text, budget):
                yield _doc_chunk(doc_id, source, section, line_start, lines, piece, anchor)


def _paragraph_groups(
    section: Section, budget: int, tokens: TokenCounter
) -> Iterator[tuple[int, list[str]]]:
    """Consecutive paragraphs packed up to `budget` tokens, with their first line number."""
    paragraphs: list[tuple[int, list[str]]] = []
    for offset, line in enumerate(section.lines):
        if not line.strip():
            continue
        if offset == 0 or not section.lines[offset - 1].strip():
            paragraphs.append((section.line_start + offset, []))
        paragraphs[-1][1].append(line)
    counts = count_tokens(["\n".join(lines) for _, lines in paragraphs], tokens, budget)
    group: list[str] = []
    group_start, used = 0, 0
    for (line_no, lines), count in zip(paragraphs, counts, strict=True):
        if group and used + count > budget:
            yield group_start, group
            group, used = [], 0
        if not group:
            group_start = line_no
        else:
            group.extend([""] * (line_no - group_start - len(group)))
        group.extend(lines)
        used += count
    if group:
        yield group_start, group


def _doc_chunk(
    doc_id: str,
    source: str,
    section: Section,
    line_start: int,
    lines: list[str],
    text: str,
    anchor: str | None,
) -> Chunk:
    digest = content_hash(text)
    meta = ChunkMeta(
        source=source,
        line_start=line_start,
        line_end=line_start + len(lines) - 1,
        heading_path=list(section.heading_path),
        anchor=anchor,
    )
    return Chunk(
        chunk_id=stable_id("doc", doc_id, line_start, digest),
        doc_id=doc_id,
        kind="doc",
        text=text,
        meta=meta,
        content_hash=digest,
    )
