"""The Policy Shield: nothing leaves the machine before it is redacted and preflight passes."""

from chatx.shield.detectors import KINDS, Finding
from chatx.shield.names import People
from chatx.shield.service import Redaction, Shield, ShieldFactory, people_from, require_pass

__all__ = [
    "KINDS",
    "Finding",
    "People",
    "Redaction",
    "Shield",
    "ShieldFactory",
    "people_from",
    "require_pass",
]
