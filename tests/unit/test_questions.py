"""A question's second stage: the dates it pins, its subject's turns, merged citations."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from chatx.config import Settings
from chatx.index import questions
from chatx.index.indexer import Indexer
from chatx.index.questions import Period, answer_hits, cite, period_of, pinned_filters, rescored
from chatx.index.search import SearchService
from chatx.index.store import Filters, Hit


def chat_hit(
    chunk_id: str,
    turns: list[tuple[str, str]],
    lines: tuple[int, int],
    msg_ids: list[str],
    score: float = 0.01,
    when: str = "2023-05-08T13:56:00+00:00",
) -> Hit:
    return Hit(
        chunk_id=chunk_id,
        source="chats/gina.txt",
        kind="chat",
        text="\n".join(f"{who}: {text}" for who, text in turns),
        line_start=lines[0],
        line_end=lines[1],
        msg_ids=msg_ids,
        date_start=when,
        date_end=when,
        participants=sorted({who for who, _ in turns}),
        score=score,
    )


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("What painting did Melanie show on October 13, 2023?", Period(2023, 10, 13)),
        ("What did Gina find for her store on 1 February, 2023?", Period(2023, 2, 1)),
        ("What did we decide on the 3rd of March?", Period(None, 3, 3)),
        ("When did Melanie go camping in June?", Period(None, 6)),
        ("What did the kids paint in July 2023?", Period(2023, 7)),
        ("How many times has Melanie gone to the beach in 2023?", Period(2023)),
        ("What did they see on their camping trip last year?", None),
        ("What did Caroline say she may do next?", None),
    ],
)
def test_the_date_a_question_pins(question: str, period: Period | None) -> None:
    assert period_of(question) == period


def test_a_pinned_period_narrows_the_filters_it_can() -> None:
    day = pinned_filters(Period(2023, 10, 13), Filters(kind="chat"))
    assert day == Filters(kind="chat", since=date(2023, 10, 13), until=date(2023, 10, 13))
    month = pinned_filters(Period(2024, 2), Filters(since=date(2024, 2, 10)))
    assert month == Filters(since=date(2024, 2, 10), until=date(2024, 2, 29))
    assert pinned_filters(Period(None, 6), Filters()) is None  # June of which year?
    assert pinned_filters(Period(2022), Filters(since=date(2023, 1, 1))) is None
    assert pinned_filters(None, Filters()) is None


def test_the_subjects_turn_outranks_the_same_words_said_by_another() -> None:
    jon_says = chat_hit(
        "a",
        [("Jon", "The dancers in the photo look amazing!"), ("Gina", "Thanks, it was fun")],
        (10, 11),
        ["m10", "m11"],
        score=0.0162,
    )
    gina_says = chat_hit(
        "b",
        [("Jon", "How was the show?"), ("Gina", "The dancers in the photo are my old crew")],
        (40, 41),
        ["m40", "m41"],
        score=0.0161,
    )
    filler = chat_hit("c", [("Gina", "Coffee later?")], (70, 70), ["m70"], score=0.0150)
    ranked = rescored(
        "What does Gina say about the dancers in the photo?", [jon_says, gina_says, filler], None
    )
    assert [hit.chunk_id for hit in ranked] == ["b", "a", "c"]
    assert ranked[0].score == pytest.approx(0.0161 + questions.TURN_WEIGHT / 61)
    assert ranked[1].score == pytest.approx(0.0162 + questions.TURN_WEIGHT / 62)


def test_a_hit_inside_the_pinned_day_climbs() -> None:
    may = chat_hit("a", [("Gina", "I found a great rack")], (5, 5), ["m5"], score=0.0164)
    june = chat_hit(
        "b", [("Gina", "I found a rack")], (90, 90), ["m90"], 0.0161, "2023-06-02T09:00:00+00:00"
    )
    ranked = rescored(
        "What did Gina find on 2 June 2023?", [may, june], period_of("on 2 June 2023")
    )
    assert [hit.chunk_id for hit in ranked] == ["b", "a"]


def test_windows_sharing_turns_become_one_citation() -> None:
    best = chat_hit(
        "a", [("Jon", "x"), ("Gina", "y"), ("Jon", "z")], (12, 14), ["m12", "m13", "m14"]
    )
    before = chat_hit("b", [("Gina", "w"), ("Jon", "x")], (11, 12), ["m11", "m12"])
    far = chat_hit("c", [("Gina", "q")], (50, 50), ["m50"])
    after = chat_hit("d", [("Jon", "z"), ("Gina", "v")], (14, 15), ["m14", "m15"])
    cited = cite([best, before, far, after], k=5)
    assert [(c.chunk_id, c.line_start, c.line_end) for c in cited] == [("a", 11, 15), ("c", 50, 50)]
    assert cited[0].msg_ids == ["m11", "m12", "m13", "m14", "m15"]
    assert cited[0].text.splitlines() == ["Gina: w", "Jon: x", "Gina: y", "Jon: z", "Gina: v"]


def test_a_merge_past_the_line_budget_stays_two_citations() -> None:
    long = questions.MAX_CITATION_LINES
    best = chat_hit("a", [("Jon", "x"), ("Gina", "y")], (10, 10 + long - 2), ["m1", "m2"])
    next_window = chat_hit(
        "b", [("Gina", "y"), ("Jon", "z")], (10 + long - 2, 10 + long), ["m2", "m3"]
    )
    same_lines_other_turns = chat_hit("c", [("Jon", "q")], (10, 10), ["m9"])
    cited = cite([best, next_window, same_lines_other_turns], k=5)
    assert [c.chunk_id for c in cited] == ["a", "b", "c"]
    assert cited[0].line_end == 10 + long - 2


def long_history(root: Path) -> None:
    """Sixty days of gym talk; one day says what was new."""
    start = datetime(2024, 2, 1, 18, 0)
    lines = []
    for day in range(60):
        when = start + timedelta(days=day)
        text = "the gym was packed again, squats and rows at the gym"
        if day == 42:  # 2024-03-14
            text = "tried the climbing wall at the gym"
        lines.append(f"[{when:%d.%m.%y, %H:%M:%S}] Ann: {text}")
        lines.append(f"[{when + timedelta(minutes=1):%d.%m.%y, %H:%M:%S}] Ben: nice, rest well")
    (root / "chats").mkdir(parents=True)
    (root / "chats" / "gym.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_pinned_date_finds_its_day_beyond_the_candidates(
    tmp_path: Path, embedder, store_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    long_history(tmp_path)
    chosen = store_settings.index
    settings = Settings(
        window_turns=2,
        overlap_turns=0,
        vector_store=chosen.vector_store,
        pg_url=chosen.pg_url,
        pg_workspace=chosen.pg_workspace,
    )
    Indexer(tmp_path, settings, embedder=embedder).run()
    service = SearchService(tmp_path, settings, embedder=embedder)
    question = "What did Ann do at the gym on 14 March 2024?"
    top = service.query(question, k=3).citations[0]
    assert (top.line_start, top.date_start.date()) == (85, date(2024, 3, 14))
    assert "climbing wall" in top.snippet

    store = service.store()

    def hybrid(filters: Filters, n: int) -> list[Hit]:
        return store.search(question, None, n, filters, question=True)

    unpinned = [hit.line_start for hit in hybrid(Filters(), questions.CANDIDATES)]
    assert 85 not in unpinned  # only the narrowed search reaches it
    assert answer_hits(question, hybrid, Filters(), 3)[0].line_start == 85
