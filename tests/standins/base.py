"""Test fixture: the shared part of the stand-in model servers (ThreadingHTTPServer on
127.0.0.1 or a given address, an ephemeral port unless told, a queue of scripted faults, every
request body recorded)."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StandIn:
    """A stand-in server; subclasses set `handler` to their protocol's request handler."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(
        self,
        answer: str = "Roll back with helm rollback orders 41 [1].",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.answer = answer
        self.faults: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.slow_s = 3.0
        server = ThreadingHTTPServer((host, port), self.handler)
        server.daemon_threads = True
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """`http://<address>:<port>`."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, *faults: str) -> None:
        """Script the next requests' faults, in order."""
        self.faults.extend(faults)

    def next_fault(self) -> str | None:
        """The fault scripted for this request, if any."""
        return self.faults.popleft() if self.faults else None

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Handler(BaseHTTPRequestHandler):
    """JSON in, JSON / NDJSON / SSE out."""

    protocol_version = "HTTP/1.1"

    @property
    def standin(self) -> Any:
        return self.server.standin  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def body(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length") or 0)
        data: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
        self.standin.paths.append(self.path)
        return data

    def send_json(
        self, status: int, payload: object, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def pieces(text: str) -> list[str]:
    """`text` split into word-sized stream pieces."""
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
