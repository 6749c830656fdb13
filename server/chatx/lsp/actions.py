"""`chatx.action`: a model-backed slash action (`/ask`, `/summarize`, `/reply`, `/plan-slice`,
`/tdd-loop`, `/security-review`) run in the background with cancellable `$/progress`; the
result is applied with `workspace/applyEdit` and returned (the CLI's `--json` contract).

`$/cancelRequest` on the command, or cancel in the progress UI, cancels the model call.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from lsprotocol import types
from pydantic import BaseModel, ConfigDict, Field
from pygls.exceptions import JsonRpcRequestCancelled

from chatx.assistant import ActionInput
from chatx.editor.edits import Document, Target, action_edit, action_input
from chatx.lsp.code_actions import ACTION, snapshot
from chatx.lsp.commands import parse_arguments
from chatx.lsp.context import ChatxServer, ProblemError, guarded
from chatx.lsp.progress import TaskProgress
from chatx.models import ActionResult
from chatx.problems import ProblemCode, make_problem


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


@guarded()
async def run_action(ls: ChatxServer, *args: Any) -> dict[str, Any]:
    """Run one action, apply its edit, return its result."""
    if ls.daemon is None:
        raise ProblemError(make_problem(ProblemCode.NOT_INDEXED, "the server is not initialized"))
    parsed = parse_arguments(ActionArgs, args, ACTION)
    document, target = snapshot(ls, parsed.uri), parsed.target()
    request = action_input(document, target, parsed.name, _relative(ls, parsed.uri))
    result = await _cancellable(ls, parsed, request)
    new_file = _new_file_uri(ls, document, result)
    edit = action_edit(document, target, result, ls.path_of(document.uri), new_file)
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
    try:
        async with TaskProgress(ls, f"ChatX /{parsed.name}", work):
            return await work
    except asyncio.CancelledError:
        work.cancel()
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        raise JsonRpcRequestCancelled(f"ChatX /{parsed.name} was cancelled") from None


def _new_file_uri(ls: ChatxServer, document: Document, result: ActionResult) -> str | None:
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
