"""The server object every handler receives, and the guard that keeps one failing feature
from taking down a request or the server."""

from __future__ import annotations

import asyncio
import functools
import hmac
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Generator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from cattrs import Converter
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import MsgId, RPCRequest
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from chatx.config import Settings
from chatx.daemon import Daemon
from chatx.lsp import rpc
from chatx.models import Problem
from chatx.problems import ChatxError, ProblemCode, jsonrpc_code, make_problem

log = logging.getLogger("chatx.lsp")
P = ParamSpec("P")
R = TypeVar("R")


class ProblemError(JsonRpcException):
    """A ResponseError whose `data` is an RFC 7807 Problem; its code follows from the
    problem's (`problems.jsonrpc_code`) unless given."""

    def __init__(self, problem: Problem, code: int | None = None) -> None:
        code = jsonrpc_code(problem.code) if code is None else code
        super().__init__(problem.detail, code, problem.model_dump(mode="json"))


class ChatxProtocol(LanguageServerProtocol):
    """pygls' protocol, made to answer every request.

    Params that do not structure get InvalidParams with a Problem, an unknown command a
    Problem, a second `initialize` or a request after `shutdown` InvalidRequest; a body that
    is not JSON-RPC gets ParseError / InvalidRequest. With a `token` (TCP), a connection whose
    first message is not an `initialize` carrying it is answered with an error and closed.
    Expected rejections are logged at debug level with their traceback.
    """

    _server: ChatxServer

    def __init__(self, server: LanguageServer, converter: Converter) -> None:
        super().__init__(server, converter)
        self.token: str | None = None  # the token a client must present (TCP), or None
        self.closed = False  # the session is over: exit, or a refused connection
        self.exit_code = 0
        self._initialize_seen = False

    def receive(self, body: bytes) -> bool:
        """Handle one framed message body; False when it is not JSON (answered ParseError)."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            log.warning("an LSP message body is not JSON (%s); answered ParseError", exc)
            self.reply_error(None, JsonRpcParseError(f"the message body is not JSON: {exc}"))
            return False
        if not _is_jsonrpc(data):
            log.warning("an LSP message is not a JSON-RPC 2.0 message; answered InvalidRequest")
            msg_id = rpc.message_id(data) if isinstance(data, dict) else None
            self.reply_error(msg_id, JsonRpcInvalidRequest("not a JSON-RPC 2.0 message"))
            return True
        try:
            message = self.structure_message(data)
        except JsonRpcException as exc:  # a response to one of our requests that did not structure
            if (msg_id := rpc.message_id(data)) is not None:
                self._handle_response(msg_id, None, exc.to_response_error())
            return True
        try:
            self.handle_message(message)
        except Exception:
            log.exception("handling %s failed", data.get("method", "a response"))
            if "method" in data and "id" in data:
                self.reply_error(rpc.message_id(data), JsonRpcInternalError("internal error"))
        return True

    def structure_message(self, data: dict[str, Any]) -> Any:
        """A request or notification that does not structure becomes `rpc.Rejected`, which
        `handle_message` answers; pygls would raise out of its reader and never reply."""
        method = data.get("method")
        if "jsonrpc" not in data or not isinstance(method, str) or "error" in data:
            return super().structure_message(data)
        return rpc.structure(self._converter, self.get_message_type(method), data)

    def handle_message(self, message: Any) -> None:
        """Answer rejected messages, keep the session's gate, then let pygls dispatch."""
        if self.closed:
            return
        if isinstance(message, rpc.Rejected):
            self._reject(message)
            return
        is_request = isinstance(message, RPCRequest)
        method = getattr(message, "method", None)
        if method == types.INITIALIZE and is_request:
            if not self._admit(message):
                return
        elif self.token is not None and not self._initialize_seen:
            self._refuse(message, f"its first message was {method or 'a response'}")
            return
        if self._shutdown and is_request:
            self.reply_error(message.id, JsonRpcInvalidRequest("the server is shutting down"))
            return
        super().handle_message(message)

    def _admit(self, message: types.InitializeRequest) -> bool:
        """A first `initialize` (with the right token, when one is required) is let through;
        the token is taken out of the options so that settings never see it."""
        options = message.params.initialization_options
        presented = options.pop("token", None) if isinstance(options, dict) else None
        if self._initialize_seen:
            self.reply_error(message.id, JsonRpcInvalidRequest("initialize was already received"))
            return False
        if self.token is not None and not _same(presented, self.token):
            self._refuse(message, "its initialize did not carry the right token")
            return False
        self._initialize_seen = True
        return True

    def _refuse(self, message: Any, why: str) -> None:
        """Answer (a request) and close an unauthenticated connection."""
        log.warning("refused a TCP connection: %s", why)
        if isinstance(message, RPCRequest):
            detail = (
                "this ChatX server needs the token of `chatx serve --tcp --print-token-path` "
                "in initializationOptions.token of the first request, an initialize"
            )
            problem = make_problem(ProblemCode.INVALID_INPUT, detail, message.method)
            self.reply_error(message.id, ProblemError(problem, rpc.INVALID_REQUEST))
        self.closed = True

    def _reject(self, rejected: rpc.Rejected) -> None:
        """InvalidParams with the Problem for a request; a notification is logged and dropped."""
        log.debug("rejected %s", rejected.method, exc_info=rejected.error)
        if not rejected.is_request:
            log.warning("dropped a %s notification: %s", rejected.method, rejected.problem.detail)
            return
        log.info("answered %s with InvalidParams: %s", rejected.method, rejected.problem.detail)
        self.reply_error(rejected.msg_id, ProblemError(rejected.problem, rejected.code))

    def reply_error(self, msg_id: MsgId | None, error: JsonRpcException) -> None:
        """Send an error response; without a usable id, with `"id": null` as JSON-RPC says."""
        if msg_id is not None:
            self._send_response(msg_id, error=error.to_response_error())
            return
        response = {"jsonrpc": "2.0", "id": None, "error": error.to_response_error()}
        self._send_data(self._converter.unstructure(response))

    def _send_handler_result(self, future: Future[Any], *, msg_id: MsgId) -> None:
        """An expected rejection (a JSON-RPC error such as a Problem) is answered with its
        traceback in the debug log only; anything else goes the pygls way (logged as an error)."""
        error = None if future.cancelled() else future.exception()
        if not isinstance(error, JsonRpcException):
            super()._send_handler_result(future, msg_id=msg_id)
            return
        self._request_futures.pop(msg_id, None)
        log.debug("request %s answered with error %s", msg_id, error.code, exc_info=error)
        self._send_response(msg_id, error=error.to_response_error())

    # pygls' own executeCommand is a generator that runs the command as a separate task, which
    # `$/cancelRequest` cannot reach. As a coroutine, the command runs in the request's own task,
    # which pygls cancels on `$/cancelRequest` (an async handler's documented behaviour).
    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(  # type: ignore[override]
        self, params: types.ExecuteCommandParams
    ) -> Any:
        """Run a registered command (ChatX's are coroutines) with its JSON arguments, in this
        request's task so that `$/cancelRequest` cancels it; an unknown one is an INVALID_INPUT
        problem."""
        command = self.fm.commands.get(params.command)
        if command is None:
            known = ", ".join(sorted(self.fm.commands))
            problem = make_problem(
                ProblemCode.INVALID_INPUT,
                f"unknown command {params.command!r}; known: {known}",
                params.command,
            )
            raise ProblemError(problem)
        result = command(*(params.arguments or ()))
        return await result if inspect.isawaitable(result) else result

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """End this session; the transport then closes it (under TCP other sessions go on)."""
        self.exit_code = 0 if self._shutdown else 1
        self.closed = True
        yield from ()


def _is_jsonrpc(data: Any) -> bool:
    """A JSON-RPC 2.0 envelope: an object, version 2.0, and a string method if any."""
    return (
        isinstance(data, dict)
        and data.get("jsonrpc") == "2.0"
        and isinstance(data.get("method", ""), str)
    )


def _same(presented: Any, token: str) -> bool:
    """Constant-time comparison of the presented token with ours."""
    if not isinstance(presented, str):
        return False
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass")
    )


class ChatxServer(LanguageServer):
    """pygls server plus the session's daemon, settings and last selection per document."""

    protocol: ChatxProtocol

    def __init__(self) -> None:
        from chatx import __version__

        super().__init__(
            "chatx",
            __version__,
            protocol_cls=ChatxProtocol,
            converter_factory=rpc.make_converter,
            max_workers=4,
        )
        self.settings = Settings.model_validate({})
        self.daemon: Daemon | None = None
        self.selections: dict[str, types.Range] = {}
        self.scans: dict[str, asyncio.Task[None]] = {}  # Policy Shield scan waiting, per document
        self.scan_state: dict[str, Any] = {}  # per document: block findings (lsp/diagnostics)
        self._lines: dict[str, tuple[str, list[str]]] = {}  # per document: its text, split
        # model calls by request id; `$/cancelRequest` cancels the request's own task instead
        self.pending_warnings: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    def path_of(self, uri: str) -> Path | None:
        """The file system path of a `file://` URI."""
        path = to_fs_path(uri)
        return Path(path) if path else None

    def lines_of(self, document: TextDocument) -> list[str]:
        """The document's lines, split once per version of its text (hover asks often, and a
        large document costs milliseconds to split)."""
        source = document.source
        cached = self._lines.get(document.uri)
        if cached is None or cached[0] is not source:
            cached = (source, source.splitlines(True))
            self._lines[document.uri] = cached
        return cached[1]

    def forget(self, uri: str) -> None:
        """Drop what is kept for a closed document."""
        self._lines.pop(uri, None)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """Tell the user something (window/showMessage)."""
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))


def guarded(
    default: Callable[[], object] | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Keep a failing handler from failing the request or the server.

    A `ChatxError` becomes a ResponseError carrying its Problem; JSON-RPC errors and
    cancellation pass through. Anything else is logged with its traceback, then a feature
    (hover, completion, code actions: `default` given) answers `default()` and a command
    (no `default`) answers a ResponseError with an INTERNAL Problem.
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
            except Exception as exc:
                log.exception("%s failed", handler.__name__)
                if default is None:
                    detail = f"{handler.__name__} failed ({type(exc).__name__}); see the log"
                    problem = make_problem(ProblemCode.INTERNAL, detail)
                    raise ProblemError(problem) from exc
                return cast(R, default())

        return run

    return wrap
