"""Hybrid search over the example workspace: citations, filters, fusion."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from chatx.config import Settings
from chatx.index.indexer import Indexer
from chatx.index.lance import where_clause
from chatx.index.search import SearchService, snippet
from chatx.index.store import Filters, fuse, glob_to_like
from chatx.problems import ChatxError


@pytest.fixture()
def service(workspace: Path, embedder, store_settings: Settings) -> SearchService:  # type: ignore[no-untyped-def]
    Indexer(workspace, store_settings, embedder=embedder).run()
    return SearchService(workspace, store_settings, embedder=embedder)


def test_rollback_question_cites_runbook_lines(service: SearchService) -> None:
    result = service.query("how do we roll back a failed deploy?", k=3)
    top = result.citations[0]
    assert (top.source, top.line_start, top.line_end) == ("docs/runbook.md", 11, 15)
    assert "helm rollback orders" in top.snippet
    assert top.kind == "doc" and top.msg_ids == []


def test_chat_citation_has_messages_dates_and_lines(service: SearchService) -> None:
    result = service.query(
        "composite index customer_id created_at sort spills to disk",
        k=5,
        filters=Filters(kind="chat"),
    )
    top = result.citations[0]
    assert top.source == "chats/claude-session.jsonl"
    assert top.kind == "chat" and len(top.msg_ids) >= 2
    assert top.line_start >= 2 and top.line_end <= 7
    assert top.date_start.isoformat().startswith("2025-04-02T14:00")
    assert all(c.kind == "chat" for c in result.citations)


def test_prefilters(service: SearchService) -> None:
    aiko = service.query("pizza", filters=Filters(participant="AIKO"))
    assert {c.source for c in aiko.citations} == {"chats/team-orders.txt"}
    late = service.query("deploy", filters=Filters(since=date(2025, 4, 3)))
    assert {c.source for c in late.citations} == {"chats/team-orders.txt"}
    early = service.query("deploy", filters=Filters(until=date(2025, 4, 2)))
    assert {c.source for c in early.citations} == {"chats/claude-session.jsonl"}
    docs = service.query("deploy", filters=Filters(path_glob="docs/*.rst"))
    assert {c.source for c in docs.citations} == {"docs/architecture.rst"}
    none = service.query("deploy", filters=Filters(platform="telegram"))
    assert none.citations == []


def test_keyword_only_match_found_by_full_text(service: SearchService) -> None:
    result = service.query("advisory lock migrate-down", k=2)
    assert result.citations[0].source == "docs/runbook.md"


def test_not_indexed_and_empty_query(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    service = SearchService(tmp_path, Settings(), embedder=embedder)
    with pytest.raises(ChatxError) as caught:
        service.query("anything")
    assert caught.value.problem.code == "NOT_INDEXED"
    with pytest.raises(ChatxError) as caught:
        service.query("  ")
    assert caught.value.problem.code == "INVALID_INPUT"


def test_rrf_fusion_orders_by_reciprocal_rank() -> None:
    fused = fuse({"vector": ["a", "b", "c"], "fts": ["c", "b"]}, 3)
    assert [chunk_id for chunk_id, _, _ in fused] == ["c", "b", "a"]
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[1][1] == pytest.approx(2 / 62)
    assert fused[1][2] == {"vector": 2, "fts": 2}
    assert fuse({"vector": [], "fts": []}, 3) == []
    question = fuse({"vector": ["a", "b"], "fts": ["b", "a"]}, 2, {"vector": 0.15})
    assert [chunk_id for chunk_id, _, _ in question] == ["b", "a"]  # words lead a question
    assert question[0][1] == pytest.approx(0.15 / 62 + 1 / 61)


def test_filter_sql() -> None:
    clause = where_clause(
        Filters(
            kind="chat",
            participant="O'Brien",
            since=date(2025, 1, 2),
            until=date(2025, 1, 31),
            path_glob="chats/**/*.txt",
        )
    )
    assert clause == (
        "kind = 'chat' AND array_has(participants_lc, 'o''brien') AND "
        "date_end >= '2025-01-02' AND date_start < '2025-02-01' AND "
        "source LIKE 'chats/%/%.txt'"
    )
    assert glob_to_like("a_b?.md") == "a\\_b_.md"


def test_snippet_picks_the_matching_line() -> None:
    text = "Ann: lunch?\nBob: the rollback of orders failed\nAnn: ok"
    assert snippet(text, "why did the rollback fail") == "Bob: the rollback of orders failed"


def test_reader_sees_rows_written_by_another_writer(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    Indexer(workspace, Settings(), embedder=embedder).run()
    reader = SearchService(workspace, Settings(), embedder=embedder)
    reader.store().read_consistency_interval = 0.0
    assert reader.query("flamingo migration", k=20).citations[0].source != "docs/birds.md"
    (workspace / "docs" / "birds.md").write_text("# Birds\n\nThe flamingo migration starts.\n")
    Indexer(workspace, Settings(), embedder=embedder).run()
    assert reader.query("flamingo migration", k=3).citations[0].source == "docs/birds.md"


def test_query_refuses_an_index_built_by_another_embedder(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    Indexer(workspace, Settings(), embedder=embedder).run()
    with pytest.raises(ChatxError) as caught:
        SearchService(workspace, Settings(embedder="onnx-int8")).query("deploy")
    assert caught.value.problem.code == "NOT_INDEXED"
    assert "run `chatx index` to re-embed" in caught.value.problem.detail


def test_row_mirror_follows_the_table_and_lance_fills_its_gaps(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    Indexer(workspace, Settings(), embedder=embedder).run()
    service = SearchService(workspace, Settings(), embedder=embedder)
    store = service.store()
    store.read_consistency_interval = 0.0
    assert store.rows.count() == store.count() > 0
    before = service.query("how do we roll back a failed deploy?", k=5).citations

    store.rows.clear()  # e.g. an index written before the mirror existed
    assert service.query("how do we roll back a failed deploy?", k=5).citations == before

    store.finalize()
    assert store.rows.count() == store.count()
    assert service.query("how do we roll back a failed deploy?", k=5).citations == before

    (workspace / "docs" / "runbook.md").unlink()
    Indexer(workspace, Settings(), embedder=embedder).run()
    assert store.rows.count() == store.count()
    sources = {row["source"] for row in store.rows.get(sorted(store.rows.ids())).values()}
    assert "docs/runbook.md" not in sources and "chats/team-orders.txt" in sources


def test_the_ann_index_finds_a_stored_vector(tmp_path: Path) -> None:
    from tests.chunks import random_doc_chunks

    from chatx.index.lance import LanceStore

    store = LanceStore(tmp_path / "lancedb", ann_threshold=200)
    chunks, vectors = random_doc_chunks(800, lambda i: f"docs/n{i}.md", seed=3)
    for first in range(0, 800, 200):  # four fragments, compacted before the indices are built
        store.replace_sources([], chunks[first : first + 200], vectors[first : first + 200])
    store.finalize()
    dataset = store.dataset()
    assert dataset is not None and len(dataset.get_fragments()) == 1
    kinds = {ix.name: ix.index_type for ix in dataset.describe_indices()}
    assert kinds["vector_idx"] == "IVF_SQ"  # 7 partitions, fewer than NPROBES
    found = store.search("", vectors[123], 5, Filters())
    assert found[0].chunk_id == "c123" and found[0].similarity == pytest.approx(1.0, abs=0.02)
