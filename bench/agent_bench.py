"""The agent face through the official MCP client: `python bench/agent_bench.py --chunks 100000`.

Workspace: the pre-indexed 100k-chunk workspace of lsp_bench.py. Starts `chatx mcp` over stdio
as a coding agent does and times `search` calls (k=8) with the Policy Shield gate on (the
default: every snippet pseudonymised and preflighted) and off (`agentShield = false`).

Prints: time from process start to the first answered search; search p50/p95 per mode.
Target: MCP `search` p95 <= 30 ms at 100k chunks. (`chatx hook prompt` arrives with the hooks.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mcp import Client
from mcp.client.stdio import StdioServerParameters

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    ws = prepare(args.chunks)
    rng = random.Random(5)
    queries = [message_text(rng).split("\n")[0][:120] for _ in range(args.queries)]
    print(f"# agent_bench: {args.chunks} chunks, {args.queries} searches", flush=True)
    for gate in (False, True):
        asyncio.run(measure(ws, queries, gate))


if __name__ == "__main__":
    main()
