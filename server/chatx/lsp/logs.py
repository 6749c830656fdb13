"""Warnings and errors also go to the client's log (window/logMessage); stdout stays the
protocol's."""

from __future__ import annotations

import contextlib
import logging

from lsprotocol import types

from chatx.lsp.context import ChatxServer

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}


class ClientLogHandler(logging.Handler):
    """Sends records to the client once it is connected, from any thread."""

    def __init__(self, ls: ChatxServer, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        """Forward one record; never raise (logging must not break a request)."""
        loop = self.ls.loop
        if loop is None or loop.is_closed():
            return
        kind = _LEVELS.get(record.levelno, types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=self.format(record))
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self.ls.window_log_message, params)


def forward_logs(ls: ChatxServer) -> None:
    """Attach a ClientLogHandler to the `chatx` loggers."""
    handler = ClientLogHandler(ls)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger("chatx").addHandler(handler)
