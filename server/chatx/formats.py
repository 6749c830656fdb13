"""The names of the formats ChatX reads and of the platforms its messages come from (no imports:
the command line builds its choices from these without loading a parser)."""

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
