"""textDocument/hover: the indexed passages related to the word, phrase or selection."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from chatx.editing import Span, phrase_at
from chatx.lsp.context import ChatxServer, guarded
from chatx.render import hover_markdown

MIN_QUERY_CHARS = 3


def hover_query(ls: ChatxServer, params: types.HoverParams) -> Span | None:
    """The selection around the cursor if the client told us of one, else the phrase under it."""
    document = ls.workspace.get_text_document(params.text_document.uri)
    selection = ls.selections.get(params.text_document.uri)
    if selection and selection.start != selection.end:
        cursor = (params.position.line, params.position.character)
        start = (selection.start.line, selection.start.character)
        end = (selection.end.line, selection.end.character)
        if start <= cursor <= end:
            text = " ".join(document.text_in_client_range(selection).split())
            if text:
                return Span(text, start[0], start[1], end[1])
    position = document.position_from_client_units(params.position)
    span = phrase_at(list(document.lines), position.line, position.character)
    if span is None or len(span.text) < MIN_QUERY_CHARS or span.text.isdigit():
        return None
    return span


@guarded(lambda: None)
async def on_hover(ls: ChatxServer, params: types.HoverParams) -> types.Hover | None:
    """Top related chunks as Markdown; None when nothing clears the similarity bar."""
    if ls.daemon is None or ls.settings.hover_results == 0:
        return None
    span = hover_query(ls, params)
    if span is None:
        return None
    path = ls.path_of(params.text_document.uri)
    exclude = (path, params.position.line + 1) if path else None
    found = await asyncio.to_thread(
        ls.daemon.related,
        span.text,
        ls.settings.hover_results,
        ls.settings.hover_min_similarity,
        exclude,
    )
    if not found:
        return None
    contents = types.MarkupContent(types.MarkupKind.Markdown, hover_markdown(found, span.text))
    return types.Hover(contents=contents)
