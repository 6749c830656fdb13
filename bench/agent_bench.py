"""The agent face through the official MCP client: `python bench/agent_bench.py --chunks 100000`.

Workspace: the pre-indexed 100k-chunk workspace of lsp_bench.py. Starts `chatx mcp` over stdio
as a coding agent does and times `search` calls (k=8) with the Policy Shield gate on (the
default: every snippet pseudonymised and preflighted) and off (`agentShield = false`).

Prints: time from process start to the first answered search; search p50/p95 per mode. Then
`chatx hook prompt` (the UserPromptSubmit hook, run as Claude Code runs it: the installed
console script, the event on stdin): cold, with no daemon (it searches and redacts in-process),
and with the daemon up (`chatx mcp` for the workspace answers over its socket), wall time per
hook process, and how many prompts got context.
Targets: MCP `search` p95 <= 30 ms at 100k chunks; `chatx hook prompt` cold p50 <= 1.5 s, with
the daemon p50 <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from chatx import endpoint
from common import line, percentiles
from lsp_bench import prepare
from synth import message_text


async def measure(ws: Path, queries: list[str], gate: bool) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHATX_AGENT_SHIELD": str(gate).lower()}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "chatx", "mcp", "--workspace", str(ws)], env=env
    )
    mode = "gate on" if gate else "gate off"
    started = time.perf_counter()
    async with Client(params, read_timeout_seconds=300) as client:
        first = await client.call_tool("search", {"query": queries[0], "k": 8})
        assert not first.is_error, first.content
        line(f"first search after start ({mode})", f"{time.perf_counter() - started:.2f} s")
        samples: list[float] = []
        cited = 0
        for query in queries:
            sent = time.perf_counter()
            result = await client.call_tool("search", {"query": query, "k": 8})
            samples.append((time.perf_counter() - sent) * 1000)
            assert not result.is_error, result.content
            cited += len(result.structured_content["citations"])
    p50, p95 = percentiles(samples)
    line(
        f"MCP search ({mode})",
        f"p50 {p50:.1f} ms / p95 {p95:.1f} ms ({cited / len(queries):.1f} citations avg)",
        target="p95 <= 30 ms" if gate else "",
    )


def hook_prompt(ws: Path, prompts: list[str], label: str, target: str) -> None:
    """Run `chatx hook prompt` once per prompt; print wall-time percentiles."""
    executable = Path(sys.executable).with_name("chatx")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    samples: dict[bool, list[float]] = {True: [], False: []}
    for prompt in prompts:
        event = json.dumps(
            {"hook_event_name": "UserPromptSubmit", "cwd": str(ws), "prompt": prompt}
        )
        sent = time.perf_counter()
        done = subprocess.run(
            [str(executable), "hook", "prompt"],
            input=event,
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        samples[bool(done.stdout.strip())].append((time.perf_counter() - sent) * 1000)
    every = samples[True] + samples[False]
    p50, p95 = percentiles(every)
    line(f"chatx hook prompt ({label})", f"p50 {p50:.0f} ms / p95 {p95:.0f} ms", target=target)
    for with_context, kept in samples.items():
        if kept:
            p50, p95 = percentiles(kept)
            what = "context added" if with_context else "nothing relevant"
            line(f"  {what} ({len(kept)} of {len(every)})", f"p50 {p50:.0f} ms / p95 {p95:.0f} ms")


def with_daemon(ws: Path, prompts: list[str]) -> None:
    """`hook_prompt` while `chatx mcp` serves the workspace (warmed by one prompt first)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "chatx", "mcp", "--workspace", str(ws)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        while not (endpoint.call(ws, "ping", {}, timeout=5) or {}).get("ready"):
            time.sleep(0.2)
        for prompt in prompts:  # until one is redacted: the gate's models are loaded
            if endpoint.call(ws, "context", {"prompt": prompt}, timeout=120):
                break
        hook_prompt(ws, prompts, "daemon up", "p50 <= 100 ms")
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hooks", type=int, default=30, help="prompt hooks run with the daemon")
    args = parser.parse_args()
    ws = prepare(args.chunks)
    rng = random.Random(5)
    queries = [message_text(rng).split("\n")[0][:120] for _ in range(args.queries)]
    print(f"# agent_bench: {args.chunks} chunks, {args.queries} searches", flush=True)
    for gate in (False, True):
        asyncio.run(measure(ws, queries, gate))
    prompts = queries[: args.hooks]  # lines of the indexed chats: most find relevant passages
    hook_prompt(ws, prompts[: max(3, args.hooks // 3)], "cold, no daemon", "p50 <= 1.5 s")
    with_daemon(ws, prompts)


if __name__ == "__main__":
    main()
