"""Incremental scanning of an open document: findings per block, reused across edits.

A document is cut into blocks of at least `BLOCK_MIN` characters at blank lines and, inside long
runs of lines (a chat log), after lines whose content hash picks them: content-defined cuts, as
backup tools chunk files, so an edit changes only the blocks it touches and the cuts elsewhere
soon fall where they were. A line
too long for one block is cut at sentence ends or whitespace. Each block's findings are cached
by its text, with block-relative offsets; a scan runs only the blocks not seen yet, those
nearest the focus (the edit, the cursor) first, and maps offsets back to the document.

Detectors read one block at a time, so nothing spans a cut: cuts fall between lines, where
an address or a signature continues only across a single line break of the same paragraph.
"""

from __future__ import annotations

import itertools
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from chatx.shield.detectors import Finding
from chatx.shield.scanner import Scanner

BLOCK_MIN = 512  # a content-defined cut only once a block is this long (characters)
BLOCK_MAX = 4096  # a block is cut at the next line end once this long
LINE_MAX = 8192  # a longer line is cut inside, at a sentence end or whitespace
CUT_BITS = 0x7  # cut after a line whose hash has these bits clear: about one line in eight
_SENTENCE_END = re.compile(r"[.!?…]\s+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Block:
    """`text`, found at offset `start` of its document."""

    start: int
    text: str

    @property
    def end(self) -> int:
        """Offset just after the block."""
        return self.start + len(self.text)


def split_blocks(text: str) -> list[Block]:
    """`text` cut into blocks that concatenate back to it (see the module's docstring)."""
    out: list[Block] = []
    start = offset = 0
    content = False  # the block has a line that is not blank
    for line in text.splitlines(keepends=True):
        if len(line) > LINE_MAX:
            if offset > start:
                out.append(Block(start, text[start:offset]))
            out.extend(_long_line(line, offset))
            offset += len(line)
            start, content = offset, False
            continue
        offset += len(line)
        size = offset - start
        blank = line.isspace()
        if size >= BLOCK_MAX or (
            size >= BLOCK_MIN and ((blank and content) or not zlib.crc32(line.encode()) & CUT_BITS)
        ):
            out.append(Block(start, text[start:offset]))
            start, content = offset, False
        else:
            content = content or not blank
    if offset > start:
        out.append(Block(start, text[start:offset]))
    return out


def _long_line(line: str, offset: int) -> Iterator[Block]:
    """A line longer than `LINE_MAX`, cut after sentence ends (content-defined), or at the last
    whitespace before `LINE_MAX`, or at `LINE_MAX` when it has none."""
    start = 0
    while len(line) - start > LINE_MAX:
        cut = 0
        for m in _SENTENCE_END.finditer(line, start + BLOCK_MIN, start + LINE_MAX):
            cut = m.end()
            break
        if not cut:
            spaces = [m.end() for m in _SPACE.finditer(line, start + BLOCK_MIN, start + LINE_MAX)]
            cut = spaces[-1] if spaces else start + LINE_MAX
        yield Block(offset + start, line[start:cut])
        start = cut
    yield Block(offset + start, line[start:])


@dataclass(frozen=True)
class Plan:
    """A document's blocks, and those of them not scanned yet, nearest the focus first."""

    blocks: list[Block]
    pending: list[Block]


class DocumentScan:
    """The findings of one open document, cached per block and reused across edits and scans.

    `plan` and `findings` are cheap; `scan` does the work (call it from a worker thread; the
    cache is shared safely with the thread that plans and reads). `scanned` counts the blocks
    scanned since the document was opened, `reused` those answered from the cache.
    """

    def __init__(self) -> None:
        self._scanner: Scanner | None = None
        self._cache: dict[str, tuple[Finding, ...]] = {}
        self._found = 0  # findings in the cache
        self._lock = threading.Lock()
        self.scanned = 0
        self.reused = 0

    def plan(self, scanner: Scanner, text: str, focus: int = 0) -> Plan:
        """`text`'s blocks and those still to scan with `scanner`, nearest offset `focus` first.
        A new scanner (other people, other settings) forgets every cached finding; blocks of
        earlier versions that are gone are forgotten too."""
        blocks = split_blocks(text)
        with self._lock:
            if scanner is not self._scanner:
                self._scanner, self._cache = scanner, {}
            live = {b.text for b in blocks}
            self._cache = {t: f for t, f in self._cache.items() if t in live}
            self._found = sum(len(f) for f in self._cache.values())
            pending = [b for b in blocks if b.text not in self._cache]
            self.reused += len(blocks) - len(pending)
        pending.sort(key=lambda b: _distance(b, focus))
        return Plan(blocks, list({b.text: b for b in pending}.values()))

    def scan(self, blocks: Sequence[Block]) -> None:
        """Scan `blocks` (blocking) and cache their findings."""
        with self._lock:
            scanner = self._scanner
        if scanner is None or not blocks:
            return
        found = scanner.scan_many([b.text for b in blocks])
        with self._lock:
            if scanner is self._scanner:
                for block, findings in zip(blocks, found, strict=True):
                    if block.text not in self._cache:
                        self._found += len(findings)
                    self._cache[block.text] = tuple(findings)
            self.scanned += len(blocks)

    def findings(
        self, blocks: Sequence[Block], focus: int = 0, limit: int | None = None
    ) -> list[Finding]:
        """The cached findings of `blocks` in document offsets and text order; with `limit`,
        only that many, from the blocks nearest `focus`. Blocks not scanned yet add nothing."""
        with self._lock:
            cached = [(b, self._cache.get(b.text, ())) for b in blocks]
        if limit is not None:
            chosen: list[tuple[Block, tuple[Finding, ...]]] = []
            count = 0
            for block, found in sorted(cached, key=lambda bf: _distance(bf[0], focus)):
                if count >= limit:
                    break
                chosen.append((block, found))
                count += len(found)
            cached = sorted(chosen, key=lambda bf: bf[0].start)
        out = [
            Finding(f.start + block.start, f.end + block.start, f.kind, f.value, f.key)
            for block, found in cached
            for f in found
        ]
        if limit is not None and len(out) > limit:
            out = _nearest(out, focus, limit)
        return out

    def covered(self, blocks: Sequence[Block], focus: int, limit: int, beyond: int) -> bool:
        """True when `limit` cached findings of `blocks` lie within `beyond` characters of
        `focus`: then no block farther away can change which `limit` findings are nearest."""
        count = 0
        with self._lock:
            if self._found < limit:
                return False
            for block in blocks:
                if _distance(block, focus) > beyond:
                    continue
                for f in self._cache.get(block.text, ()):
                    count += abs(block.start + f.start - focus) <= beyond
                if count >= limit:
                    return True
        return False


def distance(block: Block, focus: int) -> int:
    """Characters between offset `focus` and the nearest character of `block`."""
    return _distance(block, focus)


def batches(blocks: Sequence[Block], chars: int) -> Iterator[list[Block]]:
    """`blocks` in runs of about `chars` characters (at least one block each)."""
    run: list[Block] = []
    size = 0
    for block in blocks:
        run.append(block)
        size += len(block.text)
        if size >= chars:
            yield run
            run, size = [], 0
    if run:
        yield run


def _distance(block: Block, focus: int) -> int:
    if block.start <= focus < block.end:
        return 0
    return block.start - focus if block.start > focus else focus - block.end + 1


def _nearest(findings: list[Finding], focus: int, limit: int) -> list[Finding]:
    """The `limit` findings nearest `focus`, in text order."""
    ranked = sorted(findings, key=lambda f: (abs(f.start - focus), f.start))
    return sorted(itertools.islice(ranked, limit))
