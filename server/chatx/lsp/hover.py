"""textDocument/hover: on a Policy Shield pseudonym, what it stands for (from this machine's own
records); elsewhere, what the memory knows of the name under the cursor, and the indexed
passages related to the word, phrase or selection."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lsprotocol import types

from chatx.editor.positions import TextPosition, client_span, server_position, text_in_range
from chatx.editor.render import hover_markdown
from chatx.editor.text import Span, phrase_at
from chatx.lsp.context import ChatxServer, guarded
from chatx.lsp.memory import entity_hover
from chatx.shield.pseudonyms import token_at

MIN_QUERY_CHARS = 3


def hover_query(
    ls: ChatxServer, params: types.HoverParams, lines: Sequence[str], position: TextPosition
) -> Span | None:
    """The selection around the cursor if the client told us of one, else the phrase under it
    (`lines` are the document's, `position` the cursor's in server units)."""
    selection = ls.selections.get(params.text_document.uri)
    if selection and selection.start != selection.end:
        cursor = (params.position.line, params.position.character)
        start = (selection.start.line, selection.start.character)
        end = (selection.end.line, selection.end.character)
        if start <= cursor <= end:
            selected = text_in_range(lines, selection, ls.workspace.position_encoding)
            text = " ".join(selected.split())
            if text:
                return Span(text, start[0], start[1], end[1])
    span = phrase_at(list(lines), position.line, position.character)
    if span is None or len(span.text) < MIN_QUERY_CHARS or span.text.isdigit():
        return None
    return span


async def pseudonym_hover(
    ls: ChatxServer, params: types.HoverParams, lines: Sequence[str], position: TextPosition
) -> types.Hover | None:
    """What the pseudonym under the cursor replaced, if this machine redacted it."""
    assert ls.daemon is not None
    if position.line >= len(lines):
        return None
    found = token_at(lines[position.line], position.character)
    if found is None:
        return None
    token, start, end = found
    daemon = ls.daemon
    revealed = await asyncio.to_thread(lambda: daemon.shield().reveal_token(token))
    if revealed is None:
        return None
    kind, value = revealed
    text = f"`{token}` → **{value}** ({kind})\n\n_ChatX Policy Shield: local mapping, never sent._"
    where = client_span(lines, position.line, start, end, ls.workspace.position_encoding)
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text), where)


@guarded(lambda: None)
async def on_hover(ls: ChatxServer, params: types.HoverParams) -> types.Hover | None:
    """A pseudonym's local meaning; else top related chunks as Markdown, or None when
    nothing clears the similarity bar."""
    if ls.daemon is None:
        return None
    document = ls.workspace.get_text_document(params.text_document.uri)
    lines = ls.lines_of(document)
    position = server_position(lines, params.position, ls.workspace.position_encoding)
    if (revealed := await pseudonym_hover(ls, params, lines, position)) is not None:
        return revealed
    if ls.settings.editor.hover_results == 0:
        return None
    span = hover_query(ls, params, lines, position)
    if span is None:
        return None
    path = ls.path_of(params.text_document.uri)
    exclude = (path, params.position.line + 1) if path else None
    uri = params.text_document.uri
    known = await asyncio.to_thread(entity_hover, ls, uri, span.text)
    found = await asyncio.to_thread(
        ls.daemon.related,
        span.text,
        ls.settings.editor.hover_results,
        ls.settings.editor.hover_min_similarity,
        exclude,
    )
    blocks = [
        block for block in (known, hover_markdown(found, span.text) if found else None) if block
    ]
    if not blocks:
        return None
    contents = types.MarkupContent(types.MarkupKind.Markdown, "\n\n---\n\n".join(blocks))
    return types.Hover(contents=contents)
