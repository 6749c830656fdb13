"""`chatx agent init`: the files it writes, merged into a user's own without losing a key,
idempotent, and `--dry-run` as a diff that writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatx.actions import SPECS
from chatx.agent.setup import MARKER, Planned, hook_command, merge_settings, permissions, plan
from chatx.problems import ChatxError

EXE = "/opt/chatx/bin/chatx"


def write(planned: list[Planned], root: Path) -> None:
    for item in planned:
        (root / item.path).parent.mkdir(parents=True, exist_ok=True)
        (root / item.path).write_text(item.new)


def test_a_fresh_repository_gets_everything(tmp_path: Path) -> None:
    planned = {item.path: item for item in plan(tmp_path, EXE)}
    commands = {f".claude/commands/{spec.name}.md" for spec in SPECS}
    assert set(planned) == {
        ".mcp.json",
        ".claude/settings.json",
        *commands,
        ".claude/agents/privacy-guardian.md",
    }
    assert all(item.state == "created" for item in planned.values())
    server = json.loads(planned[".mcp.json"].new)["mcpServers"]["chatx"]
    assert server == {"type": "stdio", "command": EXE, "args": ["mcp"]}
    settings = json.loads(planned[".claude/settings.json"].new)
    assert settings["enabledMcpjsonServers"] == ["chatx"]
    rules = settings["permissions"]
    assert rules["allow"] == [
        f"mcp__chatx__{tool}"
        for tool in (
            "search",
            "status",
            "redact",
            "recall",
            "read_graph",
            "search_nodes",
            "open_nodes",
        )
    ]
    for denied in (
        "Read(**/.env*)",
        "Edit(**/.env*)",
        "Read(**/secrets/**)",
        "Read(**/*.pem)",
        "Read(**/id_rsa*)",
        "Read(**/credentials)",
        "Read(**/.aws/**)",
    ):
        assert denied in rules["deny"]
    assert {"Bash(curl *)", "Bash(wget *)", "Bash(ssh *)"} <= set(rules["ask"])
    events = {e: g[0]["hooks"][0]["command"] for e, g in settings["hooks"].items()}
    assert events == {
        "SessionStart": f"{EXE} hook session-start",
        "UserPromptSubmit": f"{EXE} hook prompt",
        "PreToolUse": f"{EXE} hook pre-tool",
        "PostToolUse": f"{EXE} hook post-tool",
    }
    assert settings["hooks"]["PostToolUse"][0]["matcher"] == "Edit|MultiEdit|Write|NotebookEdit"


def test_commands_are_generated_from_the_action_table(tmp_path: Path) -> None:
    planned = {item.path: item.new for item in plan(tmp_path, EXE)}
    ask = planned[".claude/commands/ask.md"]
    front, body = ask.split("---\n")[1], ask.split("---\n", 2)[2]
    fields = dict(line.split(": ", 1) for line in front.strip().splitlines())
    assert json.loads(fields["argument-hint"]) == "<question>"
    assert json.loads(fields["allowed-tools"]).split(", ") == [
        "mcp__chatx__ask",
        "mcp__plugin_chatx_chatx__ask",
        "mcp__chatx__search",
        "mcp__plugin_chatx_chatx__search",
    ]
    assert fields[MARKER] == "true"
    assert "$ARGUMENTS" in body and "path:line" in body
    redact = planned[".claude/commands/redact.md"]
    assert "mcp__chatx__search" not in redact  # only what it needs


def test_a_users_keys_and_files_are_kept(tmp_path: Path) -> None:
    claude = tmp_path / ".claude"
    (claude / "commands").mkdir(parents=True)
    mine = {
        "model": "opus",
        "permissions": {"allow": ["Bash(make test)"], "deny": ["Read(./build/**)"]},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "./audit.sh"}]}
            ]
        },
    }
    (claude / "settings.json").write_text(json.dumps(mine))
    (claude / "commands" / "ask.md").write_text("---\ndescription: my own ask\n---\nhi\n")
    (tmp_path / ".mcp.json").write_text(
        json.dumps(
            {"mcpServers": {"db": {"command": "pg-mcp"}, "chatx": {"command": "my-wrapper"}}}
        )
    )
    planned = {item.path: item for item in plan(tmp_path, EXE)}
    settings = json.loads(planned[".claude/settings.json"].new)
    assert settings["model"] == "opus"
    assert settings["permissions"]["allow"][0] == "Bash(make test)"
    assert settings["permissions"]["deny"][0] == "Read(./build/**)"
    pre = settings["hooks"]["PreToolUse"]
    assert pre[0]["hooks"][0]["command"] == "./audit.sh"
    assert pre[1]["hooks"][0]["command"] == f"{EXE} hook pre-tool"
    assert planned[".claude/commands/ask.md"].kept
    assert not planned[".claude/commands/ask.md"].changed
    servers = json.loads(planned[".mcp.json"].new)["mcpServers"]
    assert servers == {"db": {"command": "pg-mcp"}, "chatx": {"command": "my-wrapper"}}


def test_running_twice_changes_nothing_and_a_new_executable_refreshes_ours(
    tmp_path: Path,
) -> None:
    write(plan(tmp_path, EXE), tmp_path)
    assert [item.path for item in plan(tmp_path, EXE) if item.changed] == []
    moved = {item.path: item for item in plan(tmp_path, "/usr/local/bin/chatx")}
    settings = json.loads(moved[".claude/settings.json"].new)
    assert len(settings["hooks"]["PreToolUse"]) == 1  # replaced, not added twice
    assert "/usr/local/bin/chatx hook pre-tool" in moved[".claude/settings.json"].new
    assert moved[".claude/commands/ask.md"].state == "unchanged"


def test_merging_settings_is_idempotent() -> None:
    once = merge_settings({}, EXE)
    assert merge_settings(once, EXE) == once
    deny = once["permissions"]["deny"]
    assert deny == permissions()["deny"] and len(set(deny)) == len(deny)


def test_invalid_json_is_a_problem_not_a_clobber(tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text('{"permissions": {')
    with pytest.raises(ChatxError) as caught:
        plan(tmp_path, EXE)
    assert caught.value.problem.code == "INVALID_INPUT"
    assert ".claude/settings.json is not valid JSON" in caught.value.problem.detail


def test_a_relative_executable_runs_from_the_project_dir() -> None:
    assert hook_command(".venv/bin/chatx", "prompt") == (
        '"$CLAUDE_PROJECT_DIR"/.venv/bin/chatx hook prompt'
    )
    assert hook_command("chatx", "prompt") == "chatx hook prompt"
    assert hook_command("/opt/my tools/chatx", "prompt") == "'/opt/my tools/chatx' hook prompt"


def test_a_users_entries_beside_ours_and_their_server_keys_survive(tmp_path: Path) -> None:
    write(plan(tmp_path, EXE), tmp_path)
    settings_path = tmp_path / ".claude" / "settings.json"
    settings = json.loads(settings_path.read_text())
    audit = {"type": "command", "command": "./audit.sh"}
    settings["hooks"]["PreToolUse"][0]["hooks"].append(audit)  # the user's, in our group
    settings["hooks"]["Stop"] = [
        {"hooks": [{"type": "command", "command": "~/chatx-tools/notify hook x"}]}
    ]
    settings_path.write_text(json.dumps(settings))
    mcp = json.loads((tmp_path / ".mcp.json").read_text())
    mcp["mcpServers"]["chatx"]["env"] = {"CHATX_AGENT_SHIELD": "true"}
    (tmp_path / ".mcp.json").write_text(json.dumps(mcp))

    moved = {
        item.path: json.loads(item.new)
        for item in plan(tmp_path, "/usr/bin/chatx")
        if item.path.endswith(".json")
    }
    groups = moved[".claude/settings.json"]["hooks"]["PreToolUse"]
    assert [e["command"] for g in groups for e in g["hooks"]] == [
        "./audit.sh",
        "/usr/bin/chatx hook pre-tool",
    ]
    assert groups[1]["hooks"][0]["onFailure"] == "block"
    assert moved[".claude/settings.json"]["hooks"]["Stop"] == settings["hooks"]["Stop"]
    server = moved[".mcp.json"]["mcpServers"]["chatx"]
    assert server == {
        "type": "stdio",
        "command": "/usr/bin/chatx",
        "args": ["mcp"],
        "env": {"CHATX_AGENT_SHIELD": "true"},
    }


@pytest.mark.parametrize(
    ("name", "text", "detail"),
    [
        (".mcp.json", '{"mcpServers": []}', "`mcpServers` must be an object"),
        (".claude/settings.json", '{"permissions": {"allow": "x"}}', "`allow` must be a list"),
        (".claude/settings.json", '{"hooks": []}', "`hooks` must be an object"),
        (".claude/settings.json", "[1, 2]", "is not a JSON object"),
    ],
)
def test_a_wrongly_typed_setting_is_a_problem(
    tmp_path: Path, name: str, text: str, detail: str
) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    with pytest.raises(ChatxError) as caught:
        plan(tmp_path, EXE)
    assert caught.value.problem.code == "INVALID_INPUT"
    assert detail in caught.value.problem.detail
