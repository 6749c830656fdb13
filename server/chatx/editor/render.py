"""How related chunks are shown to a user: hover Markdown and blocks inserted into a file."""

from __future__ import annotations

import os
from pathlib import Path

from chatx import locator
from chatx.index.search import snippet
from chatx.index.store import Found
from chatx.memory.models import EntityDetail
from chatx.models import ActionResult, QueryCitation


def hover_markdown(found: list[Found], query: str) -> str:
    """Hover contents: per chunk a `path:line` link, its context and the best matching line."""
    blocks = [f"**ChatX** · related to `{query}`"]
    for item in found:
        quote = snippet(item.hit.text, query).replace("\n", " ")
        blocks.append(f"[{item.location}]({item.uri()}) · {item.context()}\n\n> {quote}")
    return "\n\n---\n\n".join(blocks)


def _link(item: Found, document: Path | None) -> str:
    if document is None:
        return f"[{item.location}]({item.uri()})"
    relative = Path(os.path.relpath(item.path, document.parent)).as_posix()
    return f"[{item.location}]({relative}{locator.fragment(item.hit.line_start, item.hit.anchor)})"


def related_block(
    found: list[Found], query: str, comment: str | None, document: Path | None = None
) -> str:
    """The `/related` insertion: each chunk's citation, context and best line."""
    if comment is None:
        lines = [f"> **Related** (ChatX) — {_quote(query)}", ">"]
        for item in found:
            quote = snippet(item.hit.text, query).replace("\n", " ")
            lines.append(f"> - {_link(item, document)} · {item.context()}: {quote}")
        return "\n".join(lines) + "\n"
    lines = [f"{comment} Related (ChatX) — {_quote(query)}"]
    for item in found:
        quote = snippet(item.hit.text, query).replace("\n", " ")
        lines.append(f"{comment} - {item.location} ({item.context()}): {quote}")
    return "\n".join(lines) + "\n"


def cite_block(found: list[Found], comment: str | None, document: Path | None = None) -> str:
    """The `/cite` insertion: citations only, on one line."""
    if comment is None:
        return "Sources: " + "; ".join(_link(item, document) for item in found) + "\n"
    return f"{comment} Sources: " + "; ".join(item.location for item in found) + "\n"


def _quote(query: str, limit: int = 60) -> str:
    flat = " ".join(query.split())
    return f'"{flat if len(flat) <= limit else flat[: limit - 1] + "…"}"'


def action_block(result: ActionResult, comment: str | None, document: Path | None = None) -> str:
    """A model-backed action's insertion: a header with the route, the answer, its sources."""
    route = result.route
    model = f" {route.model}" if route.model else ""
    header = f"ChatX /{result.action} · {route.backend}{model} — {route.reason}"
    sources = [_citation_link(c, document) for c in result.citations]
    if comment is None:
        lines = [f"> **{header}**", ">"]
        lines += [f"> {line}".rstrip() for line in result.answer.splitlines()]
        if sources:
            lines += [
                ">",
                "> Sources: " + "; ".join(f"[{n}] {s}" for n, s in enumerate(sources, 1)),
            ]
        return "\n".join(lines) + "\n"
    lines = [f"{comment} {header}"]
    lines += [f"{comment} {line}".rstrip() for line in result.answer.splitlines()]
    if result.citations:
        cited = "; ".join(f"[{n}] {_where(c)}" for n, c in enumerate(result.citations, 1))
        lines.append(f"{comment} Sources: {cited}")
    return "\n".join(lines) + "\n"


def _citation_link(citation: QueryCitation, document: Path | None) -> str:
    where = _where(citation)
    target = citation.source
    if document is not None:
        root = _root_of(document, citation.source)
        if root is not None:
            target = Path(os.path.relpath(root / citation.source, document.parent)).as_posix()
    return f"[{where}]({target}{locator.fragment(citation.line_start, citation.anchor)})"


def _where(citation: QueryCitation) -> str:
    """`source:line`, or the row, page or zip member it points at."""
    return locator.location(
        citation.source, citation.line_start, citation.line_start, citation.anchor
    )


def _root_of(document: Path, source: str) -> Path | None:
    """The workspace folder above `document` that holds `source`."""
    for folder in document.parents:
        if (folder / source).exists():
            return folder
    return None


def memory_markdown(detail: EntityDetail) -> str:
    """Hover contents for an entity the memory knows: its current facts with their sources,
    and its relations (with message counts for those derived from the chats)."""
    lines = [f"**{detail.name}** · {detail.entity_type} · ChatX memory"]
    for fact in detail.observations:
        lines.append(f"- {fact.text} _({fact.source})_")
    for relation in detail.relations:
        counts = f", {relation.messages} messages" if relation.messages else ""
        seen = f", last {relation.last_seen[:10]}" if relation.last_seen else ""
        lines.append(
            f"- {relation.source} → _{relation.relation_type}_ → {relation.target}{counts}{seen}"
            f" _({relation.where})_"
        )
    return "\n".join(lines)
