"""Model-backed slash actions: gather cited context, route, call, record, and fall back.

`Assistant.run` is what `chatx ask|summarize|...` and the editor's `/ask` ... `/security-review`
both call. Local first; the cloud only with `allowCloud`, a key and a passing Policy Shield
preflight on the exact (redacted) prompt. A model server on another machine (an Ollama host
elsewhere) gets exactly the cloud's gate. With no model at all, the answer is extractive:
the cited passages themselves and which backend to start.

This module runs an action; `execution` routes and calls the models, `results` holds what
differs per action.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from chatx.actions import BY_NAME, MODEL_ACTIONS
from chatx.assistant.execution import Call, Calls, Execution, Prompt
from chatx.assistant.inputs import ActionInput
from chatx.assistant.results import Answer, action_result, render_prompt, shape_of
from chatx.assistant.review import Issue
from chatx.assistant.templates import template
from chatx.config import Settings
from chatx.index.search import to_citation
from chatx.index.store import Found
from chatx.llm.ledger import Ledger, digest
from chatx.llm.registry import Backends
from chatx.llm.router import Policy, Preference, Router, Situation
from chatx.models import ActionResult
from chatx.problems import ChatxError, ProblemCode
from chatx.shield import Shield

ACTIONS = MODEL_ACTIONS
QUERY_CHARS = 2000  # the end of a long selection is what the index is searched for

Searcher = Callable[[str, int], list[Found]]


class Assistant:
    """Runs slash actions for one workspace: its search, shield, ledger and model backends."""

    def __init__(
        self,
        settings: Settings,
        search: Searcher,
        shield: Callable[[], Shield],
        ledger: Ledger | None = None,
        backends: Backends | None = None,
    ) -> None:
        """`search` and `shield` block (call them from a thread); `backends` default to the
        ones the settings choose."""
        self.settings = settings
        self.search = search
        self.shield = shield
        self.ledger = ledger
        self.backends = backends or Backends.from_settings(settings)
        self.router = Router(Policy.of(settings))
        self.calls = Calls(settings, self.backends, ledger)

    async def run(
        self,
        request: ActionInput,
        preference: Preference | None = None,
        allow_cloud: bool | None = None,
    ) -> ActionResult:
        """Run one action; failures that leave nothing to show raise a `ChatxError`."""
        started = time.perf_counter()
        spec = BY_NAME.get(request.action)
        if spec is None or not spec.model:
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"unknown action {request.action!r}")
        if not request.text.strip():
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"/{request.action} needs some text")
        preference = preference or self.settings.models.backend
        allow = self.settings.models.allow_cloud if allow_cloud is None else allow_cloud
        cloud_block = await self.backends.cloud_block(allow)
        if preference == "cloud" and cloud_block:
            raise ChatxError.of(ProblemCode.CLOUD_DISABLED, f"cannot use the cloud: {cloud_block}")

        found = await asyncio.to_thread(self._retrieve, request)
        citations = [to_citation(item.hit, request.text) for item in found]
        findings = await asyncio.to_thread(shape_of(spec.name).findings, request, self.shield)
        prompt = _prompt(request, found, findings, [c.chunk_id for c in citations])
        local, local_why = await self.backends.local()
        files = {c.source for c in citations} | ({request.path} if request.path else set())
        tokens = (local or self.backends.cloud(False)).count_tokens(
            f"{prompt.system}\n\n{prompt.text}"
        )
        plan = self.router.plan(
            Situation(
                action=spec.name,
                prompt_tokens=tokens,
                files=len(files),
                local_window=local.capabilities.context_window if local else None,
                output_tokens=self.settings.models.max_output_tokens,
                cloud_block=cloud_block,
                preference=preference,
            )
        )
        execution = Execution(
            self.calls, self.backends, self.router, self.shield, prompt, plan, preference
        )
        route, call = await execution.execute(local, local_why, cloud_block)
        answer = await self._answer(call) if call else None
        took_ms = round((time.perf_counter() - started) * 1000, 2)
        return action_result(request, route, answer, citations, findings, took_ms)

    async def _answer(self, call: Call) -> Answer:
        """What the call said, with the pseudonyms of a shielded call revealed for the user."""
        said = call.generation.text.strip()
        if call.shielded:
            said = (await asyncio.to_thread(self.shield)).reveal_text(said)
        return Answer(said, call.generation, call.cache_hit, call.confidence)

    def _retrieve(self, request: ActionInput) -> list[Found]:
        spec = BY_NAME[request.action]
        query = f"{request.before}\n{request.text}" if spec.turns_before else request.text
        try:
            return self.search(query[-QUERY_CHARS:], spec.sources)
        except ChatxError as exc:
            if spec.needs_index or exc.problem.code != ProblemCode.NOT_INDEXED:
                raise
            return []  # the other actions work on the selection alone

    async def aclose(self) -> None:
        """Close the backends and the ledger."""
        await self.backends.aclose()
        if self.ledger is not None:
            self.ledger.close()


def _prompt(
    request: ActionInput, found: list[Found], findings: list[Issue], chunk_ids: list[str]
) -> Prompt:
    """The rendered prompt of `request` with its sources and findings."""
    spec = BY_NAME[request.action]
    prompt_template = template(spec.prompt or spec.name)
    system, text = render_prompt(prompt_template, request, found, findings)
    return Prompt(
        action=spec.name,
        system=system,
        text=text,
        template_id=prompt_template.id,
        source_hash=digest(*chunk_ids, request.path or "", request.before, request.tone),
        one_line=spec.one_line,
    )
