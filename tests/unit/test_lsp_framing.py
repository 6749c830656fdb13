"""The LSP frame reader: messages split or glued in any way are read; garbage is skipped with
one warning, not one per byte; a body that mentions a header is not mistaken for one."""

from __future__ import annotations

import json
import logging

import pytest

from chatx.lsp.transport import FrameReader

ONE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}).encode()
TWO = json.dumps({"jsonrpc": "2.0", "method": "x", "params": {"text": "Content-Length: 5\r\n\r\n"}})


def frame(body: bytes, extra: bytes = b"") -> bytes:
    return b"Content-Length: %d\r\n%s\r\n" % (len(body), extra) + body


class Chunks:
    """A stream that returns exactly these chunks, one per read, then the end."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    async def read(self, n: int) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


async def bodies(chunks: list[bytes]) -> list[bytes]:
    reader, found = FrameReader(Chunks(chunks)), []  # type: ignore[arg-type]
    while (body := await reader.next()) is not None:
        found.append(body)
    return found


async def test_messages_split_byte_by_byte_or_glued_are_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = frame(ONE, b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n")
    data += frame(TWO.encode())

    assert await bodies([data[i : i + 1] for i in range(len(data))]) == [ONE, TWO.encode()]
    assert await bodies([data]) == [ONE, TWO.encode()]
    assert "framing error" not in caplog.text


async def test_garbage_is_skipped_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    garbage = bytes(range(256)).replace(b"\r", b"") * 80  # 20 KB without a header's end
    chunks = [garbage[:10_000], garbage[10_000:], b"Content-Len", b"gth: 2\r\n\r\n{}", frame(ONE)]

    with caplog.at_level(logging.WARNING, logger="chatx.lsp.transport"):
        assert await bodies(chunks) == [b"{}", ONE]
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        "LSP framing error: a header block longer than 8 KiB"
    ]


async def test_a_length_too_long_resumes_at_the_next_header() -> None:
    chunks = [b'Content-Length: 900\r\n\r\n{"jsonrpc": "2.0", "id": 5, ', frame(ONE)]

    assert await bodies(chunks) == [ONE]
