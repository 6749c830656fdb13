"""`chatx agent init` and `chatx hook …` as Claude Code runs them: the dry run is a diff that
writes nothing, and each hook's answer to a malformed event or a missing index follows its
documented fail-open or fail-closed rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.clirun import chatx


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


def test_a_missing_index_says_how_to_make_one(tmp_path: Path) -> None:
    prompt = chatx("hook", "prompt", stdin=json.dumps({"cwd": str(tmp_path), "prompt": "hi"}))
    assert prompt.returncode == 0 and prompt.stdout == ""
    assert "run `chatx index` first" in prompt.stderr
    start = chatx("hook", "session-start", stdin=json.dumps({"cwd": str(tmp_path)}))
    context = json.loads(start.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "not indexed yet" in context and "chatx index" in context
