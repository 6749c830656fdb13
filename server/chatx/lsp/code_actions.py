"""textDocument/codeAction: `/related` and `/cite` on the selection, the cursor's paragraph, or
a `/command text` line, each inserting a cited block; `/redact`, replacing that text with its
Policy Shield redaction; the model-backed actions (`/ask` ... `/security-review`), whose
`chatx.action` command runs them in the background (lsp/actions.py).

Clients that can resolve an action's edit lazily get the search run only when they pick one;
others get the edits computed with the list.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition

from chatx.editing import comment_prefix, language_of, paragraph_at, slash_command_at
from chatx.lsp.context import ChatxServer, guarded
from chatx.render import cite_block, related_block
from chatx.slash import BY_NAME, COMMANDS

ACTION = "chatx.action"  # the command that runs a model-backed action (lsp/actions.py)

RELATED_RESULTS = 5


@dataclass
class Target:
    """What an action searches for and where its block goes (server units, 0-based lines)."""

    uri: str
    query: str
    first: int  # first line of the text the action works on
    last: int  # last line of it
    replace: bool  # True for a `/command` line, which the block replaces
    command: str | None = None  # the command typed on that line
    selection: list[int] | None = None  # the selected client range: l0, c0, l1, c1


def find_target(ls: ChatxServer, document: TextDocument, selected: types.Range) -> Target | None:
    """A `/command` line under the cursor, else the selection, else the cursor's paragraph."""
    lines = list(document.lines)
    line = selected.start.line
    if line >= len(lines):
        return None
    typed = slash_command_at(lines[line])
    if typed and typed[0] in BY_NAME:
        first, last = paragraph_at(lines, line - 1) if line else (0, -1)
        query = typed[1] or " ".join("".join(lines[first : last + 1]).split())
        return Target(document.uri, query, line, line, True, typed[0])
    if selected.start != selected.end:
        query = " ".join(document.text_in_client_range(selected).split())
        end = selected.end.line - (1 if selected.end.character == 0 else 0)
        ends = [selected.start.line, selected.start.character]
        ends += [selected.end.line, selected.end.character]
        return Target(document.uri, query, selected.start.line, max(end, line), False, None, ends)
    first, last = paragraph_at(lines, line)
    query = " ".join("".join(lines[first : last + 1]).split())
    return Target(document.uri, query, first, last, False)


def _edit(ls: ChatxServer, target: Target, name: str, found: list[Any]) -> types.WorkspaceEdit:
    document = ls.workspace.get_text_document(target.uri)
    path = ls.path_of(target.uri)
    comment = comment_prefix(language_of(document.language_id, target.uri))
    if name == "cite":
        block = cite_block(found, comment, path)
    else:
        block = related_block(found, target.query, comment, path)
    if not found:
        marker = f"{comment} " if comment else ""
        block = f"{marker}ChatX: nothing in the index relates to this.\n"
    return types.WorkspaceEdit(changes={target.uri: [place_block(document, target, block)]})


def place_block(document: TextDocument, target: Target, block: str) -> types.TextEdit:
    """Insert `block` after the target's text, or in place of a typed `/command` line."""
    comment = comment_prefix(language_of(document.language_id, target.uri))
    lines = document.lines
    if target.replace:
        where = types.Range(types.Position(target.first, 0), types.Position(target.first + 1, 0))
        if target.first + 1 >= len(lines):
            end = len(lines[target.first])
            where = types.Range(types.Position(target.first, 0), types.Position(target.first, end))
            block = block.rstrip("\n")
    elif target.last + 1 < len(lines):
        at = types.Position(target.last + 1, 0)
        where = types.Range(at, at)
        block = ("\n" if comment is None else "") + block
    else:
        at = types.Position(target.last, len(lines[target.last].rstrip("\r\n")))
        where = types.Range(at, at)
        block = "\n" + ("\n" if comment is None else "") + block.rstrip("\n")
    return types.TextEdit(where, block)


def _search(ls: ChatxServer, query: str) -> list[Any]:
    assert ls.daemon is not None
    return ls.daemon.related(query, RELATED_RESULTS, ls.settings.hover_min_similarity)


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
    document = ls.workspace.get_text_document(params.text_document.uri)
    target = find_target(ls, document, params.range)
    if target is None or not target.query.strip():
        return []
    names = [target.command] if target.command else [c.name for c in COMMANDS]
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
    if BY_NAME[name].model:
        return action  # its command runs the model, in the background
    if name == "redact":
        action.edit = await _redact(ls, target)
        return action
    found = await asyncio.to_thread(_search, ls, target.query)
    action.edit = _edit(ls, target, name, found)
    return action


async def _redact(ls: ChatxServer, target: Target) -> types.WorkspaceEdit:
    """An edit replacing the target's text with its redacted form."""
    assert ls.daemon is not None
    document = ls.workspace.get_text_document(target.uri)
    where, text = redaction_target(document, target)
    daemon = ls.daemon
    redacted = await asyncio.to_thread(lambda: daemon.shield().redact(text).text)
    return types.WorkspaceEdit(changes={target.uri: [types.TextEdit(where, redacted)]})


def redaction_target(document: TextDocument, target: Target) -> tuple[types.Range, str]:
    """What `/redact` replaces, and the text to redact: the selection; else a typed
    `/redact text` line (by the redacted text), or a bare `/redact` line with the paragraph
    above it; else the cursor's paragraph."""
    lines = document.lines
    if target.selection:
        l0, c0, l1, c1 = target.selection
        where = types.Range(types.Position(l0, c0), types.Position(l1, c1))
        return where, document.text_in_client_range(where)
    if target.replace:
        line = target.first
        typed = slash_command_at(lines[line])
        if typed and typed[1]:
            return _line_range(document, line, line), typed[1]
        first = paragraph_at(list(lines), line - 1)[0] if line else line
        where = types.Range(types.Position(first, 0), types.Position(line + 1, 0))
        if line + 1 >= len(lines):
            where.end = _line_range(document, line, line).end
        return where, "".join(lines[first:line])
    where = _line_range(document, target.first, target.last)
    return where, document.text_in_client_range(where)


def _line_range(document: TextDocument, first: int, last: int) -> types.Range:
    """Lines `first..last` without the last line's line break."""
    end = len(document.lines[last].rstrip("\r\n"))
    finish = document.position_to_client_units(ServerTextPosition(last, end))
    return types.Range(types.Position(first, 0), finish)
