"""The one gate for everything that leaves the machine.

A cloud prompt, a prompt for a model host on another machine, an MCP result or hook context
handed to a cloud-hosted agent: each passes `outbound()` first. It redacts the texts, re-scans
what would be sent, and raises `POLICY_SHIELD_FAILURE` (kinds and counts, never values) unless
the re-scan is clean. Only the redacted texts come back; pseudonyms in an answer are revealed
for the user's own view with `Shield.reveal_text`, never for what is sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from chatx.models import RedactionReport
from chatx.shield.service import Shield, require_pass


def outbound(
    shield: Shield,
    texts: Sequence[str],
    *,
    strict: bool = False,
    source: str | None = None,
    attachments: int = 0,
) -> tuple[list[str], RedactionReport]:
    """`texts` redacted and preflighted, with the report; raises POLICY_SHIELD_FAILURE when the
    preflight does not pass (the texts are then never returned)."""
    redacted, report = shield.preflight(
        texts, strict=strict, source=source, attachments=attachments
    )
    require_pass(report)
    return redacted, report
