"""Policy Shield diagnostics: every span of an open document that a redaction would replace.

Each edit (re)starts a per-document timer; when it fires, the text is scanned in a worker
thread and the result published only if the document has not changed meanwhile, so typing
never waits for a scan.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

from chatx.lsp.context import ChatxServer
from chatx.shield import Shield

SOURCE = "chatx-shield"
MAX_DIAGNOSTICS = 1000
MAX_SCAN_CHARS = 2_000_000  # beyond this a document is scanned in part (about 3 s of CPU)
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


def shield_diagnostics(
    shield: Shield,
    text: str,
    lines: Sequence[str],
    codec: PositionCodec,
    severity: types.DiagnosticSeverity,
) -> list[types.Diagnostic]:
    """One diagnostic per finding, in client position units; values are not repeated."""
    starts = [0, *itertools.accumulate(len(line) for line in lines)]

    def position(offset: int) -> types.Position:
        row = min(max(0, bisect.bisect_right(starts, offset) - 1), max(0, len(lines) - 1))
        where = ServerTextPosition(row, offset - starts[row])
        return codec.position_to_client_units(lines, where)

    diagnostics = []
    for finding in shield.scan(text)[:MAX_DIAGNOSTICS]:
        diagnostics.append(
            types.Diagnostic(
                range=types.Range(position(finding.start), position(finding.end)),
                message=f"{WHAT.get(finding.kind, finding.kind)}: redacted to "
                f"{shield.token(finding)} before anything leaves the machine",
                severity=severity,
                source=SOURCE,
                code=finding.kind,
            )
        )
    return diagnostics


def schedule(ls: ChatxServer, uri: str, delay: float) -> None:
    """Scan `uri` after `delay` seconds of quiet, replacing a scan already waiting."""
    if ls.daemon is None:
        return
    waiting = ls.scans.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    if not ls.settings.shield_diagnostics:
        publish(ls, uri, [], None)
        return
    ls.scans[uri] = ls.daemon.spawn(_scan_after(ls, uri, delay), f"shield scan {uri}")


def clear(ls: ChatxServer, uri: str) -> None:
    """Stop scanning a closed document and remove its diagnostics."""
    waiting = ls.scans.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    publish(ls, uri, [], None)


def publish(
    ls: ChatxServer, uri: str, diagnostics: list[types.Diagnostic], version: int | None
) -> None:
    """Send a document's diagnostics."""
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
    )


async def _scan_after(ls: ChatxServer, uri: str, delay: float) -> None:
    await asyncio.sleep(delay)
    assert ls.daemon is not None
    document = ls.workspace.get_text_document(uri)
    version, text, lines = document.version, document.source[:MAX_SCAN_CHARS], document.lines
    severity = SEVERITY[ls.settings.shield_severity]
    daemon = ls.daemon

    def scan() -> list[types.Diagnostic]:
        return shield_diagnostics(daemon.shield(), text, lines, document.position_codec, severity)

    diagnostics = await asyncio.to_thread(scan)
    if ls.workspace.get_text_document(uri).version == version:
        publish(ls, uri, diagnostics, version)
    if ls.scans.get(uri) is asyncio.current_task():
        del ls.scans[uri]


def on_did_open(ls: ChatxServer, params: types.DidOpenTextDocumentParams) -> None:
    """Scan a newly opened document right away."""
    schedule(ls, params.text_document.uri, 0.0)


def on_did_change(ls: ChatxServer, params: types.DidChangeTextDocumentParams) -> None:
    """Scan an edited document once the user pauses."""
    schedule(ls, params.text_document.uri, ls.settings.shield_debounce_ms / 1000)


def refresh(ls: ChatxServer) -> None:
    """Scan every open document again (the settings or the people changed)."""
    for uri in list(ls.workspace.text_documents):
        schedule(ls, uri, 0.0)
