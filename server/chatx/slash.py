"""The slash commands the editor offers; a command is listed only once it works."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlashCommand:
    """A slash command: its name, one-line title and the documentation shown in completion."""

    name: str
    title: str
    doc: str
    model: bool = False  # runs a model (in the background, with progress)


_ROUTE = (
    " Runs on the local model first (Ollama, else the embedded Gemma); Claude only when "
    "`allowCloud` is on and the Policy Shield preflight passes. The inserted block names the "
    "route taken and why."
)
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
    SlashCommand(
        "ask",
        "Answer from the index",
        "Answer the question in the selection (or after `/ask`) from the indexed chats and "
        "docs, with `path:line` sources." + _ROUTE,
        model=True,
    ),
    SlashCommand(
        "summarize",
        "Summarise the selection",
        "Summarise the selected thread or document section: decisions, open questions, "
        "owners." + _ROUTE,
        model=True,
    ),
    SlashCommand(
        "reply",
        "Draft a reply",
        "Draft a reply to the selected chat message, grounded in the turns above it (tone: "
        "the text after `/reply`, default friendly and concise)." + _ROUTE,
        model=True,
    ),
    SlashCommand(
        "plan-slice",
        "Plan a thin slice",
        "A short technical plan for the selection or the open file: steps, risks and a test "
        "checklist." + _ROUTE,
        model=True,
    ),
    SlashCommand(
        "tdd-loop",
        "Write failing tests first",
        "Failing tests for the selected code, as a new test file (`tests/test_<module>.py`)."
        + _ROUTE,
        model=True,
    ),
    SlashCommand(
        "security-review",
        "Security review",
        "Check the selection for secrets, personal data, unsafe shell or network use; the "
        "automatic findings come first, the model adds to them." + _ROUTE,
        model=True,
    ),
)
BY_NAME = {command.name: command for command in COMMANDS}
