"""Routing decisions over a table of cases, hysteresis, and the confidence measures."""

from __future__ import annotations

import dataclasses

import pytest

from chatx.config import Settings
from chatx.llm.base import Generation, degenerate
from chatx.llm.router import (
    Policy,
    Router,
    Situation,
    grounded_confidence,
    local_confidence,
)

POLICY = Policy.of(Settings())
OFF = "the cloud is off (allowCloud is false; pass --allow-cloud)"


def situation(**changes: object) -> Situation:
    base: dict[str, object] = {
        "action": "ask",
        "prompt_tokens": 900,
        "files": 2,
        "local_window": 4096,
        "output_tokens": 800,
        "cloud_block": None,
        "preference": "auto",
    }
    return Situation(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "target", "reason"),
    [
        ({}, "local", "local first"),
        ({"cloud_block": OFF}, "local", "local first"),
        (
            {"action": "security-review"},
            "cloud",
            "escalated: /security-review is a heavy-reasoning action",
        ),
        (
            {"action": "plan-slice", "cloud_block": OFF},
            "local",
            f"/plan-slice is a heavy-reasoning action, but {OFF}: staying local",
        ),
        (
            {"prompt_tokens": 3500},
            "cloud",
            "escalated: the prompt (3500 tokens + 800 out) exceeds the local window of 4096",
        ),
        ({"files": 9}, "cloud", "escalated: the context spans 9 files (limit 8)"),
        ({"files": 8}, "local", "local first"),
        ({"local_window": None}, "cloud", "escalated: no local model is running"),
        (
            {"local_window": None, "cloud_block": "no ANTHROPIC_API_KEY is set"},
            "none",
            "no local model is running, and no ANTHROPIC_API_KEY is set",
        ),
        ({"preference": "local", "action": "tdd-loop"}, "local", "local only (--backend local)"),
        ({"preference": "local", "local_window": None}, "none", "local only (--backend local)"),
        ({"preference": "cloud"}, "cloud", "cloud requested (--backend cloud)"),
    ],
)
def test_plan_table(changes: dict[str, object], target: str, reason: str) -> None:
    plan = Router(POLICY).plan(situation(**changes))
    assert (plan.target, plan.reason) == (target, reason)


def test_heavy_actions_pick_the_heavy_model_flag() -> None:
    router = Router(dataclasses.replace(POLICY, heavy=frozenset({"summarize"})))
    assert router.plan(situation(action="summarize")).heavy
    assert not router.plan(situation(action="ask")).heavy


def test_hysteresis_keeps_decisions_from_flapping() -> None:
    router = Router(POLICY)
    assert router.threshold("ask") == 0.7
    # 0.66 is below tau: escalate; then the bar is 0.78, so 0.74 still escalates
    assert router.judge("ask", 0.66) == (True, "local confidence 0.66 < 0.70")
    assert router.judge("ask", 0.74) == (True, "local confidence 0.74 < 0.78")
    assert router.judge("ask", 0.80) == (False, "local confidence 0.80 >= 0.78")
    # kept: the bar drops to 0.62, so 0.66 and 0.64 stay local
    assert router.judge("ask", 0.66) == (False, "local confidence 0.66 >= 0.62")
    assert router.judge("ask", 0.64) == (False, "local confidence 0.64 >= 0.62")
    assert router.judge("ask", 0.60) == (True, "local confidence 0.60 < 0.62")
    # per action kind: /reply has its own state
    assert router.threshold("reply") == 0.7


def test_confidence_from_logprobs_and_fallback() -> None:
    generation = Generation("Roll back", "m", 1, 2, logprobs=[-0.1, -0.3])
    assert generation.mean_probability() == pytest.approx(0.8187, abs=1e-4)
    assert local_confidence("Roll back", 0.8187, "") == pytest.approx(0.8187)
    context = "A failed deploy is rolled back with helm rollback orders"
    assert grounded_confidence("rolled back with helm rollback", context) == 0.95
    assert grounded_confidence("purple elephants dancing", context) == 0.3
    assert grounded_confidence("I don't know; rolled back with helm", context) == 0.57
    assert grounded_confidence("", context) == 0.2
    assert local_confidence("", None, context) == 0.0


def test_looping_output_is_low_confidence() -> None:
    loop = "\n".join(f"{i}. Create a new job with the channel." for i in range(1, 10))
    assert degenerate(loop)
    assert not degenerate("one\ntwo\nthree\none")
    assert local_confidence(loop, 0.94, "") == 0.2
