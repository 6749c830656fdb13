"""workspace/executeCommand: chatx.reindex, chatx.query, chatx.status (the CLI's contracts)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chatx.index.store import Filters
from chatx.lsp.context import ChatxServer, ProblemError, guarded
from chatx.lsp.lifecycle import index_with_progress
from chatx.problems import ProblemCode, make_problem

REINDEX, QUERY, STATUS = "chatx.reindex", "chatx.query", "chatx.status"
M = TypeVar("M", bound=BaseModel)


class QueryArgs(BaseModel):
    """Arguments of `chatx.query`: a string, or an object with the CLI's options."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    query: str = Field(min_length=1)
    k: int = Field(8, ge=1, le=100)
    kind: Literal["chat", "doc"] | None = None
    since: date | None = None
    until: date | None = None
    participant: str | None = None
    platform: str | None = None
    path_glob: str | None = Field(None, alias="pathGlob")

    def filters(self) -> Filters:
        """The search prefilters."""
        return Filters.of(self)


def invalid_arguments(exc: ValidationError, command: str) -> ProblemError:
    """An INVALID_INPUT problem naming each bad argument of `command`."""
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return ProblemError(make_problem(ProblemCode.INVALID_INPUT, detail, command))


def parse_arguments(model: type[M], args: tuple[Any, ...], command: str) -> M:
    """A command's first argument as `model`; INVALID_INPUT naming each bad field."""
    try:
        return model.model_validate(args[0] if args else None)
    except ValidationError as exc:
        raise invalid_arguments(exc, command) from exc


def _daemon(ls: ChatxServer) -> Any:
    if ls.daemon is None:
        raise ProblemError(make_problem(ProblemCode.NOT_INDEXED, "the server is not initialized"))
    return ls.daemon


@guarded()
async def reindex(ls: ChatxServer, *args: Any) -> list[dict[str, Any]]:
    """Index every folder now, with progress; the `chatx index --json` summary per folder."""
    daemon = _daemon(ls)
    summaries = [await index_with_progress(ls, folder) for folder in daemon.folders]
    return [summary.model_dump(mode="json") for summary in summaries]


@guarded()
async def query(ls: ChatxServer, *args: Any) -> dict[str, Any]:
    """Search the index; the result is the `chatx query --json` contract."""
    daemon = _daemon(ls)
    raw = args[0] if args else None
    try:
        parsed = QueryArgs.model_validate({"query": raw} if isinstance(raw, str) else raw)
    except ValidationError as exc:
        raise invalid_arguments(exc, QUERY) from exc
    await daemon.ready()
    result = await asyncio.to_thread(daemon.query, parsed.query, parsed.k, parsed.filters())
    return dict(result.model_dump(mode="json"))


@guarded()
async def status(ls: ChatxServer, *args: Any) -> dict[str, Any]:
    """The `chatx status --json` contract of a folder (argument: its path; default the first)."""
    daemon = _daemon(ls)
    folder = daemon.folders[0] if daemon.folders else None
    if args and isinstance(args[0], str):
        path = ls.path_of(args[0]) if args[0].startswith("file:") else Path(args[0])
        folder = daemon.folder_of(path.resolve()) if path else None
    if folder is None:
        raise ProblemError(make_problem(ProblemCode.INVALID_INPUT, "no such workspace folder"))
    report = await asyncio.to_thread(daemon.status, folder)
    return dict(report.model_dump(mode="json"))
