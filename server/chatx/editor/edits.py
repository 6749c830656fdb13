"""Where the slash actions read and write: pure functions of a document snapshot, a target and
a few flags, with positions in the client's units (`chatx.editor.positions`). No server state; the
LSP handlers fetch the document, call these, and send the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types

from chatx.actions import BY_NAME, DEFAULT_TONE, WHOLE_FILE
from chatx.assistant import ActionInput
from chatx.editor.positions import UTF16, line_end, text_in_range
from chatx.editor.render import action_block, cite_block, related_block
from chatx.editor.text import comment_prefix, language_of, paragraph_at, slash_command_at
from chatx.models import ActionResult

BEFORE_LINES = 20  # turns above a message that /reply reads


@dataclass(frozen=True)
class Document:
    """One version of an open document: its lines (with their line breaks) and how the client
    counts positions in them."""

    uri: str
    lines: Sequence[str]
    language_id: str | None = None
    encoding: str | None = UTF16  # the negotiated position encoding
    version: int | None = None

    @property
    def comment(self) -> str | None:
        """The line-comment marker of its language, or None where Markdown blocks fit."""
        return comment_prefix(language_of(self.language_id, self.uri))


@dataclass
class Target:
    """What an action searches for and where its block goes (0-based lines)."""

    uri: str
    query: str
    first: int  # first line of the text the action works on
    last: int  # last line of it
    replace: bool  # True for a `/command` line, which the block replaces
    command: str | None = None  # the command typed on that line
    selection: list[int] | None = None  # the selected client range: l0, c0, l1, c1


def find_target(document: Document, selected: types.Range) -> Target | None:
    """A `/command` line under the cursor, else the selection, else the cursor's paragraph."""
    lines = document.lines
    line = selected.start.line
    if line >= len(lines):
        return None
    typed = slash_command_at(lines[line])
    if typed and typed[0] in BY_NAME:
        first, last = paragraph_at(lines, line - 1) if line else (0, -1)
        query = typed[1] or " ".join("".join(lines[first : last + 1]).split())
        return Target(document.uri, query, line, line, True, typed[0])
    if selected.start != selected.end:
        query = " ".join(text_in_range(lines, selected, document.encoding).split())
        end = selected.end.line - (1 if selected.end.character == 0 else 0)
        ends = [selected.start.line, selected.start.character]
        ends += [selected.end.line, selected.end.character]
        return Target(document.uri, query, selected.start.line, max(end, line), False, None, ends)
    first, last = paragraph_at(lines, line)
    query = " ".join("".join(lines[first : last + 1]).split())
    return Target(document.uri, query, first, last, False)


def place_block(document: Document, target: Target, block: str) -> types.TextEdit:
    """Insert `block` after the target's text, or in place of a typed `/command` line."""
    lines, spacer = document.lines, "\n" if document.comment is None else ""
    if target.replace:
        start = types.Position(target.first, 0)
        if target.first + 1 < len(lines):
            return types.TextEdit(types.Range(start, types.Position(target.first + 1, 0)), block)
        end = line_end(lines, target.first, document.encoding)
        return types.TextEdit(types.Range(start, end), block.rstrip("\n"))
    if target.last + 1 < len(lines):
        at = types.Position(target.last + 1, 0)
        return types.TextEdit(types.Range(at, at), spacer + block)
    at = line_end(lines, target.last, document.encoding)
    return types.TextEdit(types.Range(at, at), "\n" + spacer + block.rstrip("\n"))


def search_edit(
    document: Document, target: Target, name: str, found: list[Any], path: Path | None
) -> types.WorkspaceEdit:
    """`/cite` or `/related`: the search results (`found`) inserted as a block; `path` is the
    document's file, for the links."""
    comment = document.comment
    if name == "cite":
        block = cite_block(found, comment, path)
    else:
        block = related_block(found, target.query, comment, path)
    if not found:
        marker = f"{comment} " if comment else ""
        block = f"{marker}ChatX: nothing in the index relates to this.\n"
    return types.WorkspaceEdit(changes={target.uri: [place_block(document, target, block)]})


def redaction_target(document: Document, target: Target) -> tuple[types.Range, str]:
    """What `/redact` replaces, and the text to redact: the selection; else a typed
    `/redact text` line (by the redacted text), or a bare `/redact` line with the paragraph
    above it; else the cursor's paragraph."""
    lines, encoding = document.lines, document.encoding
    if target.selection:
        l0, c0, l1, c1 = target.selection
        where = types.Range(types.Position(l0, c0), types.Position(l1, c1))
        return where, text_in_range(lines, where, encoding)
    if target.replace:
        line = target.first
        typed = slash_command_at(lines[line])
        if typed and typed[1]:
            return _line_range(document, line, line), typed[1]
        first = paragraph_at(lines, line - 1)[0] if line else line
        where = types.Range(types.Position(first, 0), types.Position(line + 1, 0))
        if line + 1 >= len(lines):
            where.end = line_end(lines, line, encoding)
        return where, "".join(lines[first:line])
    where = _line_range(document, target.first, target.last)
    return where, text_in_range(lines, where, encoding)


def _line_range(document: Document, first: int, last: int) -> types.Range:
    """Lines `first..last` without the last line's line break."""
    return types.Range(types.Position(first, 0), line_end(document.lines, last, document.encoding))


def action_input(document: Document, target: Target, name: str, path: str | None) -> ActionInput:
    """What the action reads: the selection, a typed `/command text`, the paragraph, or (for
    plan, tests and review on a bare command line) the whole file; `path` is the document's
    workspace-relative path."""
    lines = document.lines
    tone = DEFAULT_TONE
    typed = slash_command_at(lines[target.first]) if target.replace else None
    if name == "reply" and typed:
        tone = typed[1] or tone  # `/reply brief`: the tone; the message is the paragraph above
        first, last = paragraph_at(lines, target.first - 1) if target.first else (0, -1)
        where_first, text = first, "".join(lines[first : last + 1])
    elif name in WHOLE_FILE and typed and not typed[1]:
        where_first = 0
        text = "".join(line for i, line in enumerate(lines) if i != target.first)
    else:
        where, text = redaction_target(document, target)
        where_first = where.start.line
    before = "".join(lines[max(0, where_first - BEFORE_LINES) : where_first])
    return ActionInput(name, text, path, before, tone, where_first + 1)


def action_edit(
    document: Document,
    target: Target,
    result: ActionResult,
    path: Path | None,
    new_file: str | None,
) -> types.WorkspaceEdit:
    """The answer inserted after the target (or in place of a typed command); a `/tdd-loop`
    test file goes to `new_file` (a URI) when given, else into the block. `path` is the
    document's file, for the links."""
    comment = document.comment
    shown = result
    if new_file is not None and result.file is not None:
        shown = result.model_copy(update={"answer": f"Failing tests in {result.file.path}"})
    block = action_block(shown, comment, path)
    here = place_block(document, target, block)
    if new_file is None or result.file is None:
        changes = [here]
        if result.file is not None:
            code = "\n".join(f"{comment or '>'} {line}" for line in result.file.text.splitlines())
            changes = [place_block(document, target, block + code + "\n")]
        return types.WorkspaceEdit(changes={document.uri: changes})
    start = types.Position(0, 0)
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(uri=new_file, options=types.CreateFileOptions(ignore_if_exists=True)),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=new_file),
                edits=[types.TextEdit(types.Range(start, start), result.file.text)],
            ),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=document.uri, version=document.version
                ),
                edits=[here],
            ),
        ]
    )
