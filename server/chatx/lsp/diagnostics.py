"""Policy Shield diagnostics: every span of an open document that a redaction would replace.

Each edit (re)starts a per-document timer; when it fires, the document is scanned off the event
loop, block by block (`chatx.shield.blocks`): only blocks not seen before are scanned, nearest
the last edit first, in worker-thread batches short enough that hover and typing are answered
between them. A large scan publishes the blocks near the edit first, then the rest; nothing is
published for a version the user has already changed. The scan is the Shield's quick profile
(no entity model, ADR 0007); redaction itself always runs the full one.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from chatx.editor.positions import client_column
from chatx.lsp.context import ChatxServer
from chatx.shield import Shield
from chatx.shield.blocks import Block, DocumentScan, batches, distance
from chatx.shield.detectors import Finding

SOURCE = "chatx-shield"
MAX_DIAGNOSTICS = 1000  # those nearest the last edit; blocks beyond them are not scanned
MAX_SCAN_CHARS = 4_000_000  # beyond this a document is scanned in part
BATCH_CHARS = 16_000  # characters scanned per worker-thread call (tens of milliseconds)
SLICE_S = 0.001  # a scan thread pauses after this much work ...
PAUSE_S = 0.0005  # ... for this long, so that hover does not wait for the GIL
EARLY_S = 0.2  # a scan still running after this long publishes what it has found so far
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
WHAT = {
    "name": "a participant's name",
    "me": "your name",
    "email": "an e-mail address",
    "phone": "a phone number",
    "card": "a payment card number",
    "iban": "an IBAN",
    "ip": "an IP address",
    "url": "a URL with credentials",
    "secret": "a secret or API key",
    "address": "a street address",
    "postcode": "a postcode",
    "attachment": "an attachment (never sent)",
    "label": "a sensitivity label (never sent)",
}


def to_diagnostics(
    shield: Shield,
    findings: Sequence[Finding],
    lines: Sequence[str],
    codec: PositionCodec,
    severity: types.DiagnosticSeverity,
) -> list[types.Diagnostic]:
    """One diagnostic per finding, in client position units; values are not repeated."""
    starts = [0, *itertools.accumulate(len(line) for line in lines)]

    def position(offset: int) -> types.Position:
        row = min(max(0, bisect.bisect_right(starts, offset) - 1), max(0, len(lines) - 1))
        if not lines:
            return types.Position(0, 0)
        return types.Position(row, client_column(lines[row], offset - starts[row], codec.encoding))

    return [
        types.Diagnostic(
            range=types.Range(position(finding.start), position(finding.end)),
            message=f"{WHAT.get(finding.kind, finding.kind)}: redacted to "
            f"{shield.token(finding)} before anything leaves the machine",
            severity=severity,
            source=SOURCE,
            code=finding.kind,
        )
        for finding in findings
    ]


@dataclass
class _Document:
    """What the scans of one open document keep: its block findings and where it was edited."""

    scan: DocumentScan = field(default_factory=DocumentScan)
    focus_line: int = 0


def documents(ls: ChatxServer) -> dict[str, _Document]:
    """The server's per-document scan state, by URI."""
    return cast(dict[str, _Document], ls.scan_state)


def schedule(ls: ChatxServer, uri: str, delay: float) -> None:
    """Scan `uri` after `delay` seconds of quiet, replacing a scan already waiting."""
    if ls.daemon is None:
        return
    waiting = ls.scans.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    if not ls.settings.shield.diagnostics:
        publish(ls, uri, [], None)
        return
    ls.scans[uri] = ls.daemon.spawn(_scan_after(ls, uri, delay), f"shield scan {uri}")


def clear(ls: ChatxServer, uri: str) -> None:
    """Stop scanning a closed document, forget its findings and remove its diagnostics."""
    waiting = ls.scans.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    documents(ls).pop(uri, None)
    publish(ls, uri, [], None)


def publish(
    ls: ChatxServer, uri: str, diagnostics: list[types.Diagnostic], version: int | None
) -> None:
    """Send a document's diagnostics."""
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
    )


class _Scan:
    """One scan of one version of a document; its methods block (run them in a thread)."""

    def __init__(self, shield: Shield, document: _Document, source: str, focus_line: int) -> None:
        self.shield = shield
        self.state = document
        self.lines = source.splitlines(True)
        self.focus = sum(len(line) for line in self.lines[:focus_line])
        self.plan = document.scan.plan(shield.quick, source[:MAX_SCAN_CHARS], self.focus)

    def step(self, run: list[Block], beyond: int | None) -> bool:
        """Scan `run`, pausing every `SLICE_S` so that the event loop and hover's thread get
        the GIL; True when the blocks beyond cannot change what is shown."""
        scan = self.state.scan
        since = time.perf_counter()
        for block in run:
            scan.scan([block])
            if time.perf_counter() - since >= SLICE_S:
                time.sleep(PAUSE_S)
                since = time.perf_counter()
        return beyond is None or scan.covered(self.plan.blocks, self.focus, MAX_DIAGNOSTICS, beyond)

    def diagnostics(
        self, codec: PositionCodec, severity: types.DiagnosticSeverity
    ) -> list[types.Diagnostic]:
        """What the blocks scanned so far show, nearest the focus."""
        found = self.state.scan.findings(self.plan.blocks, self.focus, MAX_DIAGNOSTICS)
        return to_diagnostics(self.shield, found, self.lines, codec, severity)


async def _scan_after(ls: ChatxServer, uri: str, delay: float) -> None:
    await asyncio.sleep(delay)
    assert ls.daemon is not None
    daemon, document = ls.daemon, ls.workspace.get_text_document(uri)
    version, source, codec = document.version, document.source, document.position_codec
    state = documents(ls).setdefault(uri, _Document())
    severity = SEVERITY[ls.settings.shield.severity]
    focus_line, started = state.focus_line, time.perf_counter()
    scan = await asyncio.to_thread(lambda: _Scan(daemon.shield(), state, source, focus_line))
    shown: list[types.Diagnostic] | None = None
    runs = list(batches(scan.plan.pending, BATCH_CHARS))
    for index, run in enumerate(runs):
        beyond = distance(runs[index + 1][0], scan.focus) if index + 1 < len(runs) else None
        done = await asyncio.to_thread(scan.step, run, beyond)
        if ls.workspace.get_text_document(uri).version != version:
            return  # a newer version is on its way; the blocks scanned stay cached
        if done:
            break
        if shown is None and time.perf_counter() - started >= EARLY_S:
            shown = await asyncio.to_thread(scan.diagnostics, codec, severity)
            publish(ls, uri, shown, version)  # what lies nearest the edit, before the rest
    final = await asyncio.to_thread(scan.diagnostics, codec, severity)
    if final != shown and ls.workspace.get_text_document(uri).version == version:
        publish(ls, uri, final, version)
    if ls.scans.get(uri) is asyncio.current_task():
        del ls.scans[uri]


def on_did_open(ls: ChatxServer, params: types.DidOpenTextDocumentParams) -> None:
    """Scan a newly opened document right away, from its top."""
    documents(ls)[params.text_document.uri] = _Document()
    schedule(ls, params.text_document.uri, 0.0)


def on_did_change(ls: ChatxServer, params: types.DidChangeTextDocumentParams) -> None:
    """Scan an edited document once the user pauses, from where it was edited."""
    uri = params.text_document.uri
    state = documents(ls).setdefault(uri, _Document())
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            state.focus_line = change.range.start.line
            break
    schedule(ls, uri, ls.settings.shield.debounce_ms / 1000)


def refresh(ls: ChatxServer) -> None:
    """Scan every open document again (the settings or the people changed)."""
    for uri in list(ls.workspace.text_documents):
        schedule(ls, uri, 0.0)
