"""`chatx ask|summarize|reply|plan-slice|tdd-loop|security-review` and `chatx ledger` as a user
runs them, against stand-in model servers reached through the official clients' variables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from tests.clirun import chatx, indexed_example, schema
from tests.standins.anthropic_standin import AnthropicStandIn
from tests.standins.ollama_standin import OllamaStandIn

from chatx.config import Settings
from chatx.index.status import workspace_participants
from chatx.shield import Shield, people_from

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
QUESTION = "how do we roll back a failed deploy?"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_example(tmp_path_factory.mktemp("actions"))


@pytest.fixture()
def ollama() -> Iterator[OllamaStandIn]:
    with OllamaStandIn("Roll back with `helm rollback orders 41` [1].") as server:
        yield server  # type: ignore[misc]


def test_ask_json_contract_through_ollama(indexed: Path, ollama: OllamaStandIn) -> None:
    env = {**LOOPBACK, "OLLAMA_HOST": ollama.url}
    done = chatx("ask", QUESTION, "--workspace", str(indexed), "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    jsonschema.validate(result, schema("action-result"))
    assert result["answer"] == "Roll back with `helm rollback orders 41` [1]."
    assert result["route"] == {
        "backend": "ollama",
        "model": "gemma3:4b",
        "reason": "local first: local confidence 0.95 >= 0.70",
        "escalated": False,
    }
    assert result["citations"][0]["source"] == "docs/runbook.md"
    assert result["citations"][0]["line_start"] == 11
    assert result["tokens_out"] == 8 and result["cache_hit"] is False

    again = json.loads(
        chatx("ask", QUESTION, "--workspace", str(indexed), "--json", env=env).stdout
    )
    assert again["cache_hit"] is True and len(ollama.requests) == 1

    ledger = chatx("ledger", "--workspace", str(indexed), "--json")
    summary = json.loads(ledger.stdout)
    jsonschema.validate(summary, schema("ledger-summary"))
    assert summary["calls"] >= 2 and summary["cache_hits"] >= 1
    human = chatx("ledger", "--workspace", str(indexed)).stdout
    assert "ollama" in human and "local first" in human


def test_cloud_requires_allow_cloud_then_sends_only_redacted_text(indexed: Path) -> None:
    settings = Settings()
    people = people_from(workspace_participants(indexed), settings.shield.names, settings.shield.me)
    shield = Shield.local(people, settings.shield.regions)
    scan = lambda text: [f.kind for f in shield.scan(text)]  # noqa: E731
    forbidden = ("Marco", "Priya", "Aiko")
    with AnthropicStandIn("Use helm rollback [1].", scan=scan, forbidden=forbidden) as claude:
        env = {**LOOPBACK, "ANTHROPIC_BASE_URL": claude.url, "ANTHROPIC_API_KEY": claude.key}
        ask = ("ask", "what did Marco say about the rollback?", "--workspace", str(indexed))
        refused = chatx("--error-format", "json", *ask, "--backend", "cloud", env=env)
        assert refused.returncode == 2
        problem = json.loads(refused.stderr.strip().splitlines()[-1])
        assert problem["code"] == "CLOUD_DISABLED" and "--allow-cloud" in problem["detail"]

        done = chatx(*ask, "--backend", "cloud", "--allow-cloud", "--json", env=env)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["route"]["backend"] == "anthropic" and result["route"]["escalated"]
        assert result["answer"] == "Use helm rollback [1]."
        assert len(claude.requests) == 1 and claude.violations == []
        assert "CN_" in json.dumps(claude.requests[0])

        label = ("summarize", "[CONFIDENTIAL] merger plan", "--workspace", str(indexed))
        blocked = chatx(
            "--error-format", "json", *label, "--backend", "cloud", "--allow-cloud", env=env
        )
        assert blocked.returncode == 2
        assert json.loads(blocked.stderr.strip().splitlines()[-1])["code"] == (
            "POLICY_SHIELD_FAILURE"
        )
        assert len(claude.requests) == 1


def test_security_review_of_a_file_without_any_model(indexed: Path, tmp_path: Path) -> None:
    code = tmp_path / "deploy.py"
    code.write_text(
        "import subprocess\n"
        "TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345'\n"
        "subprocess.run('helm rollback orders ' + rev, shell=True)\n"
        "requests.get('http://orders.internal/health', verify=False)\n",
        encoding="utf-8",
    )
    env = {"CHATX_LOCAL_BACKEND": "ollama"}
    done = chatx("security-review", str(code), "--workspace", str(indexed), "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["route"]["backend"] == "extractive"
    for line in (
        "line 2: secret — remove the secret and rotate it",
        "line 3: shell-true — pass an argument list without shell=True",
        "line 4: plain-http — use https:// for anything off this machine",
        "line 4: tls-off — keep TLS certificate checks on",
    ):
        assert line in result["answer"]
    assert "ghp_0123" not in result["answer"]


def test_tdd_loop_and_reply_and_plan_from_the_command_line(
    indexed: Path, ollama: OllamaStandIn, tmp_path: Path
) -> None:
    env = {**LOOPBACK, "OLLAMA_HOST": ollama.url}
    source = indexed / "src" / "deploy.py"
    source.parent.mkdir(exist_ok=True)
    source.write_text("def rollback(revision: int) -> int:\n    return revision\n")
    ollama.answer = "```python\ndef test_rollback():\n    assert rollback(41) == 41\n```"
    done = chatx("tdd-loop", str(source), "--workspace", str(indexed), "--json", env=env)
    result = json.loads(done.stdout)
    assert result["file"] == {
        "path": "tests/test_deploy.py",
        "text": "def test_rollback():\n    assert rollback(41) == 41\n",
    }
    assert "Code under test (src/deploy.py)" in ollama.requests[-1]["prompt"]

    ollama.answer = "Sure, rolling back now."
    reply = chatx(
        "reply",
        "Priya: can you roll back?",
        "--tone",
        "brief",
        "--workspace",
        str(indexed),
        env=env,
    )
    assert reply.returncode == 0 and reply.stdout.startswith("Sure, rolling back now.")
    assert "route: ollama gemma3:4b" in reply.stdout
    plan = chatx("plan-slice", "-", "--workspace", str(indexed), stdin="move migrations", env=env)
    assert plan.returncode == 0
    assert "move migrations" in ollama.requests[-1]["prompt"]
