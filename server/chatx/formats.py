"""The names of the formats ChatX reads, the platforms its messages come from, and the first
bytes that name a binary format (no imports: the command line builds its choices from these
without loading a parser, and the walker sniffs files with them)."""

PLATFORMS = (
    "whatsapp",
    "signal",
    "imessage",
    "telegram",
    "instagram",
    "messenger",
    "slack",
    "discord",
    "chatgpt",
    "claude",
    "claude-code",
)
"""Every value a message's `platform` (and the `--platform` filter) can take."""
FORMATS = ("auto", *PLATFORMS, "pdf", "markdown", "rst", "text")
"""What `chatx extract --format` accepts: a platform, a document kind, or `auto` (detected)."""

_SIGNATURES = (
    (b"SQLite format 3\x00", "sqlite"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip
)
HEAD_BYTES = 16
"""How much of a file `binary_kind` needs to see."""
STREAMED = frozenset({"sqlite", "zip"})
"""Binary kinds read a row or a member at a time, never whole."""


def binary_kind(head: bytes) -> str | None:
    """`sqlite`, `pdf` or `zip` when a file's first bytes are theirs, else None."""
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)
