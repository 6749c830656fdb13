"""The slash commands the editor offers; a command is listed only once it works."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlashCommand:
    """A slash command: its name, one-line title and the documentation shown in completion."""

    name: str
    title: str
    doc: str


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        "related",
        "Insert related passages",
        "Search the workspace index for the selection (or the cursor's paragraph, or the text "
        "after `/related`) and insert the top passages, each with its `path:line` citation, "
        "date and participants. Retrieval only: no model is called.",
    ),
    SlashCommand(
        "cite",
        "Insert citations",
        "Like `/related`, but inserts only the `path:line` citations of the top passages.",
    ),
    SlashCommand(
        "redact",
        "Redact personal data and secrets",
        "Replace the selection (or the cursor's paragraph, or the text after `/redact`) with "
        "what the Policy Shield would send: names as `CN_…`, yours as `ME`, e-mails, numbers, "
        "addresses and keys as `⟦TKN:kind:…⟧`. Hover a token to see what it stands for; the "
        "mapping stays on this machine.",
    ),
)
BY_NAME = {command.name: command for command in COMMANDS}
