"""Warnings and errors also go to the client's log (window/logMessage); stdout stays the
protocol's.

Under TCP several sessions share the process: a record logged while serving one session (in
its tasks, or in threads started with `asyncio.to_thread`) goes to that session's client only;
a record from outside any session goes to every client.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from lsprotocol import types

from chatx.lsp.context import ChatxServer

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}
SESSION: ContextVar[ChatxServer | None] = ContextVar("chatx_lsp_session", default=None)


class ClientLogHandler(logging.Handler):
    """Sends records to the client once it is connected, from any thread."""

    def __init__(self, ls: ChatxServer, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        """Forward one record; never raise (logging must not break a request)."""
        loop = self.ls.loop
        owner = SESSION.get()
        if loop is None or loop.is_closed() or (owner is not None and owner is not self.ls):
            return
        kind = _LEVELS.get(record.levelno, types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=self.format(record))
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self.ls.window_log_message, params)


def forward_logs(ls: ChatxServer) -> ClientLogHandler:
    """Attach a ClientLogHandler to the `chatx` loggers; returns it."""
    handler = ClientLogHandler(ls)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger("chatx").addHandler(handler)
    return handler


@contextlib.contextmanager
def session_logs(ls: ChatxServer) -> Iterator[None]:
    """While serving `ls`: its records go to its client; the handler is removed at the end."""
    handler = forward_logs(ls)
    owner = SESSION.set(ls)
    try:
        yield
    finally:
        SESSION.reset(owner)
        logging.getLogger("chatx").removeHandler(handler)
