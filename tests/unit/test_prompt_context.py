"""The prompt hook's context: only passages close in meaning, best first, within the token
budget, cited `path:line`, redacted; nothing at all when nothing is relevant."""

from __future__ import annotations

from chatx.agent.context import CHARS_PER_TOKEN, passages, relevant, render
from chatx.config import Settings
from chatx.index.store import Hit
from chatx.shield import Shield


def hit(source: str, text: str, similarity: float | None, start: int = 1) -> Hit:
    return Hit(
        chunk_id=source,
        source=source,
        kind="chat",
        text=text,
        line_start=start,
        line_end=start + 2,
        msg_ids=[],
        date_start=None,
        date_end=None,
        participants=[],
        score=0.5,
        similarity=similarity,
    )


def prompt_context(hits: list[Hit], budget: int, min_similarity: float) -> str:
    """What the hook adds for `hits`: the relevant ones, within the budget, through the gate."""
    return render(passages(relevant(hits, min_similarity), budget), shield)


def shield() -> Shield:
    settings = Settings.model_validate({"shieldNames": "Priya Raman", "shieldNameModel": ""})
    return Shield.from_settings(settings, ["Priya Raman"])


def test_relevant_passages_are_cited_and_redacted() -> None:
    hits = [
        hit("chats/orders.txt", "Priya Raman: roll back with helm rollback orders 41", 0.62, 3),
        hit("docs/runbook.md", "Rolling back: helm rollback orders <revision>", 0.55, 11),
        hit("docs/lunch.md", "Pizza on Friday", 0.12),
        hit("docs/keyword-only.md", "rollback rollback", None),
    ]
    context = prompt_context(hits, 600, 0.35)
    lines = context.splitlines()
    assert lines[0] == "<chatx-context>" and lines[-1] == "</chatx-context>"
    assert lines[2].startswith("- chats/orders.txt:3-5: CN_")
    assert lines[3] == "- docs/runbook.md:11-13: Rolling back: helm rollback orders <revision>"
    assert len(lines) == 5 and "Priya" not in context


def test_nothing_relevant_means_no_context() -> None:
    assert prompt_context([hit("docs/lunch.md", "Pizza on Friday", 0.2)], 600, 0.35) == ""
    assert prompt_context([], 600, 0.35) == ""


def test_the_budget_holds() -> None:
    hits = [hit(f"docs/{n}.md", "word " * 400, 0.9 - n / 100) for n in range(6)]
    kept = passages(hits, 300)
    total = sum(len(location) + len(text) + 4 for location, text in kept)
    assert 2 <= len(kept) < 6
    assert total <= 300 * CHARS_PER_TOKEN
    assert kept[-1][1].endswith("…")
