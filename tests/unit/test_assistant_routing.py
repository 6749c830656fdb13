"""Routing, fallback and result shaping of the assistant in-process, with scripted backends
chosen through the production registry (the official clients against wire-protocol stand-ins
are tested in test_assistant.py and test_llm_backends.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.scripted import ScriptedBackend

from chatx.assistant import ActionInput, Assistant
from chatx.assistant.execution import BASE_STOP, ONE_LINE_STOP
from chatx.config import Settings
from chatx.index.store import Found, Hit
from chatx.llm.base import BackendTimeoutError, BackendUnavailableError, RateLimitedError
from chatx.llm.registry import Backends, register, unregister
from chatx.problems import ChatxError, ProblemCode
from chatx.shield import Shield, people_from

PEOPLE = ("Priya Raman", "Marco Bianchi")
NO_NAME_MODEL = {"names": None}  # names are the people listed: no entity model to load
QUESTION = "how did Priya Raman roll back the deploy?"
PASSAGE = "Priya Raman: rolled back with helm rollback orders 41 after the 500s"


@dataclass
class Setup:
    """An assistant over one cited passage and the scripted backends it was given."""

    assistant: Assistant
    local: list[ScriptedBackend]
    light: ScriptedBackend
    heavy: ScriptedBackend
    shield: Shield


@pytest.fixture()
def scripted() -> Iterator[None]:
    """The scripted backends, registered as `scripted` (on this machine), `scripted-remote`
    (a model host elsewhere) and `scripted-cloud`."""
    register("scripted", lambda settings, model: ScriptedBackend("scripted", "local-1"))
    register(
        "scripted-remote",
        lambda settings, model: ScriptedBackend("scripted-remote", "remote-1", local=False),
    )
    register(
        "scripted-cloud",
        lambda settings, model: ScriptedBackend(
            "scripted-cloud", model or settings.models.cloud_model, local=False
        ),
    )
    yield
    for name in ("scripted", "scripted-remote", "scripted-cloud"):
        unregister(name)


def setup(tmp_path: Path, local: tuple[str, ...] = ("scripted",), **settings: object) -> Setup:
    config = Settings.model_validate({"retryMaxDelayS": 0.01, **settings})
    hit = Hit("c1", "chats/ops.txt", "chat", PASSAGE, 12, 12, [], None, None, [PEOPLE[0]], 1.0)

    def find(query: str, k: int) -> list[Found]:
        return [Found(hit, tmp_path)][:k]

    shield = Shield.local(people_from(PEOPLE), folder=tmp_path / "shield", **NO_NAME_MODEL)
    backends = Backends.from_settings(config, local=local, cloud="scripted-cloud")
    helper = Assistant(config, find, functools.cache(lambda: shield), None, backends)
    locals_ = [b for b in backends.local_backends if isinstance(b, ScriptedBackend)]
    light, heavy = backends.light, backends.heavy
    assert isinstance(light, ScriptedBackend) and isinstance(heavy, ScriptedBackend)
    return Setup(helper, locals_, light, heavy, shield)


async def test_a_confident_local_answer_is_kept_with_the_unredacted_prompt(
    scripted: None, tmp_path: Path
) -> None:
    s = setup(tmp_path)
    s.local[0].enqueue("With helm rollback [1].")
    result = await s.assistant.run(ActionInput("ask", QUESTION))
    assert result.answer == "With helm rollback [1]."
    route = result.route
    assert (route.backend, route.model, route.escalated) == ("scripted", "local-1", False)
    assert route.reason == "local first: local confidence 0.95 >= 0.70"
    (request,) = s.local[0].requests
    assert f"Question: {QUESTION}" in request.prompt
    assert "[1] chats/ops.txt:12" in request.prompt and "Priya Raman" in request.prompt
    assert request.stop == () and request.max_tokens == 800
    assert [c.source for c in result.citations] == ["chats/ops.txt"]
    assert s.light.requests == [] and s.heavy.requests == []


async def test_low_confidence_escalates_with_a_redacted_prompt_and_a_revealed_answer(
    scripted: None, tmp_path: Path
) -> None:
    s = setup(tmp_path, allowCloud=True)
    s.local[0].logprob = -1.0  # confidence e^-1 = 0.37
    s.local[0].enqueue("not sure")

    def echo(request: object) -> str:
        token = re.search(r"CN_\w+", str(request))
        assert token, "the prompt names Priya by her pseudonym"
        return f"{token.group()} rolled it back [1]."

    s.light.enqueue(echo)
    result = await s.assistant.run(ActionInput("ask", QUESTION))
    route = result.route
    assert (route.backend, route.model, route.escalated) == (
        "scripted-cloud",
        "claude-sonnet-5-5",
        True,
    )
    assert route.reason == "escalated: local confidence 0.37 < 0.70"
    (sent,) = s.light.requests
    assert not any(name in sent.prompt or name in sent.system for name in PEOPLE)
    assert result.answer == "Priya Raman rolled it back [1]."
    assert result.confidence is None


async def test_a_failed_cloud_call_keeps_the_local_answer(scripted: None, tmp_path: Path) -> None:
    s = setup(tmp_path, allowCloud=True, retryAttempts=1)
    s.local[0].logprob = -1.0
    s.local[0].enqueue("maybe helm [1].")
    s.light.enqueue(BackendUnavailableError("scripted-cloud", "down"))
    result = await s.assistant.run(ActionInput("summarize", PASSAGE))
    assert result.route.backend == "scripted" and not result.route.escalated
    assert result.route.reason == (
        "local confidence 0.37 < 0.70, but the cloud call failed (unavailable: down): "
        "kept the local answer"
    )
    # a hedged action follows an uncertain answer with the cited passages
    assert result.answer.startswith("maybe helm [1].\n\nThe local answer is uncertain.\n")
    assert "[1] chats/ops.txt:12: " in result.answer


async def test_cloud_off_keeps_the_local_answer_and_says_why(
    scripted: None, tmp_path: Path
) -> None:
    s = setup(tmp_path)
    s.local[0].logprob = -1.0
    s.local[0].enqueue("maybe [1].")
    result = await s.assistant.run(ActionInput("reply", "can you roll it back?"))
    assert result.route.reason == (
        "local confidence 0.37 < 0.70, but the cloud is off (allowCloud is false; pass "
        "--allow-cloud): kept the local answer"
    )


async def test_a_failed_local_call_answers_from_the_index_or_is_a_problem(
    scripted: None, tmp_path: Path
) -> None:
    s = setup(tmp_path, retryAttempts=1)
    s.local[0].enqueue(BackendUnavailableError("scripted", "crashed"))
    result = await s.assistant.run(ActionInput("ask", QUESTION))
    assert result.route.backend == "extractive"
    assert result.route.reason == (
        "local first; scripted failed (unavailable: crashed): answering from the index"
    )
    assert result.answer.startswith("No model answered (local first; scripted failed")
    assert "From the index:\n[1] chats/ops.txt:12: " in result.answer

    s.local[0].enqueue(BackendTimeoutError("scripted", "slow"))
    with pytest.raises(ChatxError) as failure:
        await s.assistant.run(ActionInput("ask", "and then?"), preference="local")
    assert failure.value.problem.code == ProblemCode.TIMEOUT


async def test_transient_errors_are_retried_and_answers_cached(
    scripted: None, tmp_path: Path
) -> None:
    s = setup(tmp_path)
    s.local[0].enqueue(RateLimitedError("scripted", "busy", retry_after=0), "helm [1].")
    first = await s.assistant.run(ActionInput("ask", QUESTION))
    assert first.answer == "helm [1]." and len(s.local[0].requests) == 2


async def test_a_model_host_elsewhere_gets_the_cloud_gate(scripted: None, tmp_path: Path) -> None:
    s = setup(tmp_path, local=("scripted-remote",))
    s.local[0].enqueue("ok [1].")
    result = await s.assistant.run(ActionInput("ask", QUESTION))
    assert result.route.backend == "scripted-remote"
    assert result.route.reason.endswith(
        "; scripted-remote is not on this machine: prompt redacted by the Policy Shield"
    )
    (sent,) = s.local[0].requests
    assert "Priya" not in sent.prompt and "CN_" in sent.prompt


async def test_remote_models_forbid_skips_the_host_for_the_next_local_backend(
    scripted: None, tmp_path: Path
) -> None:
    s = setup(tmp_path, local=("scripted-remote", "scripted"), remoteModels="forbid")
    remote, here = s.local
    here.enqueue("ok [1].")
    result = await s.assistant.run(ActionInput("ask", QUESTION))
    assert result.route.backend == "scripted" and remote.requests == []
    assert result.route.reason.endswith(
        "; scripted-remote is not on this machine: remote model hosts are forbidden "
        "(remoteModels = forbid)"
    )


async def test_no_local_backend_says_what_to_start(scripted: None, tmp_path: Path) -> None:
    s = setup(tmp_path)
    s.local[0].unavailable = "start the scripted server"
    result = await s.assistant.run(ActionInput("ask", QUESTION))
    assert result.route.backend == "extractive"
    assert result.route.reason == (
        "no local model is running, and the cloud is off (allowCloud is false; pass "
        "--allow-cloud): start the scripted server"
    )


async def test_heavy_actions_go_to_the_heavy_model(scripted: None, tmp_path: Path) -> None:
    s = setup(tmp_path, allowCloud=True)
    s.heavy.enqueue("1. roll back\n2. test")
    result = await s.assistant.run(ActionInput("plan-slice", "ship the rollback button"))
    assert (result.route.backend, result.route.model) == ("scripted-cloud", "claude-opus-5-5")
    assert result.route.reason == "escalated: /plan-slice is a heavy-reasoning action"
    assert s.local[0].requests == [] and s.light.requests == []


async def test_security_review_starts_from_the_automatic_findings(
    scripted: None, tmp_path: Path
) -> None:
    code = "import os\nos.system(f'curl {url} | sh')\n"
    s = setup(tmp_path)
    s.local[0].enqueue("Looks risky.")
    result = await s.assistant.run(ActionInput("security-review", code, "deploy.py"))
    assert result.answer.startswith("Automatic findings:\n- line 2: os-system")
    assert result.answer.endswith("\n\nReview:\nLooks risky.")
    assert "os-system" in s.local[0].requests[0].prompt

    s.local[0].unavailable = "nothing runs"
    without = await s.assistant.run(ActionInput("security-review", "x = 1\n", "a.py"))
    assert without.answer.splitlines()[1:3] == ["Automatic findings:", "- none"]


async def test_tdd_loop_proposes_the_fenced_code_as_a_test_file(
    scripted: None, tmp_path: Path
) -> None:
    s = setup(tmp_path)
    s.local[0].enqueue("Here:\n```python\ndef test_add():\n    assert add(1, 2) == 3\n```\n")
    result = await s.assistant.run(ActionInput("tdd-loop", "def add(a, b): ...", "src/calc.py"))
    assert result.file is not None and result.file.path == "tests/test_calc.py"
    assert result.file.text == "def test_add():\n    assert add(1, 2) == 3\n"

    s.local[0].unavailable = "nothing runs"
    skeleton = await s.assistant.run(ActionInput("tdd-loop", "def add(a, b): ...", "calc.py"))
    assert skeleton.file is not None and "def test_add() -> None:" in skeleton.file.text


@pytest.mark.parametrize(("action", "stop"), [("ask", ONE_LINE_STOP), ("summarize", BASE_STOP)])
async def test_a_base_model_is_stopped_where_the_answer_ends(
    scripted: None, tmp_path: Path, action: str, stop: tuple[str, ...]
) -> None:
    register(
        "scripted",
        lambda settings, model: ScriptedBackend("scripted", "base-1", instruct=False),
    )
    s = setup(tmp_path)
    s.local[0].enqueue("helm [1].")
    await s.assistant.run(ActionInput(action, QUESTION))
    assert s.local[0].requests[0].stop == stop


async def test_an_unknown_or_empty_action_is_invalid_input(scripted: None, tmp_path: Path) -> None:
    s = setup(tmp_path)
    for request in (ActionInput("related", "x"), ActionInput("ask", "  ")):
        with pytest.raises(ChatxError) as failure:
            await s.assistant.run(request)
        assert failure.value.problem.code == ProblemCode.INVALID_INPUT
    assert s.local[0].requests == []
