"""initialize / initialized / configuration / save / shutdown: the session around the features."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from chatx.config import resolve_settings
from chatx.daemon import Daemon, Folder
from chatx.endpoint import serve_folder
from chatx.lsp import diagnostics
from chatx.lsp.context import ChatxServer
from chatx.lsp.progress import IndexProgress
from chatx.models import IndexSummary

log = logging.getLogger("chatx.lsp.lifecycle")


def folders_of(ls: ChatxServer) -> list[Path]:
    """The workspace folders the client opened (the root, for clients without folders)."""
    paths = [ls.path_of(f.uri) for f in ls.workspace.folders.values()]
    roots = [p for p in paths if p is not None]
    if not roots and ls.workspace.root_path:
        roots = [Path(ls.workspace.root_path)]
    return roots


def apply_settings(ls: ChatxServer, options: Any) -> list[str]:
    """Resolve settings from the client's options; returns the warnings to show."""
    roots = folders_of(ls)
    raw = options if isinstance(options, dict) else {}
    settings, warnings = resolve_settings(roots[0] if roots else None, raw)
    ls.settings = settings
    return warnings


def on_initialize(ls: ChatxServer, params: types.InitializeParams) -> None:
    """Read the settings and open the folders' indexes; heavy work waits for `initialized`."""
    ls.loop = asyncio.get_running_loop()
    warnings = apply_settings(ls, params.initialization_options)
    ls.daemon = Daemon(folders_of(ls), ls.settings)
    ls.pending_warnings = warnings


async def on_initialized(ls: ChatxServer, params: types.InitializedParams) -> None:
    """Start the background work: embedder, vocabulary, the Shield's name model, an index run
    per folder, the watcher."""
    for warning in ls.pending_warnings:
        ls.show(f"ChatX settings: {warning}")
    ls.pending_warnings = []
    daemon = ls.daemon
    if daemon is None:
        return
    daemon.on_indexed = lambda folder, summary: log.info(
        "indexed %s: %d files, %d unchanged, %d failed, %.2f s",
        folder.root,
        summary.files_indexed,
        summary.files_unchanged,
        summary.files_failed,
        summary.seconds,
    )
    daemon.spawn(daemon.load_embedder(), "load embedder")
    daemon.spawn(daemon.load_vocabulary(), "load vocabulary")
    daemon.spawn(daemon.follow_shared(), "follow shared index")
    daemon.spawn(daemon.load_names_lexicon(), "load names lexicon")
    for folder in daemon.folders:
        daemon.spawn(index_with_progress(ls, folder, optimize=False), f"index {folder.root}")
        daemon.spawn(serve_folder(daemon, folder), f"socket {folder.root}")
    if ls.settings.editor.watch:
        daemon.spawn(daemon.watch(), "watch")


async def index_with_progress(
    ls: ChatxServer, folder: Folder, optimize: bool = True
) -> IndexSummary:
    """One index run of `folder` reported as work-done progress.

    The run at startup leaves compaction to the daemon's quiet-time maintenance, so that the
    user's first saves do not wait behind an `optimize()` of a large table.
    """
    assert ls.daemon is not None
    async with IndexProgress(ls, f"ChatX: indexing {folder.root.name}") as progress:
        summary = await ls.daemon.index(folder, observer=progress, optimize=optimize)
        cancelled = " (cancelled)" if folder.cancel.is_set() else ""
        progress.finish(
            f"{summary.files_indexed} indexed, {summary.files_unchanged} unchanged, "
            f"{summary.files_failed} failed in {summary.seconds:.1f} s{cancelled}"
        )
    if summary.files_indexed:
        diagnostics.refresh(ls)  # the participants the shield knows may have changed
    return summary


async def on_did_change_configuration(
    ls: ChatxServer, params: types.DidChangeConfigurationParams
) -> None:
    """New settings: show what was invalid, re-index when the stored rows depend on them."""
    options = params.settings
    if (
        not options
        and ls.client_capabilities.workspace
        and (ls.client_capabilities.workspace.configuration)
    ):
        items = [types.ConfigurationItem(section="chatx")]
        answer = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
        options = answer[0] if answer else None
    for warning in apply_settings(ls, options):
        ls.show(f"ChatX settings: {warning}")
    diagnostics.refresh(ls)
    if ls.daemon and ls.daemon.update_settings(ls.settings):
        for folder in ls.daemon.folders:
            ls.daemon.spawn(index_with_progress(ls, folder), f"reindex {folder.root}")


def on_did_save(ls: ChatxServer, params: types.DidSaveTextDocumentParams) -> None:
    """A saved file is re-indexed at once (the watcher catches changes made outside too)."""
    path = ls.path_of(params.text_document.uri)
    folder = ls.daemon.folder_of(path) if ls.daemon and path else None
    if folder is not None and ls.daemon is not None and path is not None:
        ls.daemon.changed(folder, {path})


def on_did_close(ls: ChatxServer, params: types.DidCloseTextDocumentParams) -> None:
    """Forget the document's last selection, its lines and its Policy Shield diagnostics."""
    ls.selections.pop(params.text_document.uri, None)
    ls.forget(params.text_document.uri)
    diagnostics.clear(ls, params.text_document.uri)


async def on_shutdown(ls: ChatxServer, params: None) -> None:
    """Cancel index runs and stop the watcher before the client sends `exit`."""
    if ls.daemon is not None:
        await ls.daemon.shutdown()
