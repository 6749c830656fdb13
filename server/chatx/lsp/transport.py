"""LSP framing that survives a bad frame, and one session of the server over a byte stream.

pygls' reader only recognises an exact `Content-Length: N` line: after a bad header, a wrong
length or a body without a newline, it reads the next header glued to the previous body and
stays deaf to every later message. Here a framing error is logged and the reader skips to
the next `Content-Length` header, so the next well-framed message is served.

A valid JSON body never holds `Content-Length: <digits>` followed by a raw CR LF (a JSON
string cannot contain raw line breaks, and outside strings that text is no JSON), so finding
one inside a body proves its declared length was wrong: that is the header to resume at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import threading
from typing import Protocol

from pygls.io_ import StdoutWriter

from chatx.lsp.context import ChatxServer
from chatx.lsp.logs import session_logs

log = logging.getLogger("chatx.lsp.transport")

HEADER = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*\r\n", re.IGNORECASE)
FIELD = re.compile(rb"([!-9;-~]+):[ \t]*(.*?)[ \t]*")
MAX_HEADER = 8 * 1024  # bytes before the blank line that ends a header block
MAX_BODY = 512 * 1024 * 1024
CHUNK = 64 * 1024


class Writer(Protocol):
    """What pygls writes responses to."""

    def write(self, data: bytes) -> object:
        """Send bytes."""

    def close(self) -> object:
        """Close the stream."""


class FramingError(ValueError):
    """A header block that does not frame a message."""


def content_length(block: bytes) -> int:
    """The body length a header block declares (the block without its final blank line)."""
    length: int | None = None
    for line in block.split(b"\r\n"):
        field = FIELD.fullmatch(line)
        if field is None:
            raise FramingError(f"not a header line: {line[:80]!r}")
        name, value = field.group(1).lower(), field.group(2)
        if name == b"content-length":
            if length is not None or not value.isdigit():
                raise FramingError(f"bad Content-Length: {value[:40]!r}")
            length = int(value)
    if length is None:
        raise FramingError("no Content-Length header")
    if length > MAX_BODY:
        raise FramingError(f"Content-Length {length} is over {MAX_BODY}")
    return length


def _partial_header(buffer: bytearray, start: int) -> int:
    """Where a header that has only begun to arrive may start at the end of `buffer`."""
    marker = b"content-length:"
    first = max(start, len(buffer) - 64)
    for at in range(first, len(buffer)):
        rest = bytes(buffer[at:]).lower()
        if marker.startswith(rest) or (
            rest.startswith(marker) and re.fullmatch(rb"[ \t]*\d*[ \t]*\r?", rest[len(marker) :])
        ):
            return at
    return len(buffer)


class FrameReader:
    """Message bodies from a `Content-Length` framed stream; `None` at the end of the stream."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._eof = False
        self._skipping = False

    async def _fill(self) -> bool:
        """Read more bytes; False at the end of the stream."""
        if not self._eof:
            chunk = await self._stream.read(CHUNK)
            self._buffer += chunk
            self._eof = not chunk
        return not self._eof

    def _skip(self, start: int, why: str) -> None:
        """Log a framing error and drop everything before the next header at or after `start`
        (or, when none has arrived yet, before what may be the beginning of one)."""
        found = HEADER.search(self._buffer, start)
        keep = found.start() if found else _partial_header(self._buffer, start)
        if not self._skipping:  # one warning per stretch of garbage, not one per chunk
            log.warning("LSP framing error: %s; skipping to the next header", why)
        self._skipping = found is None
        del self._buffer[:keep]

    async def next(self) -> bytes | None:
        """The next body, after skipping whatever does not frame."""
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER:
                    self._skip(1, "a header block longer than 8 KiB")
                elif not await self._fill():
                    if self._buffer.strip():
                        log.warning("LSP stream ended inside a header: %r", self._buffer[:80])
                    return None
                continue
            try:
                length = content_length(bytes(self._buffer[:end]))
            except FramingError as exc:
                self._skip(1, str(exc))
                continue
            del self._buffer[: end + 4]
            self._skipping = False
            body = await self._body(length)
            if body is not None:
                return body
            if self._eof and not self._buffer:
                return None

    def recover(self, body: bytes) -> None:
        """After a body that is not JSON: when a header starts inside it (its declared length
        was too long), resume reading there."""
        found = HEADER.search(body + bytes(self._buffer[:MAX_HEADER]), 1)
        if found is not None and found.start() < len(body):
            log.warning("LSP framing error: a message began inside the previous body; resumed")
            self._buffer[:0] = body[found.start() :]

    async def _body(self, length: int) -> bytes | None:
        """`length` bytes, or None when another header shows up inside them (the declared
        length was too long) or the stream ends first."""
        searched = 0
        while True:
            end = min(length, len(self._buffer))
            found = HEADER.search(self._buffer, max(0, searched - 64), end)
            if found is not None:
                self._skip(found.start(), f"Content-Length {length} runs into the next message")
                return None
            if len(self._buffer) >= length:
                body = bytes(self._buffer[:length])
                del self._buffer[:length]
                return body
            searched = len(self._buffer)
            if not await self._fill():
                log.warning("LSP stream ended inside a body of %d bytes", length)
                self._buffer.clear()
                return None


class _SessionWriter:
    """Drops what is written after the session ended (late progress, log records)."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self.closed = False

    def write(self, data: bytes) -> None:
        if not self.closed:
            self._writer.write(data)

    def close(self) -> None:
        self.closed = True


async def run_session(ls: ChatxServer, stream: asyncio.StreamReader, writer: Writer) -> int:
    """Serve one client over `stream`/`writer` until it exits or disconnects; the exit code.

    At the end the session's daemon stops (index runs, watcher) and its requests are
    cancelled; the caller closes the stream.
    """
    protocol = ls.protocol
    session_writer = _SessionWriter(writer)
    protocol.set_writer(session_writer)
    frames = FrameReader(stream)
    with session_logs(ls):
        try:
            while not protocol.closed and (body := await frames.next()) is not None:
                if not protocol.receive(body):
                    frames.recover(body)
        finally:
            session_writer.close()
            for future in list(protocol._request_futures.values()):
                future.cancel()
            if ls.daemon is not None:
                await ls.daemon.shutdown()
    return protocol.exit_code


def _stdin_stream(loop: asyncio.AbstractEventLoop) -> asyncio.StreamReader:
    """stdin as a StreamReader, fed by a thread (works for pipes, files and terminals, and
    leaves the descriptor's flags alone, unlike `connect_read_pipe`)."""
    stream = asyncio.StreamReader()
    fd = sys.stdin.fileno()

    def pump() -> None:
        chunk = b"-"
        while chunk:
            try:
                chunk = os.read(fd, CHUNK)
            except OSError:
                chunk = b""
            try:
                if chunk:
                    loop.call_soon_threadsafe(stream.feed_data, chunk)
                else:
                    loop.call_soon_threadsafe(stream.feed_eof)
            except RuntimeError:  # the loop is closed: the server is going away
                return

    threading.Thread(target=pump, name="chatx-stdin", daemon=True).start()
    return stream


def serve_stdio(ls: ChatxServer) -> int:
    """Serve one client over stdin/stdout; the exit code (0 after shutdown + exit)."""

    async def main() -> int:
        stream = _stdin_stream(asyncio.get_running_loop())
        return await run_session(ls, stream, StdoutWriter(sys.stdout.buffer))

    try:
        return asyncio.run(main())
    except BrokenPipeError:
        log.error("the client closed the connection")
        return 1
    finally:
        with contextlib.suppress(Exception):
            ls.shutdown()  # type: ignore[no-untyped-call]
