"""A raw JSON-RPC client for end-to-end tests that send what no real client would: bad
params, broken frames, several TCP connections. Blocking I/O with a reader thread, so that a
test can wait for a reply with a timeout or check that nothing arrives."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

CHATX = [sys.executable, "-m", "chatx"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
Message = dict[str, Any]


def frame(message: Message | bytes) -> bytes:
    """A message (or a raw body) with its Content-Length header."""
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_frames(stream: IO[bytes], inbox: queue.Queue[Message | None]) -> None:
    """Parse the server's frames (well-formed) into `inbox`; None at the end of the stream."""
    try:
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line or length is None:
                break
            inbox.put(json.loads(stream.read(length)))
    except (OSError, ValueError):
        pass
    inbox.put(None)


class RawClient:
    """Sends raw bytes or JSON-RPC messages; collects replies, notifications, requests."""

    def __init__(self, stream: IO[bytes], send: Callable[[bytes], object]) -> None:
        self._send = send
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self.replies: dict[Any, Message] = {}
        self.notifications: list[Message] = []
        self.eof = False
        self.socket: socket.socket | None = None
        self._ids = iter(range(1, 1_000_000))
        threading.Thread(target=_read_frames, args=(stream, self._inbox), daemon=True).start()

    @classmethod
    def tcp(cls, port: int) -> RawClient:
        """A connection to 127.0.0.1:`port`."""
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.settimeout(None)
        client = cls(sock.makefile("rb"), sock.sendall)
        client.socket = sock
        return client

    def close(self) -> None:
        """Close a TCP connection."""
        assert self.socket is not None
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()

    def send_raw(self, data: bytes) -> None:
        """Bytes as they are, framing included (or not)."""
        self._send(data)

    def send(self, message: Message) -> None:
        """One framed message."""
        self._send(frame(message))

    def request(self, method: str, params: Any = None, timeout: float = 60) -> Message:
        """Send a request, return its response (result or error)."""
        msg_id = next(self._ids)
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.reply(msg_id, timeout)

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def _pump(self, timeout: float) -> bool:
        """Take one message from the server; False when none came within `timeout`."""
        try:
            message = self._inbox.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return False
        if message is None:
            self.eof = True
        elif "method" in message and "id" in message:  # a request of the server: accept it
            self.notifications.append(message)
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        else:
            self.replies[message.get("id")] = message
        return True

    def reply(self, msg_id: Any, timeout: float = 60) -> Message:
        """The response with `msg_id` (None: a response with `"id": null`)."""
        deadline = time.monotonic() + timeout
        while msg_id not in self.replies:
            if self.eof or not self._pump(deadline - time.monotonic()):
                raise AssertionError(f"no reply to {msg_id!r} within {timeout} s (eof={self.eof})")
        return self.replies.pop(msg_id)

    def received_within(self, seconds: float) -> list[Message]:
        """Every reply and notification that arrives within `seconds`."""
        before = len(self.notifications), dict(self.replies)
        deadline = time.monotonic() + seconds
        while not self.eof and self._pump(deadline - time.monotonic()):
            pass
        new = [r for key, r in self.replies.items() if key not in before[1]]
        return new + self.notifications[before[0] :]

    def closed_within(self, seconds: float) -> bool:
        """True when the server closes the stream within `seconds`."""
        deadline = time.monotonic() + seconds
        while not self.eof and self._pump(deadline - time.monotonic()):
            pass
        return self.eof


def initialize_params(root: Path, options: Message | None = None) -> Message:
    """initialize params for one workspace folder."""
    return {
        "processId": None,
        "rootUri": root.as_uri(),
        "capabilities": {},
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "initializationOptions": options or {},
    }


def start_stdio(args: list[str], stderr: IO[bytes]) -> tuple[subprocess.Popen[bytes], RawClient]:
    """`chatx <args>` (e.g. `serve`) over stdio, and a raw client on its pipes."""
    proc = subprocess.Popen(
        [*CHATX, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=ENV
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin

    def send(data: bytes) -> None:
        stdin.write(data)
        stdin.flush()

    return proc, RawClient(proc.stdout, send)
