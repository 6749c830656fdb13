"""The pure services under the LSP features: phrases, paragraphs, slash commands, vocabulary,
rendering, settings from the editor."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from chatx.config import Settings, resolve_settings
from chatx.daemon import Daemon
from chatx.daemon.vocab import Vocabulary
from chatx.daemon.watch import debounced_changes, owner
from chatx.editor.render import Found, cite_block, hover_markdown, related_block
from chatx.editor.text import (
    comment_prefix,
    paragraph_at,
    phrase_at,
    slash_command_at,
    slash_trigger,
)
from chatx.index.rows import ChunkRows
from chatx.index.store import Hit
from chatx.index.terms import terms_of
from chatx.models import Chunk, ChunkMeta


def test_phrase_under_the_cursor() -> None:
    lines = ["run `helm rollback orders` now\n", "customer_id.created_at is slow\n"]
    assert phrase_at(lines, 0, 10).text == "helm rollback orders"  # type: ignore[union-attr]
    assert phrase_at(lines, 0, 1).text == "run"  # type: ignore[union-attr]
    assert phrase_at(lines, 1, 3).text == "customer_id.created_at"  # type: ignore[union-attr]
    assert phrase_at(lines, 5, 0) is None


def test_paragraphs_and_slash_commands() -> None:
    lines = ["a\n", "b\n", "\n", "c\n"]
    assert paragraph_at(lines, 1) == (0, 1)
    assert paragraph_at(lines, 3) == (3, 3)
    assert slash_command_at("  # /related deploy rollback") == ("related", "deploy rollback")
    assert slash_command_at("// /cite") == ("cite", "")
    assert slash_command_at("a/related") is None
    assert slash_trigger("/") and slash_trigger("  # /re") and slash_trigger("// /")
    assert not slash_trigger("x = a /") and not slash_trigger("https://")
    assert comment_prefix("python") == "#" and comment_prefix("markdown") is None


def chunk(source: str, text: str, people: list[str]) -> Chunk:
    meta = ChunkMeta(source=source, line_start=1, line_end=1, participants=people)
    return Chunk(
        chunk_id=f"{source}:{text}",
        doc_id=source,
        kind="chat",
        text=text,
        meta=meta,
        content_hash="h",
    )


def test_vocabulary_follows_the_index_rows(tmp_path: Path) -> None:
    rows = ChunkRows(tmp_path / "chunks.sqlite")
    rows.replace(
        ["a.txt"], [chunk("a.txt", "Use customer_id for the readiness probe", ["Priya Shah"])]
    )
    rows.replace(["b.txt"], [chunk("b.txt", "readiness checks, the readiness probe", ["Marco"])])
    vocab = Vocabulary()
    vocab.load(rows.vocabulary())
    assert [t.text for t in vocab.complete("pri", 5)] == ["Priya", "Priya Shah"]
    assert [(t.text, t.kind) for t in vocab.complete("cust", 5)] == [("customer_id", "identifier")]
    assert [(t.text, t.count) for t in vocab.complete("READ", 5)] == [("readiness", 3)]
    assert vocab.complete("checks", 5) == []  # a plain word seen once is not a term
    assert vocab.participant("priya's") == "Priya Shah"
    rows.replace(["a.txt"], [chunk("a.txt", "nothing much", [])])  # re-indexed
    rows.delete(["b.txt"])
    vocab.load(rows.vocabulary())
    assert vocab.complete("pri", 5) == [] and vocab.complete("cust", 5) == []
    assert vocab.complete("read", 5) == [] and vocab.participant("Marco") is None
    assert rows.vocabulary() == [("nothing", "token", 1)]  # "much" is too short to count
    assert terms_of("a.b.c x_y v2 ok readiness the readiness") == {
        "a.b.c": 1,
        "x_y": 1,
        "readiness": 2,
    }


def found(source: str, line: int, text: str, **extra: object) -> Found:
    hit = Hit(
        chunk_id="c",
        source=source,
        kind=str(extra.get("kind", "doc")),
        text=text,
        line_start=line,
        line_end=line + 2,
        msg_ids=[],
        date_start=extra.get("date"),  # type: ignore[arg-type]
        date_end=extra.get("date"),  # type: ignore[arg-type]
        participants=list(extra.get("people", [])),  # type: ignore[call-overload]
        score=0.03,
        anchor=extra.get("anchor"),  # type: ignore[arg-type]
    )
    return Found(hit, Path("/ws"))


def test_rendering_links_context_and_comment_blocks() -> None:
    items = [
        found("docs/run.md", 11, "Intro\nhelm rollback orders 41"),
        found(
            "chats/t.txt",
            3,
            "Aiko: pizza?",
            kind="chat",
            date="2025-04-04T18:30:12Z",
            people=["Aiko", "Marco"],
        ),
    ]
    text = hover_markdown(items, "rollback")
    assert "[docs/run.md:11-13](file:///ws/docs/run.md#L11) · doc" in text
    assert "> helm rollback orders 41" in text
    assert "chat · 2025-04-04 · Aiko, Marco" in text
    block = related_block(items, "rollback", "#")
    assert block.splitlines()[1] == "# - docs/run.md:11-13 (doc): helm rollback orders 41"
    assert cite_block(items, None, Path("/ws/notes/n.md")) == (
        "Sources: [docs/run.md:11-13](../docs/run.md#L11); [chats/t.txt:3-5](../chats/t.txt#L3)\n"
    )


def test_rendering_rows_pages_and_zip_members() -> None:
    items = [
        found("chats/chat.db", 120, "ME: the party is on the 30th", kind="chat", anchor="#message"),
        found("docs/r.pdf", 3, "Migration plan", anchor="#page"),
        found("chats/c.zip", 4, "Ana: hi", kind="chat", anchor="!/_chat.txt"),
    ]
    text = hover_markdown(items, "party")
    assert "[chats/chat.db#message=120-122](file:///ws/chats/chat.db#message=120)" in text
    assert "[docs/r.pdf#page=3-5](file:///ws/docs/r.pdf#page=3)" in text
    assert "[chats/c.zip!/_chat.txt:4-6](file:///ws/chats/c.zip)" in text
    assert cite_block(items[1:2], None, Path("/ws/notes/n.md")) == (
        "Sources: [docs/r.pdf#page=3-5](../docs/r.pdf#page=3)\n"
    )


def test_settings_from_the_editor_warn_and_default(tmp_path: Path) -> None:
    (tmp_path / "chatx.toml").write_text("hoverResults = 5\ncompletionLimit = 9\n")
    settings, warnings = resolve_settings(tmp_path, {"chatx": {"hoverResults": "x", "bogus": 1}})
    assert settings.editor.hover_results == 3 and settings.editor.completion_limit == 9
    assert warnings == [
        "unknown setting 'bogus' ignored",
        "invalid settings hoverResults: using their defaults",
    ]
    settings, warnings = resolve_settings(tmp_path, {"hoverMinSimilarity": 0.5})
    assert (
        settings.editor.hover_min_similarity == 0.5
        and settings.editor.hover_results == 5
        and not warnings
    )


def test_watcher_debounces_per_path_and_groups_by_folder(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "a" / "nested"
    b.mkdir(parents=True)
    assert owner(b / "x.md", [a, b]) == b and owner(tmp_path / "y", [a]) is None

    async def scenario() -> list[dict[Path, set[Path]]]:
        stop = asyncio.Event()
        seen: list[dict[Path, set[Path]]] = []

        async def consume() -> None:
            async for grouped in debounced_changes([a, b], 150, stop):
                seen.append(grouped)
                stop.set()

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.3)
        for i in range(3):  # one path written three times, then quiet
            (b / "x.md").write_text(f"v{i}")
            (a / ".claude-context").mkdir(exist_ok=True)
            (a / ".claude-context" / "noise").write_text(str(i))  # the index's own writes
            await asyncio.sleep(0.05)
        await asyncio.wait_for(task, 10)
        return seen

    seen = asyncio.run(scenario())
    assert seen == [{b: {b / "x.md"}}]


def test_query_cache_embeds_a_repeated_query_once() -> None:
    import numpy as np

    from chatx.index.embedder import QueryCache

    class Counting:
        model_id, dim = "m", 2

        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        def embed(self, texts: list[str]) -> np.ndarray:
            self.calls.append(texts)
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    inner = Counting()
    cache = QueryCache(inner, size=2)
    assert cache.embed(["abc"]).tolist() == [[3.0, 1.0]]
    assert cache.embed(["abc"]).tolist() == [[3.0, 1.0]]
    cache.embed(["de"])
    cache.embed(["fghi"])  # evicts "abc", the least recently used
    cache.embed(["abc"])
    assert cache.embed(["x", "y"]).shape == (2, 2)  # batches pass through
    assert inner.calls == [["abc"], ["de"], ["fghi"], ["abc"], ["x", "y"]]


async def test_a_missing_name_model_is_reported_at_startup(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.model_validate({"shieldNameModel": "no_such_spacy_model"})
    daemon = Daemon([tmp_path], settings)
    with caplog.at_level(logging.WARNING, logger="chatx.daemon.service"):
        await daemon.load_names_lexicon()
    assert caplog.messages == [
        "Policy Shield: the name model package no_such_spacy_model is not installed; "
        "preflight will fail closed"
    ]
    caplog.clear()
    await Daemon([tmp_path], Settings()).load_names_lexicon()
    assert caplog.messages == []
