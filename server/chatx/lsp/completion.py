"""textDocument/completion: slash commands after `/`, else participants and indexed terms.

Everything comes from memory (the vocabulary and the action table); no model, no search.
"""

from __future__ import annotations

import re

from lsprotocol import types

from chatx.actions import SPECS
from chatx.daemon.vocab import Term
from chatx.editor.positions import client_span, server_position
from chatx.editor.text import slash_trigger
from chatx.lsp.context import ChatxServer, guarded

TRIGGERS = ["/"]
_PREFIX = re.compile(r"[\w][\w.\-/]*$")
_KINDS = {
    "participant": types.CompletionItemKind.Reference,
    "identifier": types.CompletionItemKind.Variable,
    "term": types.CompletionItemKind.Text,
    "entity": types.CompletionItemKind.Reference,
}


def _empty() -> types.CompletionList:
    return types.CompletionList(is_incomplete=False, items=[])


def slash_items(where: types.Range) -> list[types.CompletionItem]:
    """One item per working slash command, replacing the typed `/...`."""
    return [
        types.CompletionItem(
            label=f"/{command.name}",
            kind=types.CompletionItemKind.Keyword,
            detail=command.title,
            documentation=types.MarkupContent(types.MarkupKind.Markdown, command.doc),
            text_edit=types.TextEdit(where, f"/{command.name} "),
            sort_text=f"0{index}",
        )
        for index, command in enumerate(SPECS)
    ]


def term_item(term: Term, where: types.Range, rank: int) -> types.CompletionItem:
    """A vocabulary term replacing the typed prefix."""
    return types.CompletionItem(
        label=term.text,
        kind=_KINDS[term.kind],
        detail=f"{term.kind} · {term.count}× in the index",
        text_edit=types.TextEdit(where, term.text),
        sort_text=f"{rank:05d}",
        filter_text=term.text,
    )


@guarded(_empty)
async def on_completion(ls: ChatxServer, params: types.CompletionParams) -> types.CompletionList:
    """Slash commands or index terms for the text before the cursor."""
    document = ls.workspace.get_text_document(params.text_document.uri)
    lines, encoding = document.lines, ls.workspace.position_encoding
    position = server_position(lines, params.position, encoding)
    text = lines[position.line] if position.line < len(lines) else ""
    before = text[: position.character]
    if slash_trigger(before):
        start = before.rindex("/")
        where = client_span(lines, position.line, start, position.character, encoding)
        return types.CompletionList(is_incomplete=False, items=slash_items(where))
    match = _PREFIX.search(before)
    if ls.daemon is None or match is None:
        return _empty()
    limit = ls.settings.editor.completion_limit
    terms = ls.daemon.vocab.complete(match.group(), limit + 1)
    where = client_span(lines, position.line, match.start(), position.character, encoding)
    items = [term_item(term, where, rank) for rank, term in enumerate(terms[:limit])]
    return types.CompletionList(is_incomplete=len(terms) > limit, items=items)
