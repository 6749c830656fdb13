"""The workspace's local endpoint: the process that serves a workspace (`chatx serve` or
`chatx mcp`) listens on `.claude-context/daemon.sock` (mode 0600, same user only), so that
`chatx query`, `chatx ask` and the Claude Code hooks reuse its loaded models and open index
instead of loading them again.

One process per workspace owns the socket: the one that holds `daemon.lock` (an flock, freed
by the kernel when its holder dies, so a stale socket file is replaced, never trusted). A
second `chatx serve` or `chatx mcp` on the same workspace runs without one.

One request per connection: a JSON line `{"method", "params"}`, answered by one JSON line,
`{"result": ...}` or `{"problem": <RFC 7807>}`. The client (`call`) is import-light so that a
hook answered by the daemon stays a short process; it returns `None` when no daemon answers,
and the caller then does the work in-process (asyncio and the models load only in a server).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import stat
import struct
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatx import STATE_DIR

if TYPE_CHECKING:
    import asyncio

    from chatx.daemon.service import Daemon, Folder

log = logging.getLogger(__name__)

SOCKET_NAME = "daemon.sock"
LOCK_NAME = "daemon.lock"
MAX_SOCKET_PATH = 107  # sun_path is 108 bytes with its NUL on Linux
MAX_LINE = 16 * 1024 * 1024
CONNECT_TIMEOUT_S = 0.25


def socket_path(workspace: Path) -> Path:
    """Where the daemon of `workspace` listens."""
    return workspace / STATE_DIR / SOCKET_NAME


# -- client --------------------------------------------------------------------------------
class DaemonError(Exception):
    """The daemon answered with a problem (an RFC 7807 object)."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail", "the daemon failed"))
        self.problem = problem


def call(workspace: Path, method: str, params: dict[str, Any], timeout: float) -> Any | None:
    """`method` answered by the workspace's daemon, or `None` when no daemon of this user
    listens there (no socket, a dead one, another owner). Once the request is sent, a timeout
    or a broken answer is a `DaemonError` (TIMEOUT, INTERNAL), never a silent `None`: the
    caller must not do the work a second time. A problem answer raises `DaemonError` too."""
    path = socket_path(workspace)
    if not _own_socket(path):
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        try:
            conn.settimeout(CONNECT_TIMEOUT_S)
            conn.connect(os.fspath(path))
        except OSError as exc:  # refused (a stale socket), gone
            log.debug("no daemon at %s: %s", path, exc)
            return None
        if _peer_uid(conn) not in (None, os.getuid()):
            log.warning("%s is served by another user; not using it", path)
            return None
        try:
            conn.settimeout(timeout)
            conn.sendall(json.dumps({"method": method, "params": params}).encode() + b"\n")
            answer = _read_line(conn)
            reply = json.loads(answer) if answer else None
        except (OSError, ValueError) as exc:
            code = "TIMEOUT" if isinstance(exc, TimeoutError) else "INTERNAL"
            raise DaemonError(
                {"code": code, "detail": f"the daemon at {path} did not answer {method}: {exc}"}
            ) from exc
    if not isinstance(reply, dict):
        raise DaemonError(
            {"code": "INTERNAL", "detail": f"the daemon closed without answering {method}"}
        )
    if "problem" in reply:
        raise DaemonError(reply["problem"])
    log.debug("%s answered by the daemon at %s", method, path)
    return reply.get("result")


def _own_socket(path: Path) -> bool:
    """Whether `path` is a socket (not a link to one) of this user, short enough to reach."""
    try:
        info = path.lstat()
    except OSError:
        return False
    same_user = info.st_uid == os.getuid()
    return stat.S_ISSOCK(info.st_mode) and same_user and len(os.fsencode(path)) <= MAX_SOCKET_PATH


def _peer_uid(conn: socket.socket) -> int | None:
    """The uid of the process at the other end (None where the platform does not say)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


def _read_line(conn: socket.socket) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        data = conn.recv(65536)
        if not data:
            return None
        chunks.append(data)
        if data.endswith(b"\n"):
            return b"".join(chunks)


# -- server --------------------------------------------------------------------------------
Handler = Callable[[dict[str, Any]], Awaitable[Any]]


async def serve(handlers: dict[str, Handler], workspace: Path) -> None:
    """Answer `handlers`' methods on the workspace's socket until cancelled; nothing when
    another process owns it or the path is too long for a Unix socket."""
    import asyncio

    claimed = _claim(workspace)
    if claimed is None:
        return
    lock, sock = claimed
    path = socket_path(workspace)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            conn = writer.get_extra_info("socket")
            if conn is None or _peer_uid(conn) not in (None, os.getuid()):
                return
            line = await reader.readline()
            if line:
                reply = await _dispatch(handlers, line)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # the client went away, or sent a line longer than MAX_LINE
        finally:
            writer.close()

    server = await asyncio.start_unix_server(answer, sock=sock, limit=MAX_LINE)
    log.info("listening on %s", path)
    try:
        await asyncio.Future()  # until cancelled
    finally:
        server.close()
        path.unlink(missing_ok=True)
        lock.close()


def _claim(workspace: Path) -> tuple[Any, socket.socket] | None:
    """The lock and a bound listening socket, or `None` when another process serves.

    The socket is bound in a private (0700) folder, made 0600, then renamed into place, so it
    is never reachable by another user, and the process umask is left alone."""
    path = socket_path(workspace)
    if len(os.fsencode(path)) + 1 > MAX_SOCKET_PATH:  # + 1: bound first as `.s<8>/s`
        log.warning("no daemon socket: %s is longer than a Unix socket path may be", path)
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path.parent / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    lock = os.fdopen(descriptor, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        log.info("another chatx process serves %s", workspace)
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".s") as private:
            bound = Path(private) / "s"
            sock.bind(os.fspath(bound))
            os.chmod(bound, 0o600)
            os.replace(bound, path)  # over a socket left by a process that died
    except OSError:
        sock.close()
        lock.close()
        raise
    sock.listen(64)
    sock.setblocking(False)
    return lock, sock


async def _dispatch(handlers: dict[str, Handler], line: bytes) -> dict[str, Any]:
    from chatx.problems import ChatxError, ProblemCode, make_problem

    try:
        request = json.loads(line)
        method = request.get("method") if isinstance(request, dict) else None
        handler = handlers.get(method) if isinstance(method, str) else None
        if handler is None:
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"unknown request: {line[:80]!r}")
        params = request.get("params") or {}
        return {"result": await handler(params)}
    except ChatxError as exc:
        return {"problem": exc.problem.model_dump(mode="json")}
    except (ValueError, TypeError, KeyError) as exc:
        problem = make_problem(ProblemCode.INVALID_INPUT, f"bad request: {exc}")
        return {"problem": problem.model_dump(mode="json")}
    except Exception as exc:
        log.exception("daemon request failed")
        problem = make_problem(ProblemCode.INTERNAL, repr(exc))
        return {"problem": problem.model_dump(mode="json")}


async def serve_folder(daemon: Daemon, folder: Folder) -> None:
    """`serve` the methods of `daemon.requests` for one folder (run it with `daemon.spawn`);
    a socket that cannot be made is logged, and the folder is served without one."""
    from chatx.daemon.requests import handlers

    try:
        await serve(handlers(daemon, folder), folder.root)
    except OSError as exc:
        log.warning("no daemon socket for %s: %s", folder.root, exc)
