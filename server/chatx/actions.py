"""Every slash action, declared once: the CLI subcommands, the editor's code actions and
completion items, the assistant and the router's rules all read this table.

Adding an action is one entry here plus one prompt file `assistant/prompts/<prompt>.v1.txt`
(for an action that runs a model). No LSP or CLI imports: this module is pure data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_TONE = "friendly and concise"  # of a drafted /reply


@dataclass(frozen=True)
class ActionSpec:
    """One slash action and everything that varies per action."""

    name: str  # `/name` in the editor, `chatx name` on the command line
    title: str  # the completion item's detail and the code action's title
    doc: str  # the completion item's Markdown documentation
    help: str = ""  # the `chatx <name>` subcommand's help (the model actions)
    model: bool = False  # runs a model (in the background, with progress)
    heavy: bool = False  # goes to the heavy cloud model by default (the `heavyActions` default)
    whole_file: bool = False  # a bare `/name` line reads the whole file
    sources: int = 0  # how many indexed passages it retrieves and cites
    turns_before: bool = False  # the turns before the selection join its search (/reply)
    needs_index: bool = False  # nothing to work on without an index (else the selection alone)
    one_line: bool = False  # a one-line answer: a base model is stopped at the line's end
    hedged: bool = False  # an uncertain local answer is followed by the cited passages
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    prompt: str | None = None  # template `assistant/prompts/<prompt>.v<N>.txt` (newest N)
    # The Claude Code command `chatx agent init` writes: its argument hint, what it asks the
    # agent to do (`$ARGUMENTS` is what the user typed), and the tools it may use: chatx's MCP
    # tools by name (`search`, `ask`, `redact`) and Claude Code's own.
    agent_hint: str = ""
    agent_task: str = ""
    agent_tools: tuple[str, ...] = ("search",)


_ROUTE = (
    " Runs on the local model first (Ollama, else the embedded Gemma); Claude only when "
    "`allowCloud` is on and the Policy Shield preflight passes. The inserted block names the "
    "route taken and why."
)
SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "related",
        "Insert related passages",
        "Search the workspace index for the selection (or the cursor's paragraph, or the text "
        "after `/related`) and insert the top passages, each with its `path:line` citation, "
        "date and participants. Retrieval only: no model is called.",
        sources=5,
        agent_hint="<topic or question>",
        agent_task=(
            "Find the passages of this workspace's chats and docs related to: "
            "$ARGUMENTS\n\nCall the chatx `search` tool (k 5) and list each passage with "
            "its `path:line` citation, its date and participants, and a one-line gist."
        ),
        agent_tools=("search",),
    ),
    ActionSpec(
        "cite",
        "Insert citations",
        "Like `/related`, but inserts only the `path:line` citations of the top passages.",
        sources=5,
        agent_hint="<claim or topic>",
        agent_task=(
            "Find where this workspace's chats and docs support: $ARGUMENTS\n\nCall the "
            "chatx `search` tool (k 5) and answer with the `path:line` citations only, "
            "one per line, the strongest first."
        ),
        agent_tools=("search",),
    ),
    ActionSpec(
        "redact",
        "Redact personal data and secrets",
        "Replace the selection (or the cursor's paragraph, or the text after `/redact`) with "
        "what the Policy Shield would send: names as `CN_…`, yours as `ME`, e-mails, numbers, "
        "addresses and keys as `⟦TKN:kind:…⟧`. Hover a token to see what it stands for; the "
        "mapping stays on this machine.",
        agent_hint="<text, or a file path>",
        agent_task=(
            "Show this as ChatX's Policy Shield would send it off the machine: "
            "$ARGUMENTS\n\nCall the chatx `redact` tool: a file goes as its `path` (do not "
            "read it yourself: what you read reaches your model unredacted), anything else "
            "as `text`. Print the redacted text, then the counts by kind from its report. "
            "Never repeat an original value."
        ),
        agent_tools=("redact",),
    ),
    ActionSpec(
        "remember",
        "Remember this",
        "Store the selection (or the cursor's paragraph, or the text after `/remember`) in the "
        "workspace memory as a fact about the person or thing it names, with this file and "
        "line as its source. When it names several, ChatX asks which.",
        agent_hint="<a fact about someone or something>",
        agent_task=(
            "Remember this in the workspace memory: $ARGUMENTS\n\nCall the chatx "
            "`search_nodes` tool to find the entity it is about. If it exists, add the fact "
            "with `add_observations`; otherwise create it with `create_entities` (type "
            "`person` unless it is clearly a project, team or thing). Say what was stored, "
            "about whom."
        ),
        agent_tools=("search_nodes", "open_nodes", "add_observations", "create_entities"),
    ),
    ActionSpec(
        "ask",
        "Answer from the index",
        "Answer the question in the selection (or after `/ask`) from the indexed chats and "
        "docs, with `path:line` sources." + _ROUTE,
        help="answer a question from the index, with citations",
        model=True,
        sources=6,
        needs_index=True,
        one_line=True,
        hedged=True,
        prompt="ask",
        agent_hint="<question>",
        agent_task=(
            "Answer from this workspace's chats and docs: $ARGUMENTS\n\nCall the chatx "
            "`ask` tool with the question: it answers on the local model first and "
            "returns its route and sources. If it fails or its answer is thin, call the "
            "chatx `search` tool and answer from the passages yourself. End with the "
            "sources as `path:line`."
        ),
        agent_tools=("ask", "search"),
    ),
    ActionSpec(
        "summarize",
        "Summarise the selection",
        "Summarise the selected thread or document section: decisions, open questions, "
        "owners." + _ROUTE,
        help="summarise a thread or document section",
        model=True,
        sources=4,
        hedged=True,
        prompt="summarize",
        agent_hint="<file, thread or topic>",
        agent_task=(
            "Summarise $ARGUMENTS: decisions, open questions and owners.\n\nIf it names "
            "a file, read it; otherwise call the chatx `search` tool to find the thread. "
            "Cite every point as `path:line`."
        ),
        agent_tools=("search", "Read"),
    ),
    ActionSpec(
        "reply",
        "Draft a reply",
        "Draft a reply to the selected chat message, grounded in the turns above it (tone: "
        f"the text after `/reply`, default {DEFAULT_TONE})." + _ROUTE,
        help="draft a reply to a chat message",
        model=True,
        sources=4,
        turns_before=True,
        one_line=True,
        hedged=True,
        options=MappingProxyType({"tone": DEFAULT_TONE}),
        prompt="reply",
        agent_hint="<the message to answer> [tone]",
        agent_task=(
            "Draft a reply to this chat message: $ARGUMENTS\n\nCall the chatx `search` "
            "tool to find the message and the turns before it, and ground the reply in "
            "them (tone: friendly and concise unless one is given). Cite the turns you "
            "relied on as `path:line`; keep people as their `CN_` pseudonyms."
        ),
        agent_tools=("search",),
    ),
    ActionSpec(
        "plan-slice",
        "Plan a thin slice",
        "A short technical plan for the selection or the open file: steps, risks and a test "
        "checklist." + _ROUTE,
        help="a short plan with risks and a test checklist",
        model=True,
        heavy=True,
        whole_file=True,
        sources=4,
        prompt="plan-slice",
        agent_hint="<feature or file>",
        agent_task=(
            "Plan a thin slice of: $ARGUMENTS\n\nCall the chatx `search` tool for the "
            "decisions and constraints the chats and docs record about it, and read the "
            "code it touches. Give steps, risks and a test checklist, citing each "
            "decision as `path:line`."
        ),
        agent_tools=("search", "Read", "Glob", "Grep"),
    ),
    ActionSpec(
        "tdd-loop",
        "Write failing tests first",
        "Failing tests for the selected code, as a new test file (`tests/test_<module>.py`)."
        + _ROUTE,
        help="failing tests first for some code (prints the test file)",
        model=True,
        heavy=True,
        whole_file=True,
        sources=4,
        prompt="tdd-loop",
        agent_hint="<module or function>",
        agent_task=(
            "Write failing tests first for: $ARGUMENTS\n\nRead the code, call the chatx "
            "`search` tool for the behaviour the chats and docs expect (cite it as "
            "`path:line` in the tests' docstrings), write them as a new "
            "`tests/test_<module>.py`, and run them to see them fail."
        ),
        agent_tools=("search", "Read", "Glob", "Grep", "Write", "Bash(python -m pytest *)"),
    ),
    ActionSpec(
        "security-review",
        "Security review",
        "Check the selection for secrets, personal data, unsafe shell or network use; the "
        "automatic findings come first, the model adds to them." + _ROUTE,
        help="check text or code for secrets, personal data, unsafe shell/network use",
        model=True,
        heavy=True,
        whole_file=True,
        sources=4,
        prompt="security-review",
        agent_hint="<files or diff>",
        agent_task=(
            "Review $ARGUMENTS for secrets, personal data, and unsafe shell or network "
            "use.\n\nRead the code, call the chatx `search` tool for earlier security "
            "decisions, and list the findings by severity with `path:line`. Quote no "
            "secret or personal value: call the chatx `redact` tool on any excerpt you "
            "show."
        ),
        agent_tools=("search", "redact", "Read", "Glob", "Grep"),
    ),
)
BY_NAME: Mapping[str, ActionSpec] = MappingProxyType({spec.name: spec for spec in SPECS})
MODEL_ACTIONS: tuple[str, ...] = tuple(spec.name for spec in SPECS if spec.model)
HEAVY_ACTIONS: tuple[str, ...] = tuple(spec.name for spec in SPECS if spec.heavy)
WHOLE_FILE: frozenset[str] = frozenset(spec.name for spec in SPECS if spec.whole_file)
