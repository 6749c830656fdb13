"""How related chunks are shown to a user: hover Markdown and blocks inserted into a file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chatx.index.search import snippet
from chatx.index.store import Hit


@dataclass(frozen=True)
class Found:
    """A search hit and the workspace folder it belongs to."""

    hit: Hit
    root: Path

    @property
    def path(self) -> Path:
        """Absolute path of the cited file."""
        return self.root / self.hit.source

    @property
    def location(self) -> str:
        """`source:line` or `source:first-last`."""
        hit = self.hit
        lines = (
            f"{hit.line_start}"
            if hit.line_end <= hit.line_start
            else (f"{hit.line_start}-{hit.line_end}")
        )
        return f"{hit.source}:{lines}"

    def uri(self) -> str:
        """A `file://` URI that opens the cited line."""
        return f"{self.path.as_uri()}#L{self.hit.line_start}"

    def context(self) -> str:
        """Kind, date range and participants, as one short line."""
        hit = self.hit
        parts = [hit.kind]
        if hit.date_start:
            day = hit.date_start[:10]
            end = (hit.date_end or hit.date_start)[:10]
            parts.append(day if end == day else f"{day} – {end}")
        if hit.participants:
            people = ", ".join(hit.participants[:4])
            parts.append(people + (" …" if len(hit.participants) > 4 else ""))
        return " · ".join(parts)


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
    return f"[{item.location}]({relative}#L{item.hit.line_start})"


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
