"""Helpers for the end-to-end tests: `chatx serve` started as a subprocess over stdio and
driven by pytest-lsp's real LSP client."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

SERVER = [sys.executable, "-m", "chatx", "serve"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def make_client() -> LanguageClient:
    """pytest-lsp's client, with a structure hook for code action results.

    lsprotocol 2025.0.0's client converter turns a CodeAction that carries a `command` into a
    Command; an object with a title and any CodeAction-only field is a CodeAction.
    """
    client = make_test_lsp_client()
    converter = client.protocol._converter
    action_fields = {"kind", "edit", "data", "diagnostics", "isPreferred", "disabled"}

    def structure(value: Any, _: Any) -> types.CodeAction | types.Command:
        if isinstance(value.get("command"), str) and not action_fields & value.keys():
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    converter.register_structure_hook(types.CodeAction | types.Command, structure)
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=ENV)


async def wait_for(check: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    """Poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 10.0) -> None:
    """Await `check()` repeatedly until it is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def index_runs_ended(client: LanguageClient) -> list[str]:
    """The end messages of every finished `ChatX: indexing` progress."""
    ended = []
    for reports in client.progress_reports.values():
        begun = any(isinstance(r, types.WorkDoneProgressBegin) for r in reports)
        ends = [r for r in reports if isinstance(r, types.WorkDoneProgressEnd)]
        if begun and ends:
            ended.append(ends[-1].message or "")
    return ended


async def start_session(
    client: LanguageClient,
    root: Path,
    capabilities: str = "visual-studio-code",
    options: dict[str, Any] | None = None,
) -> None:
    """initialize + initialized for `root`, then wait for the first index run to end."""
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(capabilities),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options or {},
        )
    )
    await wait_for(lambda: index_runs_ended(client), what="the first index run")


def open_doc(client: LanguageClient, path: Path, language: str) -> str:
    """textDocument/didOpen with the file's text; returns its URI."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, language, 1, path.read_text(encoding="utf-8"))
        )
    )
    return uri


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply TextEdits (ASCII text, so UTF-16 columns are characters) to a document."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text
