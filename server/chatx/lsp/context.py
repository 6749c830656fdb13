"""The server object every handler receives, and the guard that keeps one failing feature
from taking down a request or the server."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Generator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import MsgId
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from chatx.config import Settings
from chatx.daemon import Daemon
from chatx.models import Problem
from chatx.problems import ChatxError, ProblemCode, make_problem

log = logging.getLogger("chatx.lsp")
P = ParamSpec("P")
R = TypeVar("R")


class ProblemError(JsonRpcException):
    """A ResponseError whose `data` is an RFC 7807 Problem."""

    def __init__(self, problem: Problem, code: int = -32602) -> None:
        super().__init__(problem.detail, code, problem.model_dump(mode="json"))


class ChatxProtocol(LanguageServerProtocol):
    """pygls' protocol, except that an unknown command is answered with a Problem."""

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        """Run a registered command; an unknown one is an INVALID_INPUT problem."""
        if params.command not in self.fm.commands:
            known = ", ".join(sorted(self.fm.commands))
            problem = make_problem(
                ProblemCode.INVALID_INPUT,
                f"unknown command {params.command!r}; known: {known}",
                params.command,
            )
            raise ProblemError(problem)
        return (yield from super().lsp_workspace__execute_command(params))

    def _handle_cancel_notification(self, msg_id: MsgId) -> None:
        """`$/cancelRequest`: pygls answers the request as cancelled but cannot stop a command
        already running; a model call registered under the request's id is cancelled here."""
        super()._handle_cancel_notification(msg_id)
        server = cast(ChatxServer, self._server)
        task = server.running.pop(msg_id, None)
        if task is not None:
            task.cancel()


class ChatxServer(LanguageServer):
    """pygls server plus the session's daemon, settings and last selection per document."""

    def __init__(self) -> None:
        from chatx import __version__

        super().__init__("chatx", __version__, protocol_cls=ChatxProtocol, max_workers=4)
        self.settings = Settings.model_validate({})
        self.daemon: Daemon | None = None
        self.selections: dict[str, types.Range] = {}
        self.scans: dict[str, asyncio.Task[None]] = {}  # Policy Shield scan waiting, per document
        self.running: dict[MsgId, asyncio.Task[Any]] = {}  # model calls, by request id
        self.pending_warnings: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    def path_of(self, uri: str) -> Path | None:
        """The file system path of a `file://` URI."""
        path = to_fs_path(uri)
        return Path(path) if path else None

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """Tell the user something (window/showMessage)."""
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))


def guarded(
    default: Callable[[], object],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Log a failing handler with its traceback and answer `default()` instead.

    A `ChatxError` becomes a ResponseError carrying its Problem; cancellation passes through.
    """

    def wrap(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(handler)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await handler(*args, **kwargs)
            except ChatxError as exc:
                raise ProblemError(exc.problem) from exc
            except JsonRpcException:
                raise
            except Exception:
                log.exception("%s failed", handler.__name__)
                return cast(R, default())

        return run

    return wrap
