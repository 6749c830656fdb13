"""Where a request goes: local first, Claude when it must, and always a reason a person can read.

Pure decisions, no I/O: the assistant asks `plan` before calling anything and `judge` after the
local answer; the Policy Shield gate on the exact prompt is the assistant's last step before a
cloud call.

Hysteresis (ADR 0008): per action kind the escalation threshold starts at `tau` and moves to
`low` after a local answer was kept, or to `high` after one was escalated, so answers with
confidence near tau do not flip between local and cloud from one request to the next.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Literal

from chatx.config import Settings
from chatx.llm.base import degenerate

Preference = Literal["auto", "local", "cloud"]
Target = Literal["local", "cloud", "none"]


@dataclass(frozen=True)
class Policy:
    """The router's thresholds and limits."""

    tau: float
    low: float
    high: float
    max_files: int
    heavy: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        """The policy the settings configure."""
        m = settings.models
        return cls(
            m.confidence_tau,
            m.confidence_low,
            m.confidence_high,
            m.max_context_files,
            frozenset(m.heavy_actions),
        )


@dataclass(frozen=True)
class Situation:
    """What the router knows about a request before any model is called."""

    action: str
    prompt_tokens: int
    files: int
    local_window: int | None  # None: no local model can run
    output_tokens: int
    cloud_block: str | None  # why the cloud may not be used; None: it may
    preference: Preference = "auto"


@dataclass(frozen=True)
class Plan:
    """Where to send the request first, and why."""

    target: Target
    reason: str
    heavy: bool = False


@dataclass
class Router:
    """Local-first routing with per-action hysteresis on the local answer's confidence."""

    policy: Policy
    _escalated: dict[str, bool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def threshold(self, action: str) -> float:
        """The confidence a local answer to `action` needs to be kept."""
        last = self._escalated.get(action)
        if last is None:
            return self.policy.tau
        return self.policy.high if last else self.policy.low

    def plan(self, situation: Situation) -> Plan:
        """The first target for a request: forced by `preference`, else local unless a rule
        says the local model cannot do it (heavy action, window, file count)."""
        s = situation
        heavy = s.action in self.policy.heavy
        local: Target = "local" if s.local_window is not None else "none"
        if s.preference == "local":
            return Plan(local, "local only (--backend local)", heavy)
        if s.preference == "cloud":
            return Plan("cloud", "cloud requested (--backend cloud)", heavy)
        reasons = []
        if heavy:
            reasons.append(f"/{s.action} is a heavy-reasoning action")
        if s.local_window is not None and s.prompt_tokens + s.output_tokens > s.local_window:
            reasons.append(
                f"the prompt ({s.prompt_tokens} tokens + {s.output_tokens} out) exceeds the "
                f"local window of {s.local_window}"
            )
        if s.files > self.policy.max_files:
            reasons.append(f"the context spans {s.files} files (limit {self.policy.max_files})")
        if s.local_window is None:
            reasons.append("no local model is running")
        if not reasons:
            return Plan(local, "local first", heavy)
        why = "; ".join(reasons)
        if s.cloud_block is None:
            return Plan("cloud", f"escalated: {why}", heavy)
        if local == "none":
            return Plan(local, f"{why}, and {s.cloud_block}", heavy)
        return Plan(local, f"{why}, but {s.cloud_block}: staying local", heavy)

    def judge(self, action: str, confidence: float) -> tuple[bool, str]:
        """Whether a local answer with `confidence` should be escalated, and why; the verdict
        moves the action's threshold (hysteresis)."""
        with self._lock:
            threshold = self.threshold(action)
            escalate = confidence < threshold
            self._escalated[action] = escalate
        sign = "<" if escalate else ">="
        return escalate, f"local confidence {confidence:.2f} {sign} {threshold:.2f}"


_WORD = re.compile(r"[^\W_]{4,}", re.UNICODE)
_HEDGES = (
    "i don't know",
    "i do not know",
    "not sure",
    "cannot answer",
    "can't answer",
    "no information",
    "not mentioned",
    "unclear",
)


def local_confidence(text: str, logprobs_mean: float | None, context: str) -> float:
    """A local answer's confidence: the geometric mean token probability when the backend
    gives log-probabilities, else `grounded_confidence`; at most 0.2 for looping output."""
    confidence = logprobs_mean if logprobs_mean is not None else grounded_confidence(text, context)
    if not text.strip():
        return 0.0
    return round(min(confidence, 0.2) if degenerate(text) else confidence, 4)


def grounded_confidence(answer: str, context: str) -> float:
    """Confidence for backends without log-probabilities: how much of the answer's vocabulary
    the context supports, lowered for hedges and empty answers.

    0.30 + 0.65 x (share of the answer's words of 4+ letters that occur in the context),
    minus 0.25 when the answer hedges; an answer with no such words scores 0.2. The constants
    put a fully grounded answer at 0.95 and an ungrounded one at 0.30, either side of the
    0.62-0.78 band. It measures grounding, not certainty: bench/route_bench.py prints it beside
    the embedded Gemma's log-probability confidence (ADR 0008 gives the figures).
    """
    words = [w.casefold() for w in _WORD.findall(answer)]
    if not words:
        return 0.2
    vocabulary = {w.casefold() for w in _WORD.findall(context)}
    support = sum(w in vocabulary for w in words) / len(words)
    score = 0.30 + 0.65 * support
    if any(hedge in answer.casefold() for hedge in _HEDGES):
        score -= 0.25
    return round(max(0.0, min(1.0, score)), 4)
