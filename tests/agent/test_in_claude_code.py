"""ChatX inside the real Claude Code CLI (`claude -p`, pinned in tests/agent/package.json and
installed by `make test`), headless: its model is the stand-in Messages API on loopback, which
scripts the agent's tool calls and records every request. The workspace is set up by
`chatx agent init`, as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.clirun import REPO, chatx, indexed_example
from tests.standins.anthropic_standin import AnthropicStandIn, said, tool_use

from chatx.actions import SPECS
from chatx.cachedir import default_cache_dir
from chatx.memory.store import open_memory

CLAUDE = REPO / "tests" / "agent" / "node_modules" / ".bin" / "claude"
pytestmark = pytest.mark.skipif(
    not CLAUDE.exists(), reason="the Claude Code CLI is not installed: run `make test`"
)
BILLING = (
    "[04.04.25, 10:02:11] Priya: The refund for order 5512 goes to IBAN "
    "DE89 3704 0044 0532 0130 00, confirm with priya.raman@orders.example\n"
    "[04.04.25, 10:03:40] Marco: Refund sent, reference RF-5512\n"
)
SECRET = "sk-live-7f3a9c1e5b2d4068"
FORBIDDEN = (
    "Priya",
    "Marco",
    "priya.raman@orders.example",
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    SECRET,
    "4111 1111 1111 1111",
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example workspace with a billing chat and a `.env`, indexed, set up by
    `chatx agent init`."""
    ws = indexed_example(tmp_path_factory.mktemp("claude"))
    (ws / "chats" / "billing.txt").write_text(BILLING, encoding="utf-8")
    (ws / ".env").write_text(f"STRIPE_KEY={SECRET}\n")
    assert chatx("index", str(ws)).returncode == 0
    init = chatx("agent", "init", str(ws))
    assert init.returncode == 0, init.stderr
    return ws


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, workspace: Path) -> Path:
    """A HOME whose `.claude.json` trusts the workspace (so its allow rules apply)."""
    folder = tmp_path_factory.mktemp("home")
    trusted = {"projects": {str(workspace): {"hasTrustDialogAccepted": True}}}
    (folder / ".claude.json").write_text(json.dumps(trusted))
    return folder


@pytest.fixture()
def model() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(answer="ok", forbidden=FORBIDDEN) as standin:
        yield standin  # type: ignore[misc]


def claude(
    workspace: Path, home: Path, model: AnthropicStandIn, prompt: str, *flags: str
) -> dict[str, Any]:
    """`claude -p PROMPT --output-format json` in the workspace against the stand-in."""
    env = {
        **os.environ,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": model.url,
        "ANTHROPIC_API_KEY": model.key,
        "ENABLE_TOOL_SEARCH": "false",
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CHATX_MODEL_CACHE": str(default_cache_dir()),  # HOME moved: keep the built lexicon
        # No background index run at session start: what indexes an edit must be PostToolUse.
        "CHATX_AGENT_SESSION_INDEX": "false",
    }
    done = subprocess.run(
        [str(CLAUDE), "-p", prompt, "--output-format", "json", *flags],
        cwd=workspace,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["is_error"] is False, result
    return result


def tool_results(model: AnthropicStandIn) -> list[tuple[bool, str]]:
    """(is_error, text) of every tool result the agent sent back, in order."""
    last = model.requests[-1]["messages"]
    found = []
    for message in last:
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result":
                inner = block.get("content")
                text = (
                    inner
                    if isinstance(inner, str)
                    else "".join(part.get("text", "") for part in inner or [])
                )
                found.append((bool(block.get("is_error")), text))
    return found


def system_text(request: dict[str, Any]) -> str:
    """The system prompt and the `system` role messages, where hook context goes."""
    parts = [json.dumps(request.get("system"))]
    parts += [json.dumps(m["content"]) for m in request["messages"] if m["role"] == "system"]
    return "\n".join(parts)


def test_search_round_trip_cites_and_nothing_personal_leaves(
    workspace: Path, home: Path, model: AnthropicStandIn
) -> None:
    model.script(
        tool_use("mcp__chatx__search", {"query": "how do we roll back a failed deploy?", "k": 3}),
        tool_use("mcp__chatx__search", {"query": "where does the refund for order 5512 go?"}),
        said("Roll back with helm (docs/runbook.md:11)."),
    )
    result = claude(workspace, home, model, "How do we roll back a failed deploy?")
    assert result["result"] == "Roll back with helm (docs/runbook.md:11)."
    (rollback_error, rollback), (refund_error, refund) = tool_results(model)
    assert not rollback_error and not refund_error
    cited = [(c["source"], c["line_start"]) for c in json.loads(rollback)["citations"]]
    assert ("docs/runbook.md", 11) in cited
    refund_cited = json.loads(refund)["citations"]
    assert refund_cited[0]["source"] == "chats/billing.txt"
    assert "TKN:iban" in refund or "⟦" in refund  # the IBAN went out as a token
    first = system_text(model.requests[0])
    assert "SessionStart hook additional context: ChatX:" in first
    assert "UserPromptSubmit hook additional context" in first
    assert "docs/runbook.md:11-15" in first
    assert model.violations == []  # no labelled personal value in any request


def test_reading_env_is_denied(workspace: Path, home: Path, model: AnthropicStandIn) -> None:
    model.script(tool_use("Read", {"file_path": str(workspace / ".env")}), said("cannot"))
    claude(workspace, home, model, "What is the Stripe key?", "--strict-mcp-config")
    ((is_error, text),) = tool_results(model)
    assert is_error and "denied" in text
    assert model.violations == []


def test_pre_tool_blocks_a_web_fetch_carrying_a_card_number(
    workspace: Path, home: Path, model: AnthropicStandIn
) -> None:
    url = "https://payments.example/charge?card=4111%201111%201111%201111&amount=30"
    model.script(tool_use("WebFetch", {"url": url, "prompt": "Did it go through?"}), said("no"))
    claude(
        workspace,
        home,
        model,
        "Charge the test card.",
        "--strict-mcp-config",
        "--allowedTools",
        "WebFetch",
    )
    ((is_error, text),) = tool_results(model)
    assert is_error and "PreToolUse:WebFetch hook error" in text
    assert "card" in text and "Policy Shield" in text
    assert all(request.get("tools") for request in model.requests)  # no page summary: no fetch


def test_edits_are_searchable_after_post_tool_use(
    workspace: Path, home: Path, model: AnthropicStandIn
) -> None:
    """No MCP server, so no daemon: the PostToolUse hook itself indexes each change."""
    created = workspace / "docs" / "kiwi.md"
    content = "# Kiwi cache\n\nThe kiwi cache is flushed nightly at 02:00 by the janitor job.\n"
    runbook = workspace / "docs" / "runbook.md"
    old = "Page them through the `#orders-oncall`\nchannel"
    new = "Page them through the `#orders-pager`\nchannel, then call the duty phone"
    assert old in runbook.read_text()
    model.script(
        tool_use("Write", {"file_path": str(created), "content": content}),
        tool_use("Read", {"file_path": str(runbook)}),  # Claude Code edits only what it read
        tool_use("Edit", {"file_path": str(runbook), "old_string": old, "new_string": new}),
        said("done"),
    )
    claude(
        workspace,
        home,
        model,
        "Record the kiwi cache flush and the new pager channel.",
        "--strict-mcp-config",
        "--permission-mode",
        "acceptEdits",
    )
    assert created.read_text() == content and new in runbook.read_text()
    assert all(not is_error for is_error, _ in tool_results(model))

    def top(query: str) -> str:
        found = chatx("query", query, "--workspace", str(workspace), "--json", "--k", "1")
        return str(json.loads(found.stdout)["citations"][0]["source"])

    assert top("when is the kiwi cache flushed") == "docs/kiwi.md"
    found = chatx("query", "orders-pager duty phone", "--workspace", str(workspace), "--json")
    snippets = [
        c["snippet"]
        for c in json.loads(found.stdout)["citations"]
        if c["source"] == "docs/runbook.md"
    ]
    assert any("orders-pager" in snippet for snippet in snippets)


@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
def test_each_generated_command_expands(
    workspace: Path, home: Path, model: AnthropicStandIn, spec: Any
) -> None:
    model.script(said("ok"))
    claude(workspace, home, model, f"/{spec.name} the staging rollback", "--strict-mcp-config")
    sent = json.dumps(model.requests[0]["messages"])
    assert f"<command-name>/{spec.name}</command-name>" in sent
    expected = spec.agent_task.split("\n")[0].replace("$ARGUMENTS", "the staging rollback")
    assert json.dumps(expected)[1:-1] in sent
    assert "path:line" in sent


def checkout(target: Path) -> Path:
    """The repository's files as a fresh clone has them (no .venv, no node_modules)."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_the_plugin_validates_and_installs_from_a_checkout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }

    def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CLAUDE), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    validated = run("plugin", "validate", ".", "--profile", "directory")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Validation passed" in validated.stdout + validated.stderr
    clone = checkout(tmp_path / "chatx")
    added = run("plugin", "marketplace", "add", str(clone))
    assert added.returncode == 0, added.stdout + added.stderr
    installed = run("plugin", "install", "chatx@chatx-marketplace")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    listed = run("plugin", "list")
    assert "chatx@chatx-marketplace" in listed.stdout and "enabled" in listed.stdout
    shown = run("mcp", "list", cwd=clone)
    assert "plugin:chatx:chatx" in shown.stdout + shown.stderr


def test_the_repository_config_is_what_agent_init_writes() -> None:
    """`.claude/`, `.mcp.json` and `.claude-plugin/` are generated: regenerate them with
    `chatx agent init . --command chatx --plugin` after changing the action table."""
    from chatx.agent.setup import plan

    stale = [item.path for item in plan(REPO, "chatx", plugin=True) if item.changed]
    assert stale == []


def test_the_agent_remembers_and_reads_back(
    workspace: Path, home: Path, model: AnthropicStandIn
) -> None:
    person = {
        "name": "Zanele Mokoena",
        "entityType": "person",
        "observations": ["runs the Q3 audit"],
    }
    model.script(
        tool_use("mcp__chatx__create_entities", {"entities": [person]}),
        tool_use("mcp__chatx__open_nodes", {"names": ["Zanele Mokoena"]}),
        said("noted"),
    )
    claude(
        workspace,
        home,
        model,
        "Remember who runs the audit.",
        "--allowedTools",
        "mcp__chatx__create_entities",
    )
    (created_error, created), (opened_error, opened) = tool_results(model)
    assert not created_error and not opened_error
    (entity,) = json.loads(opened)["entities"]
    assert entity["name"].startswith("CN_")  # the gate: the agent's model sees a pseudonym
    assert entity["observations"] == ["runs the Q3 audit"]
    assert json.loads(created)["entities"][0]["name"] == entity["name"]
    store = open_memory(workspace)
    try:
        detail = store.show("Zanele Mokoena")
    finally:
        store.close()
    assert [(o.text, o.source) for o in detail.observations] == [("runs the Q3 audit", "agent")]
