"""`chatx agent init` and `chatx hook …` as Claude Code runs them: the dry run is a diff that
writes nothing, and each hook's answer to a malformed event or a missing index follows its
documented fail-open or fail-closed rule."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from tests.clirun import chatx, indexed_example


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    result = chatx("agent", "init", str(tmp_path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "+++ b/.claude/settings.json" in result.stdout
    assert '+      "mcp__chatx__search",' in result.stdout
    assert "would be created: .claude/commands/ask.md" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    written = chatx("agent", "init", str(tmp_path))
    assert written.returncode == 0 and (tmp_path / ".claude" / "commands" / "ask.md").is_file()
    again = chatx("agent", "init", str(tmp_path), "--dry-run")
    assert again.stdout == "" and "would be" not in again.stderr


@pytest.mark.parametrize(
    ("event", "code"),
    [("prompt", 0), ("pre-tool", 2), ("post-tool", 0), ("session-start", 0)],
)
def test_a_malformed_event_fails_as_documented(event: str, code: int) -> None:
    result = chatx("hook", event, stdin="{not json")
    assert result.returncode == code
    assert result.stdout == ""
    assert result.stderr.startswith(f"chatx hook {event}: ")
    assert ("blocking the call" if code else "going on without chatx") in result.stderr


def test_arguments_this_version_does_not_know_block_only_a_tool_call() -> None:
    assert chatx("hook", "post-compact", stdin="{}").returncode == 0
    assert chatx("hook", "prompt", "--since-v2", stdin="{}").returncode == 0
    assert chatx("hook", "pre-tool", "--since-v2", stdin="{}").returncode == 2


def test_a_missing_index_says_how_to_make_one(tmp_path: Path) -> None:
    prompt = chatx("hook", "prompt", stdin=json.dumps({"cwd": str(tmp_path), "prompt": "hi"}))
    assert prompt.returncode == 0 and prompt.stdout == ""
    assert "run `chatx index` first" in prompt.stderr
    start = chatx("hook", "session-start", stdin=json.dumps({"cwd": str(tmp_path)}))
    context = json.loads(start.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "not indexed" in context and "chatx index ." in context
    assert not (tmp_path / ".claude-context").exists()  # never indexed unasked


def test_session_start_refreshes_an_indexed_workspace_in_the_background(tmp_path: Path) -> None:
    ws = indexed_example(tmp_path)
    (ws / "docs" / "late.md").write_text("# Late\n\nThe zebra rollout waits for Q3.\n")
    start = chatx("hook", "session-start", stdin=json.dumps({"cwd": str(ws)}))
    context = json.loads(start.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "last indexed" in context and "runs in the background" in context
    deadline = time.monotonic() + 120
    while "indexed 1 files" not in (ws / ".claude-context" / "index.log").read_text():
        assert time.monotonic() < deadline, "the background run never finished"
        time.sleep(0.2)
    found = chatx("query", "zebra rollout", "--workspace", str(ws), "--json", "--k", "1")
    assert json.loads(found.stdout)["citations"][0]["source"] == "docs/late.md"
    off = chatx(
        "hook",
        "session-start",
        stdin=json.dumps({"cwd": str(ws)}),
        env={"CHATX_AGENT_SESSION_INDEX": "false"},
    )
    assert "not refreshed at session start" in off.stdout


def test_the_prompt_hook_adds_remembered_facts(tmp_path: Path) -> None:
    ws = indexed_example(tmp_path)
    fact = "wants the orders stand-up moved to 09:30"
    added = chatx("memory", "add", "Priya", "--observation", fact, "--workspace", str(ws))
    assert added.returncode == 0, added.stderr
    prompt = {"cwd": str(ws), "prompt": "When does Priya want the orders stand-up?"}
    done = chatx("hook", "prompt", stdin=json.dumps(prompt))
    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    line = next(line for line in context.splitlines() if line.startswith("- memory #"))
    assert line.endswith(f": {fact}") and "(user): CN_" in line  # the person pseudonymised
    assert "Priya" not in context
