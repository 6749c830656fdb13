"""`chatx serve --tcp`: one session per connection, loopback only, behind a token.

pygls' `start_tcp` shares one protocol between connections (a reply goes to whichever client
connected last, and any client can re-initialize the server). Here every connection gets its
own server from the factory: its own settings, daemon, documents and replies. A client
authenticates with the token this server writes (mode 0600) to `token_path(port)`, given as
`initializationOptions.token` of its first request, an `initialize`; anything else is
answered with an error and the connection is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_config_dir, user_runtime_dir

from chatx.lsp.context import ChatxServer
from chatx.lsp.transport import run_session

log = logging.getLogger("chatx.lsp.tcp")
LOOPBACK = "127.0.0.1"


def _private(directory: Path) -> bool:
    """A directory of this user's that no one else may enter (POSIX; on Windows, any)."""
    try:
        status = directory.stat()
    except OSError:
        return False
    if os.name == "nt":
        return directory.is_dir()
    return directory.is_dir() and status.st_uid == os.getuid() and not status.st_mode & 0o077


def token_dir() -> Path:
    """The user's runtime dir for ChatX when it (or its parent) is private to the user, else
    the user's config dir."""
    runtime = Path(user_runtime_dir("chatx"))
    if _private(runtime) or _private(runtime.parent):
        return runtime
    return Path(user_config_dir("chatx"))


def token_path(port: int) -> Path:
    """Where the server listening on `port` keeps its token (`<dir>/tcp-<port>.token`)."""
    return token_dir() / f"tcp-{port}.token"


def write_token(port: int) -> tuple[Path, str]:
    """A fresh random token, written atomically with mode 0600; its path and value."""
    path = token_path(port)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(32)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tcp-", suffix=".token")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path, token


class _Acceptor:
    """Accepts connections: each one a session with a fresh server that needs the token."""

    def __init__(self, factory: Callable[[], ChatxServer]) -> None:
        self.factory = factory
        self.token = ""  # set before the server starts accepting
        self.sessions: set[asyncio.Task[None]] = set()

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection until its client exits or disconnects."""
        peer = writer.get_extra_info("peername")
        log.info("TCP client %s connected", peer)
        ls = self.factory()
        ls.protocol.token = self.token
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            await run_session(ls, reader, writer)
        finally:
            self.sessions.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            log.info("TCP client %s disconnected", peer)

    async def close(self) -> None:
        """End every session (their daemons stop) and wait for them."""
        sessions = list(self.sessions)
        for session in sessions:
            session.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)


async def _serve(factory: Callable[[], ChatxServer], port: int) -> None:
    acceptor = _Acceptor(factory)
    server = await asyncio.start_server(acceptor, LOOPBACK, port, start_serving=False)
    port = server.sockets[0].getsockname()[1]
    path, acceptor.token = write_token(port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    log.info("listening on %s:%d; clients authenticate with the token in %s", LOOPBACK, port, path)
    try:
        await server.start_serving()
        await stop.wait()
    finally:
        server.close()
        with contextlib.suppress(OSError):
            path.unlink()
        await acceptor.close()
        await server.wait_closed()


def serve_tcp(factory: Callable[[], ChatxServer], port: int) -> int:
    """Listen on 127.0.0.1:`port` (0: any free port) until SIGTERM/SIGINT; one fresh server
    from `factory` per connection."""
    asyncio.run(_serve(factory, port))
    return 0
