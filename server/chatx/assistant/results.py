"""What differs per action around the model call: the findings an action starts from, the
prompt's fields, and how the answer (or its absence) becomes an `ActionResult`.

Routing and execution do not know the actions apart; the table in `chatx.actions` says what is
data (sources, one-line answers, hedging), and a `Shape` here what is behaviour
(`/security-review` starts from the automatic findings, `/tdd-loop` proposes a test file).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType

from chatx import locator
from chatx.actions import BY_NAME
from chatx.assistant.inputs import ActionInput
from chatx.assistant.review import Issue, review
from chatx.assistant.templates import PromptTemplate
from chatx.index.store import Found
from chatx.llm.base import Generation
from chatx.models import ActionResult, FileEdit, QueryCitation, Route
from chatx.shield import Shield

LOW_CONFIDENCE = 0.7  # below it, a kept local answer comes with the cited passages
CONTEXT_CHARS = 6000  # prompt budget for the cited sources
_FENCE = re.compile(r"```[\w.+-]*\n(.*?)(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Answer:
    """What the model said, as the result needs it (None in a result: no model answered)."""

    text: str  # with any pseudonyms revealed
    generation: Generation
    cache_hit: bool
    confidence: float | None


class Shape:
    """How an action starts and how its answer becomes a result; most actions need no more."""

    def findings(self, request: ActionInput, shield: Callable[[], Shield]) -> list[Issue]:
        """What the action found before any model is asked (blocking)."""
        return []

    def answer(self, text: str, findings: list[Issue]) -> str:
        """The result's text for the model's answer `text`."""
        return text

    def preface(self, findings: list[Issue]) -> list[str]:
        """Lines that open an answer given without a model."""
        return []

    def file(self, request: ActionInput, answer: str | None) -> FileEdit | None:
        """A file the action proposes, from the model's answer (None: no model answered)."""
        return None


class SecurityReview(Shape):
    """The Policy Shield's and the risk patterns' findings first; the model adds to them."""

    def findings(self, request: ActionInput, shield: Callable[[], Shield]) -> list[Issue]:
        """The automatic findings of the selection, with their lines."""
        return review(request.text, shield(), request.first_line)

    def answer(self, text: str, findings: list[Issue]) -> str:
        """The automatic findings, then the model's review."""
        return f"{_findings(findings)}\n\nReview:\n{text}"

    def preface(self, findings: list[Issue]) -> list[str]:
        """The automatic findings."""
        return _findings(findings).splitlines()


class TddLoop(Shape):
    """Failing tests first, as a new test file."""

    def file(self, request: ActionInput, answer: str | None) -> FileEdit | None:
        """The model's code, or without a model one failing test per definition."""
        code = code_of(answer) if answer is not None else skeleton(request)
        return FileEdit(path=tests_file_for(request.path), text=code)


PLAIN = Shape()
SHAPES: Mapping[str, Shape] = MappingProxyType(
    {"security-review": SecurityReview(), "tdd-loop": TddLoop()}
)


def shape_of(action: str) -> Shape:
    """The shape of `action`'s result."""
    return SHAPES.get(action, PLAIN)


def render_prompt(
    prompt: PromptTemplate, request: ActionInput, found: list[Found], findings: list[Issue]
) -> tuple[str, str]:
    """The system and user prompts of `request` with its cited sources and findings."""
    budget = CONTEXT_CHARS // max(1, len(found))
    sources = []
    for number, item in enumerate(found, 1):
        body = " ".join(item.hit.text.split())
        body = body if len(body) <= budget else body[: budget - 1] + "…"
        sources.append(f"[{number}] {item.location} ({item.context()})\n{body}")
    return prompt.render(
        context="\n\n".join(sources) or "(none)",
        text=request.text.strip(),
        before=request.before.strip() or "(none)",
        tone=request.tone,
        path=request.path or "selection",
        framework=_framework(request.path),
        findings="\n".join(issue.render() for issue in findings) or "(none)",
    )


def action_result(
    request: ActionInput,
    route: Route,
    answer: Answer | None,
    citations: list[QueryCitation],
    findings: list[Issue],
    took_ms: float,
) -> ActionResult:
    """The result of `request`: the shaped answer, or the cited passages when no model answered
    (and after an uncertain local answer of a hedged action)."""
    shape = shape_of(request.action)
    if answer is None:
        heading = f"No model answered ({route.reason})."
        text = _extractive(heading, shape.preface(findings), citations)
    else:
        text = shape.answer(answer.text, findings)
        uncertain = (answer.confidence or 1.0) < LOW_CONFIDENCE
        if uncertain and citations and BY_NAME[request.action].hedged:
            text += "\n\n" + _extractive("The local answer is uncertain.", [], citations)
    generation = answer.generation if answer else None
    return ActionResult(
        action=request.action,
        answer=text,
        citations=citations,
        route=route,
        tokens_in=generation.tokens_in if generation else 0,
        tokens_out=generation.tokens_out if generation else 0,
        took_ms=took_ms,
        cache_hit=bool(answer and answer.cache_hit),
        confidence=answer.confidence if answer else None,
        file=shape.file(request, answer.text if answer else None),
    )


def _findings(findings: list[Issue]) -> str:
    lines = [f"- {issue.render()}" for issue in findings] or ["- none"]
    return "\n".join(["Automatic findings:", *lines])


def _extractive(heading: str, preface: list[str], citations: list[QueryCitation]) -> str:
    lines = [heading, *preface]
    if citations:
        lines.append("From the index:")
        lines.extend(
            f"[{n}] {locator.location(c.source, c.line_start, c.line_start, c.anchor)}: {c.snippet}"
            for n, c in enumerate(citations, 1)
        )
    return "\n".join(lines)


def _framework(path: str | None) -> str:
    suffix = PurePosixPath(path or "x.py").suffix
    return {".ts": "vitest", ".js": "vitest", ".go": "go test", ".rs": "cargo test"}.get(
        suffix, "pytest"
    )


def code_of(answer: str) -> str:
    """The code of a model's answer: its first fenced block, else the whole answer."""
    match = _FENCE.search(answer)
    return (match.group(1) if match else answer).strip() + "\n"


def skeleton(request: ActionInput) -> str:
    """Failing tests without a model: one per function or class defined in the selection."""
    names = re.findall(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", request.text, re.M)
    module = PurePosixPath(request.path).stem if request.path else "selection"
    body = ["import pytest", ""]
    for name in dict.fromkeys(names) or ["behaviour"]:
        body += [
            "",
            f"def test_{name.lower()}() -> None:",
            f'    pytest.fail("write the first test of {module}.{name}")',
            "",
        ]
    return "\n".join(body).rstrip() + "\n"


def tests_file_for(path: str | None) -> str:
    """Where `/tdd-loop` puts the tests of `path`: `tests/test_<stem>.py` (or the language's
    convention)."""
    source = PurePosixPath(path or "selection.py")
    if source.suffix in (".ts", ".js"):
        return str(source.with_name(f"{source.stem}.test{source.suffix}"))
    return f"tests/test_{source.stem}.py"
