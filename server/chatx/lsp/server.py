"""`chatx serve`: registers each feature's handler; the handlers live one module per feature."""

from __future__ import annotations

import logging

from lsprotocol import types

from chatx.lsp import (
    actions,
    code_actions,
    commands,
    completion,
    diagnostics,
    hover,
    lifecycle,
    memory,
)
from chatx.lsp.context import ChatxServer
from chatx.lsp.tcp import serve_tcp
from chatx.lsp.transport import serve_stdio

log = logging.getLogger("chatx.lsp")


def create_server() -> ChatxServer:
    """A server with every ChatX feature registered."""
    ls = ChatxServer()
    ls.feature(types.INITIALIZE)(lifecycle.on_initialize)
    ls.feature(types.INITIALIZED)(lifecycle.on_initialized)
    ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(lifecycle.on_did_change_configuration)
    ls.feature(types.TEXT_DOCUMENT_DID_OPEN)(diagnostics.on_did_open)
    ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)(diagnostics.on_did_change)
    ls.feature(types.TEXT_DOCUMENT_DID_SAVE)(lifecycle.on_did_save)
    ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)(lifecycle.on_did_close)
    ls.feature(types.SHUTDOWN)(lifecycle.on_shutdown)
    ls.feature(types.TEXT_DOCUMENT_HOVER)(hover.on_hover)
    ls.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=completion.TRIGGERS),
    )(completion.on_completion)
    ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.Refactor], resolve_provider=True
        ),
    )(code_actions.on_code_action)
    ls.feature(types.CODE_ACTION_RESOLVE)(code_actions.on_resolve)
    ls.command(commands.REINDEX)(commands.reindex)
    ls.command(commands.QUERY)(commands.query)
    ls.command(commands.STATUS)(commands.status)
    ls.command(code_actions.ACTION)(actions.run_action)
    ls.command(memory.REMEMBER)(memory.remember)
    ls.command(memory.FORGET)(memory.forget)
    return ls


def serve(tcp: bool = False, port: int = 2087) -> int:
    """Run the server over stdio (default) or TCP on 127.0.0.1 only, one session per
    connection behind a token; the exit code.

    Logs go to stderr (configured by the caller) and, from warnings up, to the client.
    """
    if tcp:
        return serve_tcp(create_server, port)
    return serve_stdio(create_server())
