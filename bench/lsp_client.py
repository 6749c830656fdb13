"""The LSP client the daemon benchmarks drive `chatx serve` with: a pygls LanguageClient over
stdio that counts finished progress, drains the server's stderr and shuts it down cleanly."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient


class ServerSession:
    """`chatx serve` in a subprocess with one workspace folder; `ended` counts `$/progress`
    ends (an index run finished)."""

    def __init__(self, ws: Path, name: str) -> None:
        self.ws = ws
        self.client = LanguageClient(name, "1")
        self.ended = 0
        self.pid = 0
        self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda ls, params: None)

        @self.client.feature(types.PROGRESS)
        def progress(ls: Any, params: types.ProgressParams) -> None:
            if isinstance(params.value, dict) and params.value.get("kind") == "end":
                self.ended += 1

    async def start(self, options: dict[str, Any] | None = None) -> float:
        """Start the server and initialize it on the workspace (with `options` as its
        initialization options); the perf_counter time it was started at."""
        started = time.perf_counter()
        await self.client.start_io(sys.executable, "-m", "chatx", "serve")
        self.pid = self.client._server.pid  # type: ignore[union-attr]
        self._drainer = asyncio.create_task(self._drain())
        capabilities = types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True)
        )
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities,
                root_uri=self.ws.as_uri(),
                workspace_folders=[types.WorkspaceFolder(self.ws.as_uri(), "ws")],
                initialization_options=options,
            )
        )
        self.client.initialized(types.InitializedParams())
        return started

    async def _drain(self) -> None:
        stream = self.client._server.stderr  # type: ignore[union-attr]
        while await stream.readline():
            pass

    async def stop(self) -> None:
        """Shut the server down."""
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await asyncio.sleep(0.5)
        await self.client.stop()
