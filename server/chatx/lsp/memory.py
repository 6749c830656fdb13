"""The workspace memory in the editor: `chatx.remember` (what `/remember` runs: the selection
becomes a fact about the entity it names, asking with `window/showMessageRequest` when it names
several), `chatx.forget`, and the hover of a name the memory knows."""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types
from pydantic import BaseModel, ConfigDict, Field

from chatx.daemon.service import Folder
from chatx.editor.render import memory_markdown
from chatx.lsp.commands import parse_arguments
from chatx.lsp.context import ChatxServer, ProblemError, guarded
from chatx.memory.models import EntityDetail, ObservationsToAdd
from chatx.memory.store import MemoryStore
from chatx.problems import ProblemCode, make_problem

REMEMBER, FORGET = "chatx.remember", "chatx.forget"


class RememberArgs(BaseModel):
    """`chatx.remember`: the text, where it comes from, and (optionally) whom it is about."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    uri: str | None = None
    line: int | None = Field(None, ge=1, description="1-based line of the text in `uri`")
    entity: str | None = None


class ForgetArgs(BaseModel):
    """`chatx.forget`: an entity, or one of its facts by id."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    observation: int | None = None


def _folder(ls: ChatxServer, uri: str | None) -> Folder:
    if ls.daemon is None or not ls.daemon.folders:
        raise ProblemError(make_problem(ProblemCode.NOT_INDEXED, "no workspace folder is open"))
    path = ls.path_of(uri) if uri else None
    return (ls.daemon.folder_of(path) if path else None) or ls.daemon.folders[0]


async def _memory(ls: ChatxServer, uri: str | None) -> tuple[Folder, MemoryStore]:
    folder = _folder(ls, uri)
    return folder, await asyncio.to_thread(folder.memory)


def _source(ls: ChatxServer, folder: Folder, args: RememberArgs) -> str:
    path = ls.path_of(args.uri) if args.uri else None
    if path is None:
        return "user"
    try:
        relative = path.resolve().relative_to(folder.root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return f"{relative}:{args.line}" if args.line else relative


@guarded()
async def remember(ls: ChatxServer, *args: Any) -> dict[str, Any]:
    """Store `text` as a fact about the entity it names; `{stored, entity, added, source}`."""
    parsed = parse_arguments(RememberArgs, args, REMEMBER)
    folder, memory = await _memory(ls, parsed.uri)
    names = (
        [parsed.entity] if parsed.entity else await asyncio.to_thread(memory.mentioned, parsed.text)
    )
    if not names:
        raise ProblemError(
            make_problem(
                ProblemCode.INVALID_INPUT,
                "the text names no one the memory knows; add them first "
                "(`chatx memory add NAME`), or name them in the text",
            )
        )
    entity = names[0] if len(names) == 1 else await _ask(ls, names)
    if entity is None:
        return {"stored": False, "entity": None, "added": [], "source": None}
    source = _source(ls, folder, parsed)
    item = ObservationsToAdd(entityName=entity, contents=[parsed.text])
    (added,) = await asyncio.to_thread(memory.add_observations, [item], source, "user")
    return {
        "stored": True,
        "entity": added.entity_name,
        "added": added.added_observations,
        "source": source,
    }


async def _ask(ls: ChatxServer, names: list[str]) -> str | None:
    """Which of `names` the fact is about, as the user picks it (None when dismissed)."""
    params = types.ShowMessageRequestParams(
        type=types.MessageType.Info,
        message="ChatX: remember this about whom?",
        actions=[types.MessageActionItem(title=name) for name in names],
    )
    picked = await ls.window_show_message_request_async(params)
    return picked.title if picked is not None else None


@guarded()
async def forget(ls: ChatxServer, *args: Any) -> dict[str, Any]:
    """Retire an entity, or one of its facts; `{retired}`."""
    parsed = parse_arguments(ForgetArgs, args, FORGET)
    _, memory = await _memory(ls, None)
    assert ls.daemon is not None
    retired = await asyncio.to_thread(memory.forget, parsed.name, parsed.observation)
    await ls.daemon.load_vocabulary()
    return {"retired": retired}


def entity_hover(ls: ChatxServer, uri: str, phrase: str) -> str | None:
    """Hover Markdown for `phrase` when the memory knows it as a name (blocking)."""
    folder = _folder(ls, uri)
    memory = folder.existing_memory()
    if memory is None or memory.find(phrase) is None:
        return None
    detail: EntityDetail = memory.show(phrase)
    return memory_markdown(detail)
