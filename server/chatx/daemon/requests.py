"""What the workspace socket answers (`endpoint.serve`), over the daemon that serves the folder:
the same query, actions and status as the CLI, the prompt hook's context, and re-index runs.
Results are the CLI's JSON contracts; the hook context is gated like an MCP result.
"""

from __future__ import annotations

import asyncio
import os
from datetime import date
from pathlib import Path
from typing import Any

from chatx.agent.context import context_for
from chatx.assistant import ActionInput
from chatx.config import load_settings
from chatx.daemon.service import Daemon, Folder
from chatx.endpoint import Handler
from chatx.index.status import workspace_status
from chatx.index.store import Filters
from chatx.problems import ChatxError, ProblemCode


def filters_of(params: dict[str, Any]) -> Filters:
    """The prefilters of a request (dates as ISO days)."""
    raw = dict(params.get("filters") or {})
    for key in ("since", "until"):
        if raw.get(key):
            raw[key] = date.fromisoformat(raw[key])
    return Filters(**raw)


def handlers(daemon: Daemon, folder: Folder) -> dict[str, Handler]:
    """The socket's methods for `folder`."""

    async def ping(_: dict[str, Any]) -> dict[str, Any]:
        return {"pid": os.getpid(), "workspace": str(folder.root), "ready": daemon.is_ready()}

    async def query(params: dict[str, Any]) -> Any:
        await daemon.ready()
        found = await asyncio.to_thread(
            folder.search.query, params["query"], int(params.get("k", 8)), filters_of(params)
        )
        return found.model_dump(mode="json")

    async def action(params: dict[str, Any]) -> Any:
        request = ActionInput(**params["input"])
        result = await daemon.assistant().run(
            request, params.get("backend"), params.get("allow_cloud")
        )
        return result.model_dump(mode="json")

    async def context(params: dict[str, Any]) -> Any:
        await daemon.ready()
        prompt = params["prompt"]
        return await asyncio.to_thread(prompt_context, daemon, folder, prompt)

    async def reindex(params: dict[str, Any]) -> Any:
        paths = frozenset(Path(p).resolve() for p in params["paths"])
        outside = [p for p in paths if folder.root not in p.parents]
        if outside:
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"not in {folder.root}: {outside[0]}")
        if folder.lock.locked():  # a run is going on: queue the paths, never make an agent wait
            daemon.changed(folder, set(paths))
            return {"indexed": False, "queued": len(paths)}
        summary = await daemon.index(folder, optimize=False, paths=paths)
        return {"indexed": True, "files": summary.files_indexed}

    async def refresh(_: dict[str, Any]) -> Any:
        daemon.changed(folder)
        return {"started": True}

    async def status(_: dict[str, Any]) -> Any:
        report = await asyncio.to_thread(workspace_status, folder.root, daemon.settings)
        return report.model_dump(mode="json")

    return {
        "ping": ping,
        "query": query,
        "action": action,
        "context": context,
        "reindex": reindex,
        "refresh": refresh,
        "status": status,
    }


def prompt_context(daemon: Daemon, folder: Folder, prompt: str) -> str:
    """The prompt hook's context from `folder` (blocking). It is gated unless both the
    daemon's settings and the workspace's own turn `agentShield` off: an editor's options
    must not switch the gate off for an agent."""
    settings = daemon.settings
    if not settings.agent.shield and load_settings(folder.root).agent.shield:
        settings = settings.model_copy(
            update={"agent": settings.agent.model_copy(update={"shield": True})}
        )
    recaller = folder.recaller(daemon.embedder)
    return context_for(prompt, folder.search, settings, daemon.shield, recaller)
