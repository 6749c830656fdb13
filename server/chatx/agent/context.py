"""The context the `UserPromptSubmit` hook adds to an agent's prompt: the facts of the memory
and the passages of the index most relevant to it (passages cited `path:line`, facts with their
provenance), redacted by the Shield gate, within a token budget, and nothing at all when
nothing clears the relevance bar. Pure: the caller searches and gives the Shield.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chatx import locator
from chatx.config import Settings
from chatx.index.search import SearchService
from chatx.index.store import Hit
from chatx.memory.recall import Recaller
from chatx.shield import Shield
from chatx.shield.gate import outbound

Passage = tuple[str, str]  # `path:start-end` (or a fact's provenance) and the (cut) text
CANDIDATES = 6
FACTS = 5
CHARS_PER_TOKEN = 4
MIN_PASSAGE_CHARS = 160
LOCATION_CHARS = 40  # what a `- path:start-end: ` prefix takes, about
HEADER = (
    "What ChatX knows that may bear on the prompt: remembered facts and passages from this "
    "workspace's chats and docs (people are pseudonymised as CN_…). Cite passages as path:line "
    "when you use them."
)


def relevant(hits: Sequence[Hit], min_similarity: float) -> list[Hit]:
    """The hits whose meaning is close enough to the prompt (a keyword-only match is not)."""
    return [hit for hit in hits if hit.similarity is not None and hit.similarity >= min_similarity]


def passages(hits: Sequence[Hit], budget_tokens: int) -> list[Passage]:
    """`(location, text)` of the hits, best first, each cut to a fair share of the budget (a
    short one leaves its share to the rest); a hit whose share would be too small to be of use
    is left out."""
    left = budget_tokens * CHARS_PER_TOKEN - len(HEADER)
    fitting = hits[: max(0, left // (MIN_PASSAGE_CHARS + LOCATION_CHARS))]
    kept: list[Passage] = []
    for index, hit in enumerate(fitting):
        location = locator.location(hit.source, hit.line_start, hit.line_end, hit.anchor)
        share = left // (len(fitting) - index) - len(location) - 4
        if share < MIN_PASSAGE_CHARS:
            break
        text = " ".join(hit.text.split())
        if len(text) > share:
            text = text[: share - 1].rstrip() + "…"
        kept.append((location, text))
        left -= len(location) + len(text) + 4
    return kept


def render(kept: Sequence[Passage], shield: Callable[[], Shield] | None) -> str:
    """The context block of `kept` passages through the gate ("" when there are none)."""
    if not kept:
        return ""
    texts = [text for _, text in kept]
    if shield is not None:
        texts, _ = outbound(shield(), texts)
    lines = [f"- {location}: {text}" for (location, _), text in zip(kept, texts, strict=True)]
    return "\n".join(["<chatx-context>", HEADER, *lines, "</chatx-context>"])


def found_passages(
    prompt: str, search: SearchService, settings: Settings, recaller: Recaller | None = None
) -> list[Passage]:
    """The facts (from `recaller`, the workspace memory) and passages for `prompt`, under the
    `agent` settings, not yet gated (blocking); NOT_INDEXED when the workspace has no index.
    Facts come first and take their share of the budget."""
    agent = settings.agent
    if not prompt.strip() or agent.context_tokens == 0:
        return []
    hits = search.search(prompt, CANDIDATES)
    facts = found_facts(prompt, recaller, agent.context_min_similarity) if recaller else []
    used = sum(len(where) + len(text) + 4 for where, text in facts) // CHARS_PER_TOKEN
    relevant_hits = relevant(hits, agent.context_min_similarity)
    return facts + passages(relevant_hits, max(0, agent.context_tokens - used))


def found_facts(prompt: str, recaller: Recaller, min_similarity: float) -> list[Passage]:
    """The remembered facts close in meaning to `prompt`, as `(provenance, "entity: fact")`."""
    found = recaller.recall(prompt, FACTS).results
    return [
        (f"memory #{fact.id} ({fact.source})", f"{fact.entity}: {fact.text}")
        for fact in found
        if fact.similarity is not None and fact.similarity >= min_similarity
    ]


def context_for(
    prompt: str,
    search: SearchService,
    settings: Settings,
    shield: Callable[[], Shield],
    recaller: Recaller | None = None,
) -> str:
    """The context block for `prompt` from `search`'s workspace and memory (blocking)."""
    kept = found_passages(prompt, search, settings, recaller)
    return render(kept, shield if settings.agent.shield else None)
