"""`chatx serve --tcp` listens on loopback only (a client presents the server's token); a
failing feature answers empty, not an error."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from chatx.lsp.context import guarded


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> list[str]:
    """Local addresses listening on `port` (from /proc/net/tcp, state 0A = LISTEN)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


async def test_tcp_on_loopback_only(workspace: Path, tmp_path: Path) -> None:
    port = free_port()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    server = subprocess.Popen(
        [sys.executable, "-m", "chatx", "serve", "--tcp", "--port", str(port)],
        stderr=subprocess.DEVNULL,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
    )
    token_file = runtime / "chatx" / f"tcp-{port}.token"
    try:
        deadline = time.monotonic() + 30
        while not listening(port) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert listening(port) == ["0100007F"]  # 127.0.0.1, nothing else
        client = LanguageClient("tcp-test", "1")
        await client.start_tcp("127.0.0.1", port)
        result = await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=workspace.as_uri(),
                initialization_options={"token": token_file.read_text().strip()},
            )
        )
        assert result.server_info is not None and result.server_info.name == "chatx"
        assert result.capabilities.hover_provider
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)


async def test_a_failing_feature_is_logged_and_answers_its_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @guarded(list)
    async def broken(ls: object, params: object) -> list[str]:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="chatx.lsp"):
        assert await broken(None, None) == []
    assert "broken failed" in caplog.text and "RuntimeError: boom" in caplog.text
