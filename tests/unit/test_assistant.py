"""Slash actions end to end below the editor: retrieval, routing, the official clients against
stand-in servers, the Policy Shield gate, the cache and the ledger."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.standins.anthropic_standin import AnthropicStandIn
from tests.standins.ollama_standin import OllamaStandIn

from chatx.assistant import ActionInput, Assistant
from chatx.config import Settings
from chatx.index.indexer import Indexer, state_dir
from chatx.index.search import SearchService
from chatx.index.status import workspace_participants
from chatx.index.store import Found
from chatx.llm.ledger import Ledger, summarise
from chatx.llm.registry import Backends
from chatx.problems import ChatxError
from chatx.shield import Shield, people_from

QUESTION = "how do we roll back a failed deploy? ask priya@orders.example if unsure"
RAW = ("Marco", "Priya", "Aiko", "priya@orders.example")


@pytest.fixture()
def indexed(workspace: Path, embedder) -> Path:  # type: ignore[no-untyped-def]
    Indexer(workspace, Settings(), embedder=embedder).run()
    return workspace


@pytest.fixture()
def ollama() -> Iterator[OllamaStandIn]:
    with OllamaStandIn("Roll back with `helm rollback orders 41` [1].") as server:
        yield server  # type: ignore[misc]


@pytest.fixture()
def claude(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AnthropicStandIn]:
    shield = _shield(indexed, Settings())
    scan = lambda text: [f.kind for f in shield.scan(text)]  # noqa: E731
    with AnthropicStandIn("Use helm rollback [1].", scan=scan, forbidden=RAW) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", server.key)
        yield server  # type: ignore[misc]


def _shield(workspace: Path, settings: Settings) -> Shield:
    participants = workspace_participants(workspace)
    people = people_from(participants, settings.shield.names, settings.shield.me)
    return Shield.local(people, settings.shield.regions)


def assistant(workspace: Path, embedder, **settings: object) -> Assistant:  # type: ignore[no-untyped-def]
    config = Settings.model_validate({"retryMaxDelayS": 0.05, **settings})
    search = SearchService(workspace, config, embedder=embedder)

    def find(query: str, k: int) -> list[Found]:
        return [Found(hit, workspace) for hit in search.search(query, k)]

    shield = functools.cache(lambda: _shield(workspace, config))
    return Assistant(config, find, shield, Ledger(state_dir(workspace)))


async def test_no_model_answers_extractively_and_says_what_to_start(
    indexed: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    helper = assistant(indexed, embedder, localBackend="ollama")
    result = await helper.run(ActionInput("ask", "how do we roll back a failed deploy?"))
    assert result.route.backend == "extractive" and result.route.model is None
    assert "ollama serve" in result.route.reason
    assert result.citations[0].source == "docs/runbook.md"
    assert "From the index:" in result.answer
    assert "[1] docs/runbook.md:11: A failed deploy is rolled back" in result.answer
    assert (result.tokens_in, result.tokens_out, result.cache_hit) == (0, 0, False)


async def test_local_ollama_answer_is_cached_and_in_the_ledger(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,  # type: ignore[no-untyped-def]
) -> None:
    helper = assistant(indexed, embedder, ollamaHost=ollama.url)
    first = await helper.run(ActionInput("ask", "how do we roll back a failed deploy?"))
    assert first.answer == "Roll back with `helm rollback orders 41` [1]."
    assert first.route.model_dump() == {
        "backend": "ollama",
        "model": "gemma3:4b",
        "reason": "local first: local confidence 0.95 >= 0.70",
        "escalated": False,
    }
    assert first.confidence == pytest.approx(0.9512, abs=1e-4)
    assert not first.cache_hit and first.tokens_out == 8
    prompt = ollama.requests[-1]["prompt"]
    assert "Question: how do we roll back a failed deploy?" in prompt
    assert "[1] docs/runbook.md:11-15" in prompt
    second = await helper.run(ActionInput("ask", "how do we roll back a failed deploy?"))
    assert second.cache_hit and second.answer == first.answer
    assert len(ollama.requests) == 1
    summary = summarise(helper.ledger.entries())  # type: ignore[union-attr]
    assert (summary.calls, summary.cache_hits, summary.escalations) == (2, 1, 0)
    assert summary.groups[0].backend == "ollama" and summary.groups[0].tokens_out == 16


async def test_low_confidence_escalates_with_a_redacted_prompt(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,
    claude: AnthropicStandIn,  # type: ignore[no-untyped-def]
) -> None:
    ollama.logprob = -1.0  # confidence e^-1 = 0.37
    claude.echo_pseudonyms = True
    helper = assistant(indexed, embedder, ollamaHost=ollama.url, allowCloud=True)
    result = await helper.run(ActionInput("ask", QUESTION))
    assert result.route.model_dump() == {
        "backend": "anthropic",
        "model": "claude-sonnet-5-5",
        "reason": "escalated: local confidence 0.37 < 0.70",
        "escalated": True,
    }
    assert claude.violations == []
    body = str(claude.requests[-1])
    assert "CN_" in body and "⟦TKN:email:" in body
    # the user's own view shows the real names again
    assert result.answer.startswith("Use helm rollback [1]. Ask ")
    assert "Marco" in result.answer or "Priya" in result.answer
    assert "CN_" not in result.answer
    assert [e.backend for e in helper.ledger.entries()] == ["ollama", "anthropic"]  # type: ignore[union-attr]


@pytest.fixture()
def elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Ollama host counts as another machine (tests/unit/test_remote_ollama.py does it
    for real, in a network namespace)."""
    monkeypatch.setattr("chatx.llm.ollama.is_local_host", lambda host: False)


async def test_ollama_elsewhere_gets_only_the_redacted_prompt(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,
    elsewhere: None,  # type: ignore[no-untyped-def]
) -> None:
    ollama.echo_pseudonyms = True
    helper = assistant(indexed, embedder, ollamaHost=ollama.url)
    result = await helper.run(ActionInput("ask", QUESTION))
    note = "ollama at 127.0.0.1 is not on this machine: prompt redacted by the Policy Shield"
    assert result.route.model_dump() == {
        "backend": "ollama",
        "model": "gemma3:4b",
        "reason": f"local first: local confidence 0.95 >= 0.70; {note}",
        "escalated": False,
    }
    assert len(ollama.requests) == 1
    body = str(ollama.requests[0])
    assert not [raw for raw in RAW if raw.casefold() in body.casefold()]
    assert "CN_" in body and "⟦TKN:email:" in body
    # the user's own view has the pseudonyms the model repeated revealed
    assert result.answer.startswith("Roll back with `helm rollback orders 41` [1]. Ask ")
    assert "priya@orders.example" in result.answer
    assert "CN_" not in result.answer and "⟦TKN" not in result.answer
    assert [e.reason for e in helper.ledger.entries()] == [  # type: ignore[union-attr]
        f"local first; {note}"
    ]


async def test_ollama_elsewhere_never_gets_what_the_shield_blocks(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,
    elsewhere: None,  # type: ignore[no-untyped-def]
) -> None:
    helper = assistant(indexed, embedder, ollamaHost=ollama.url)
    label = ActionInput("summarize", "[CONFIDENTIAL] rollback plan?")
    result = await helper.run(label)
    assert result.route.backend == "extractive"
    assert result.route.reason == (
        "local first; ollama at 127.0.0.1 is not on this machine and the Policy Shield "
        "blocked the prompt (preflight blocked: content that never leaves the machine: "
        "label x1): answering from the index"
    )
    with pytest.raises(ChatxError) as blocked:
        await helper.run(label, "local")
    assert blocked.value.problem.code == "POLICY_SHIELD_FAILURE"
    assert ollama.requests == []


async def test_remote_models_forbid_never_contacts_the_host(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,
    elsewhere: None,  # type: ignore[no-untyped-def]
) -> None:
    helper = assistant(
        indexed, embedder, ollamaHost=ollama.url, remoteModels="forbid", localBackend="ollama"
    )
    result = await helper.run(ActionInput("ask", QUESTION), "local")
    assert result.route.backend == "extractive"
    assert result.route.reason == (
        "local only (--backend local): ollama at 127.0.0.1 is not on this machine: "
        "remote model hosts are forbidden (remoteModels = forbid)"
    )
    assert ollama.paths == [] and ollama.requests == []


async def test_remote_models_forbid_falls_back_to_the_embedded_model(
    ollama: OllamaStandIn, elsewhere: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    backends = Backends.from_settings(
        Settings.model_validate({"ollamaHost": ollama.url, "remoteModels": "forbid"})
    )
    ollama_backend, embedded = backends.local_backends

    async def ready() -> None:
        return None

    monkeypatch.setattr(embedded, "probe", ready)
    backend, note = await backends.local()
    assert (ollama_backend.name, backend) == ("ollama", embedded)
    assert note == (
        "ollama at 127.0.0.1 is not on this machine: remote model hosts are forbidden "
        "(remoteModels = forbid)"
    )
    assert ollama.paths == []
    await backends.aclose()


async def test_cloud_off_keeps_the_local_answer_and_says_why(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,  # type: ignore[no-untyped-def]
) -> None:
    ollama.logprob = -1.0
    helper = assistant(indexed, embedder, ollamaHost=ollama.url)
    result = await helper.run(ActionInput("ask", "how do we roll back a failed deploy?"))
    assert result.route.backend == "ollama"
    assert result.route.reason == (
        "local confidence 0.37 < 0.70, but the cloud is off (allowCloud is false; "
        "pass --allow-cloud): kept the local answer"
    )
    assert "The local answer is uncertain." in result.answer


async def test_heavy_action_goes_to_opus_and_transient_errors_are_retried(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,
    claude: AnthropicStandIn,  # type: ignore[no-untyped-def]
) -> None:
    claude.fail_next("429", "529")
    helper = assistant(indexed, embedder, ollamaHost=ollama.url, allowCloud=True)
    code = "import os\n\ndef deploy(tag):\n    os.system('helm upgrade orders --set tag=' + tag)\n"
    result = await helper.run(ActionInput("security-review", code, "src/deploy.py"))
    assert result.route.model == "claude-opus-5-5"
    assert result.route.reason == "escalated: /security-review is a heavy-reasoning action"
    assert "line 4: os-system — use subprocess.run" in result.answer
    assert len(claude.requests) == 3 and claude.violations == []
    outcomes = [e.outcome for e in helper.ledger.entries()]  # type: ignore[union-attr]
    assert outcomes == ["ok"]


async def test_cloud_backend_needs_permission_a_key_and_a_clean_preflight(
    indexed: Path,
    embedder,
    claude: AnthropicStandIn,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    helper = assistant(indexed, embedder)
    with pytest.raises(ChatxError) as off:
        await helper.run(ActionInput("ask", QUESTION), "cloud")
    assert off.value.problem.code == "CLOUD_DISABLED"
    with pytest.raises(ChatxError) as blocked:
        await helper.run(ActionInput("ask", "[CONFIDENTIAL] rollback plan?"), "cloud", True)
    assert blocked.value.problem.code == "POLICY_SHIELD_FAILURE"
    assert "label x1" in blocked.value.problem.detail
    assert claude.requests == []
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(ChatxError) as keyless:
        await helper.run(ActionInput("ask", QUESTION), "cloud", True)
    assert keyless.value.problem.detail == "cannot use the cloud: no ANTHROPIC_API_KEY is set"


async def test_cloud_backend_failure_is_a_problem_not_a_trace(
    indexed: Path,
    embedder,
    claude: AnthropicStandIn,  # type: ignore[no-untyped-def]
) -> None:
    claude.fail_next(*["529"] * 4)
    helper = assistant(indexed, embedder)
    with pytest.raises(ChatxError) as failed:
        await helper.run(ActionInput("summarize", "Marco: roll back to 41"), "cloud", True)
    assert failed.value.problem.code == "BACKEND_UNAVAILABLE"
    assert len(claude.requests) == 4


async def test_tdd_loop_proposes_a_test_file(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,  # type: ignore[no-untyped-def]
) -> None:
    ollama.answer = (
        "```python\nfrom deploy import rollback\n\n"
        "def test_rollback():\n    assert rollback(41) == 41\n```"
    )
    helper = assistant(indexed, embedder, ollamaHost=ollama.url)
    code = "def rollback(revision):\n    return revision\n"
    result = await helper.run(ActionInput("tdd-loop", code, "src/deploy.py"), "local")
    assert result.file is not None and result.file.path == "tests/test_deploy.py"
    assert result.file.text.startswith("from deploy import rollback\n")
    assert "```" not in result.file.text

    offline = assistant(indexed, embedder, localBackend="ollama", ollamaHost="127.0.0.1:9")
    skeleton = await offline.run(ActionInput("tdd-loop", code, "src/deploy.py"))
    assert skeleton.file is not None
    assert 'pytest.fail("write the first test of deploy.rollback")' in skeleton.file.text


async def test_reply_prompt_carries_tone_and_turns(
    indexed: Path,
    embedder,
    ollama: OllamaStandIn,  # type: ignore[no-untyped-def]
) -> None:
    helper = assistant(indexed, embedder, ollamaHost=ollama.url)
    before = "Priya: Staging deploy of orders failed again\nMarco: Readiness probe timing out?"
    await helper.run(
        ActionInput("reply", "Priya: Yes, the migration holds the lock", None, before, "brief")
    )
    prompt = ollama.requests[-1]["prompt"]
    system = ollama.requests[-1]["system"]
    assert "Tone: brief." in system
    assert "Marco: Readiness probe timing out?" in prompt
    assert "The message to reply to:\nPriya: Yes, the migration holds the lock" in prompt


async def test_bad_requests_are_problems(indexed: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    helper = assistant(indexed, embedder)
    with pytest.raises(ChatxError, match="needs some text"):
        await helper.run(ActionInput("summarize", "  "))
    with pytest.raises(ChatxError, match="unknown action"):
        await helper.run(ActionInput("poem", "x"))
