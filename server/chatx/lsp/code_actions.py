"""textDocument/codeAction: `/related` and `/cite` on the selection, the cursor's paragraph, or
a `/command text` line, each inserting a cited block; `/redact`, replacing that text with its
Policy Shield redaction; the model-backed actions (`/ask` ... `/security-review`), whose
`chatx.action` command runs them in the background (lsp/actions.py).

Clients that can resolve an action's edit lazily get the search run only when they pick one;
others get the edits computed with the list.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from lsprotocol import types

from chatx.actions import BY_NAME, SPECS
from chatx.editor.edits import Document, Target, find_target, redaction_target, search_edit
from chatx.lsp.context import ChatxServer, guarded
from chatx.lsp.memory import REMEMBER

ACTION = "chatx.action"  # the command that runs a model-backed action (lsp/actions.py)

RELATED_RESULTS = BY_NAME["related"].sources  # one search serves /related and /cite


def snapshot(ls: ChatxServer, uri: str) -> Document:
    """The document `uri` as the edit logic reads it, with the negotiated position encoding."""
    document = ls.workspace.get_text_document(uri)
    return Document(
        uri,
        ls.lines_of(document),
        document.language_id,
        ls.workspace.position_encoding,
        document.version,
    )


def _edit(ls: ChatxServer, target: Target, name: str, found: list[Any]) -> types.WorkspaceEdit:
    return search_edit(snapshot(ls, target.uri), target, name, found, ls.path_of(target.uri))


def _search(ls: ChatxServer, query: str) -> list[Any]:
    assert ls.daemon is not None
    return ls.daemon.related(query, RELATED_RESULTS, ls.settings.editor.hover_min_similarity)


def _resolvable(ls: ChatxServer) -> bool:
    text = ls.client_capabilities.text_document
    action = text.code_action if text else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


@guarded(list)
async def on_code_action(
    ls: ChatxServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command]:
    """`/related` and `/cite` for the selection, paragraph or typed command."""
    ls.selections[params.text_document.uri] = params.range
    if ls.daemon is None:
        return []
    target = find_target(snapshot(ls, params.text_document.uri), params.range)
    if target is None or not target.query.strip():
        return []
    names = [target.command] if target.command else [spec.name for spec in SPECS]
    lazy = _resolvable(ls)
    searches = [n for n in names if n in ("related", "cite")]
    found = None if lazy or not searches else await asyncio.to_thread(_search, ls, target.query)
    actions: list[types.CodeAction | types.Command] = []
    for name in names:
        action = types.CodeAction(
            title=f"/{name}: {BY_NAME[name].title.lower()} (ChatX)",
            kind=f"refactor.chatx.{name}",
            data={"name": name, **asdict(target)},
        )
        if BY_NAME[name].model:
            action.command = types.Command(
                title=action.title, command=ACTION, arguments=[action.data]
            )
        elif name == "remember":
            remembered = {"text": target.query, "uri": target.uri, "line": target.first + 1}
            action.command = types.Command(
                title=action.title, command=REMEMBER, arguments=[remembered]
            )
        elif name == "redact":
            action.edit = None if lazy else await _redact(ls, target)
        elif found is not None:
            action.edit = _edit(ls, target, name, found)
        actions.append(action)
    return actions


@guarded(lambda: types.CodeAction(title="ChatX: failed"))
async def on_resolve(ls: ChatxServer, action: types.CodeAction) -> types.CodeAction:
    """Compute the edit of an action the user picked."""
    data = dict(action.data or {})
    name = data.pop("name", "related")
    data.pop("backend", None)
    target = Target(**data)
    if BY_NAME[name].model or name == "remember":
        return action  # its command does the work
    if name == "redact":
        action.edit = await _redact(ls, target)
        return action
    found = await asyncio.to_thread(_search, ls, target.query)
    action.edit = _edit(ls, target, name, found)
    return action


async def _redact(ls: ChatxServer, target: Target) -> types.WorkspaceEdit:
    """An edit replacing the target's text with its redacted form."""
    assert ls.daemon is not None
    where, text = redaction_target(snapshot(ls, target.uri), target)
    daemon = ls.daemon
    redacted = await asyncio.to_thread(lambda: daemon.shield().redact(text).text)
    return types.WorkspaceEdit(changes={target.uri: [types.TextEdit(where, redacted)]})
