"""Chunking: deterministic, overlapping chat windows, nothing over the token limit."""

from __future__ import annotations

import itertools
from datetime import UTC
from pathlib import Path

from chatx.chunking import ChunkSettings, chunk_messages, chunk_sections, turn_line
from chatx.ingest import extract, extract_text


def chat_text(turns: int) -> str:
    return "".join(
        f"[01.02.24, 10:{i // 60:02d}:{i % 60:02d}] {'Ann' if i % 2 else 'Bob'}: "
        f"message number {i} about the release plan\n"
        for i in range(turns)
    )


def test_windows_overlap_and_respect_the_budget(tokenizer) -> None:  # type: ignore[no-untyped-def]
    messages = extract_text(chat_text(100), "c.txt", UTC).messages
    settings = ChunkSettings(window_turns=40, overlap_turns=2, chat_window_tokens=128)
    chunks = chunk_messages(messages, tokenizer, settings)
    counts = tokenizer.count([c.text for c in chunks])
    assert max(counts) <= 128
    for before, after in itertools.pairwise(chunks):
        assert before.meta.message_ids[-2:] == after.meta.message_ids[:2]
    covered = {mid for c in chunks for mid in c.meta.message_ids}
    assert covered == {m.msg_id for m in messages}
    assert chunks[0].meta.line_start == 1 and chunks[-1].meta.line_end == 100
    assert chunks[0].meta.participants == ["Ann", "Bob"]
    assert chunks[0].meta.date_start.isoformat() == "2024-02-01T10:00:00+00:00"


def test_window_turn_limit(tokenizer) -> None:  # type: ignore[no-untyped-def]
    messages = extract_text(chat_text(30), "c.txt", UTC).messages
    chunks = chunk_messages(
        messages, tokenizer, ChunkSettings(window_turns=5, overlap_turns=1, chat_window_tokens=254)
    )
    assert [len(c.meta.message_ids) for c in chunks] == [5, 5, 5, 5, 5, 5, 5, 2]


def test_long_message_split_not_truncated(tokenizer) -> None:  # type: ignore[no-untyped-def]
    words = " ".join(f"word{i}" for i in range(900))
    messages = extract_text(f"[01.02.24, 10:00:00] Ann: {words}\n", "c.txt", UTC).messages
    chunks = chunk_messages(messages, tokenizer, ChunkSettings())
    assert len(chunks) > 1
    assert max(tokenizer.count([c.text for c in chunks])) <= tokenizer.max_content_tokens
    joined = " ".join(c.text for c in chunks)
    assert "word0 " in joined and "word899" in joined
    assert all(c.meta.message_ids == [messages[0].msg_id] for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_chunking_is_byte_identical_across_runs(corpus: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    path = corpus / "whatsapp" / "pustur_ios_group_2019_crlf.txt"
    runs = [
        chunk_messages(extract(path, "w.txt", UTC).messages, tokenizer, ChunkSettings())
        for _ in range(2)
    ]
    assert [c.model_dump_json() for c in runs[0]] == [c.model_dump_json() for c in runs[1]]
    assert len(runs[0]) >= 4


def test_doc_sections_split_at_paragraphs(tokenizer) -> None:  # type: ignore[no-untyped-def]
    paragraph = " ".join(["retrieval"] * 100)
    text = "# Big\n\n" + "\n\n".join([paragraph] * 5) + "\n"
    sections = extract_text(text, "big.md", suffix=".md").sections
    chunks = chunk_sections(sections, "big.md", tokenizer, ChunkSettings())
    assert len(chunks) >= 3
    assert max(tokenizer.count([c.text for c in chunks])) <= 254
    assert chunks[0].meta.line_start == 1 and chunks[-1].meta.line_end == 11
    assert all(c.meta.heading_path == ["Big"] for c in chunks)


def test_turn_line_names_system_messages() -> None:
    message = extract_text("[01.02.24, 10:00:00] Ann created group “X”\n", "c.txt", UTC).messages[0]
    assert turn_line(message) == "system: Ann created group “X”"


def test_long_turns_keep_their_reply_past_the_budget(tokenizer) -> None:  # type: ignore[no-untyped-def]
    turn = " ".join(["the migration plan needs a rollback step"] * 7)  # ~60 tokens
    text = "".join(
        f"[01.02.24, 10:00:{i:02d}] {'Ann' if i % 2 else 'Bob'}: {turn} {i}\n" for i in range(8)
    )
    messages = extract_text(text, "c.txt", UTC).messages
    settings = ChunkSettings(overlap_turns=2, chat_window_tokens=128, min_window_turns=3)
    chunks = chunk_messages(messages, tokenizer, settings)
    counts = tokenizer.count([c.text for c in chunks])
    assert [len(c.meta.message_ids) for c in chunks] == [3] * 6
    assert all(128 < n <= tokenizer.max_content_tokens for n in counts)
    budget_only = ChunkSettings(overlap_turns=2, chat_window_tokens=128, min_window_turns=1)
    pairs = chunk_messages(messages, tokenizer, budget_only)
    assert {len(c.meta.message_ids) for c in pairs} == {2}
