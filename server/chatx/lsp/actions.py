"""`chatx.action`: a model-backed slash action (`/ask`, `/summarize`, `/reply`, `/plan-slice`,
`/tdd-loop`, `/security-review`) run in the background with cancellable `$/progress`; the
result is applied with `workspace/applyEdit` and returned (the CLI's `--json` contract).

`$/cancelRequest` on the command, or cancel in the progress UI, cancels the model call.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from lsprotocol import types
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pygls.exceptions import JsonRpcRequestCancelled
from pygls.workspace import TextDocument

from chatx.assistant import ActionInput
from chatx.editing import comment_prefix, language_of, paragraph_at, slash_command_at
from chatx.lsp.code_actions import ACTION, Target, place_block, redaction_target
from chatx.lsp.commands import as_problems, invalid_arguments
from chatx.lsp.context import ChatxServer, ProblemError
from chatx.lsp.progress import TaskProgress
from chatx.models import ActionResult
from chatx.problems import ProblemCode, make_problem
from chatx.render import action_block

BEFORE_LINES = 20  # turns above a message that /reply reads
WHOLE_FILE = {"plan-slice", "tdd-loop", "security-review"}  # a bare command line: the file


class ActionArgs(BaseModel):
    """The code action's data, plus the caller's routing choices."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str
    uri: str
    query: str = ""
    first: int
    last: int
    replace: bool = False
    command: str | None = None
    selection: list[int] | None = None
    backend: Literal["auto", "local", "cloud"] | None = None
    allow_cloud: bool | None = Field(None, alias="allowCloud")

    def target(self) -> Target:
        """The text the action works on."""
        return Target(
            self.uri, self.query, self.first, self.last, self.replace, self.command, self.selection
        )


@as_problems
async def run_action(ls: ChatxServer, *args: Any) -> dict[str, Any]:
    """Run one action, apply its edit, return its result."""
    if ls.daemon is None:
        raise ProblemError(make_problem(ProblemCode.NOT_INDEXED, "the server is not initialized"))
    try:
        parsed = ActionArgs.model_validate(args[0] if args else None)
    except ValidationError as exc:
        raise invalid_arguments(exc, ACTION) from exc
    document = ls.workspace.get_text_document(parsed.uri)
    target = parsed.target()
    request = action_input(ls, document, target, parsed.name)
    result = await _cancellable(ls, parsed, request)
    edit = action_edit(ls, document, target, result)
    applied = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=f"ChatX /{parsed.name}")
    )
    if not applied.applied:
        ls.show(
            f"ChatX /{parsed.name}: the editor did not apply the result", types.MessageType.Info
        )
    return dict(result.model_dump(mode="json"))


async def _cancellable(ls: ChatxServer, parsed: ActionArgs, request: ActionInput) -> ActionResult:
    """Run the action as its own task, which `$/cancelRequest` and the progress UI cancel."""
    assert ls.daemon is not None
    assistant = ls.daemon.assistant()
    work = asyncio.ensure_future(assistant.run(request, parsed.backend, parsed.allow_cloud))
    request_id = ls.protocol.msg_id
    if request_id is not None:
        ls.running[request_id] = work
    try:
        async with TaskProgress(ls, f"ChatX /{parsed.name}", work):
            return await work
    except asyncio.CancelledError:
        work.cancel()
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        raise JsonRpcRequestCancelled(f"ChatX /{parsed.name} was cancelled") from None
    finally:
        if request_id is not None:
            ls.running.pop(request_id, None)


def action_input(ls: ChatxServer, document: TextDocument, target: Target, name: str) -> ActionInput:
    """What the action reads: the selection, a typed `/command text`, the paragraph, or (for
    plan, tests and review on a bare command line) the whole file."""
    lines = document.lines
    tone = "friendly and concise"
    typed = slash_command_at(lines[target.first]) if target.replace else None
    if name == "reply" and typed:
        tone = typed[1] or tone  # `/reply brief`: the tone; the message is the paragraph above
        first, last = paragraph_at(list(lines), target.first - 1) if target.first else (0, -1)
        where_first, text = first, "".join(lines[first : last + 1])
    elif name in WHOLE_FILE and typed and not typed[1]:
        where_first = 0
        text = "".join(line for i, line in enumerate(lines) if i != target.first)
    else:
        where, text = redaction_target(document, target)
        where_first = where.start.line
    before = "".join(lines[max(0, where_first - BEFORE_LINES) : where_first])
    return ActionInput(name, text, _relative(ls, document.uri), before, tone, where_first + 1)


def action_edit(
    ls: ChatxServer, document: TextDocument, target: Target, result: ActionResult
) -> types.WorkspaceEdit:
    """The answer inserted after the target (or in place of a typed command); for
    `/tdd-loop`, a new test file when the client can create files."""
    comment = comment_prefix(language_of(document.language_id, document.uri))
    new_file = _new_file_uri(ls, document, result)
    shown = result
    if new_file is not None and result.file is not None:
        shown = result.model_copy(update={"answer": f"Failing tests in {result.file.path}"})
    block = action_block(shown, comment, ls.path_of(document.uri))
    here = place_block(document, target, block)
    if new_file is None:
        changes = [here]
        if result.file is not None:
            code = "\n".join(f"{comment or '>'} {line}" for line in result.file.text.splitlines())
            changes = [place_block(document, target, block + code + "\n")]
        return types.WorkspaceEdit(changes={document.uri: changes})
    assert result.file is not None
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


def _new_file_uri(ls: ChatxServer, document: TextDocument, result: ActionResult) -> str | None:
    if result.file is None or ls.daemon is None:
        return None
    workspace = ls.client_capabilities.workspace
    edit = workspace.workspace_edit if workspace else None
    operations = (edit.resource_operations if edit else None) or []
    path = ls.path_of(document.uri)
    folder = ls.daemon.folder_of(path) if path else None
    if types.ResourceOperationKind.Create not in operations or folder is None:
        return None
    return (folder.root / result.file.path).as_uri()


def _relative(ls: ChatxServer, uri: str) -> str | None:
    path = ls.path_of(uri)
    folder = ls.daemon.folder_of(path) if ls.daemon and path else None
    if path is None:
        return None
    return path.relative_to(folder.root).as_posix() if folder else path.name
