"""The daemon through a real LSP client over stdio: `python bench/lsp_bench.py --chunks 100000`.

Workspace: the 100k-chunk store of query_bench.py (synthetic chat and doc chunks with real
embeddings mixed, FTS + ANN indices) copied into `<ws>/.claude-context/`, one file per source,
and a catalog recording those files as indexed, so the daemon starts on an indexed workspace
and its first run finds nothing to do. Every figure is measured from a pygls LanguageClient
talking to `chatx serve` in a subprocess.

Prints: time from process start to the first non-empty hover; hover and completion p50/p95
over 200 requests; save-to-searchable latency (a new file written -> its citation in hover);
daemon RSS idle and after indexing 10k new chat messages. Targets: hover p95 <= 30 ms,
completion p95 <= 10 ms, save-to-searchable <= 1 s, first hover <= 3 s, idle RSS <= 600 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatx.config import Settings
from chatx.index.catalog import Catalog, FileRecord
from chatx.index.embedder import EmbedderSpec, create_embedder
from chatx.index.indexer import pipeline_id
from chatx.index.rows import SCHEMA_VERSION as ROWS_SCHEMA
from common import DATA, line, percentiles
from lsp_client import ServerSession
from query_bench import build
from synth import NAMES, message_text, whatsapp_export

HOVERS = 200


def prepare(chunks: int) -> Path:
    """The pre-indexed workspace (built once, reused)."""
    root = DATA / f"lsp-{chunks}"
    ws = root / "ws"
    pristine = root / "pristine-state"
    # a copy made by another version (its pipeline or row mirror) would be rebuilt by the daemon
    # while this run measures: make it anew
    made_by = f"{pipeline_id(Settings.model_validate({}))}|rows={ROWS_SCHEMA}"
    stamp = root / "made-by"
    if pristine.is_dir() and (not stamp.exists() or stamp.read_text() != made_by):
        shutil.rmtree(root)
    if pristine.is_dir():
        # every run starts from the same index: what an earlier run added (or left half done
        # when it stopped) would otherwise be cleaned up while this run measures
        shutil.rmtree(ws / "new", ignore_errors=True)
        shutil.rmtree(ws / ".claude-context")
        shutil.copytree(pristine, ws / ".claude-context")
        return ws
    store, _ = build(DATA / f"query-{chunks}", chunks, create_embedder("onnx"))
    shutil.rmtree(root, ignore_errors=True)
    state = ws / ".claude-context"
    state.mkdir(parents=True)
    shutil.copytree(store.db_dir, state / "lancedb")
    shutil.copy(store.rows.path, state / "chunks.sqlite")
    texts: dict[str, list[str]] = {}
    for source, text, _ in store.rows.by_source():
        texts.setdefault(source, []).append(text)
    settings = Settings.model_validate({})
    catalog = Catalog(state / "catalog.sqlite")
    catalog.set_meta("pipeline", pipeline_id(settings))
    catalog.set_meta("embedder", EmbedderSpec(settings.index.embedder).model_id)
    records = []
    for source, parts in texts.items():
        path = ws / source
        path.parent.mkdir(parents=True, exist_ok=True)
        data = ("\n\n".join(parts) + "\n").encode()
        path.write_bytes(data)
        info = path.stat()
        digest = hashlib.sha256(data).hexdigest()
        kind = "markdown" if source.endswith(".md") else "whatsapp"
        records.append(
            FileRecord(
                source,
                kind,
                "indexed",
                info.st_size,
                info.st_mtime_ns,
                digest,
                digest,
                len(parts),
                len(parts),
            )
        )
    catalog.save(records)
    catalog.close()
    shutil.copytree(state, pristine)
    stamp.write_text(made_by)
    print(f"# prepared {ws}: {len(records)} files, {chunks} chunks", flush=True)
    return ws


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return float("nan")


class Session(ServerSession):
    """The benchmark's client of `chatx serve`."""

    def __init__(self, ws: Path) -> None:
        super().__init__(ws, "chatx-bench")

    def open(self, path: Path, text: str, language: str = "markdown") -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, language, 1, text))
        )
        return uri

    async def hover(self, uri: str, line_no: int, char: int) -> str:
        result = await self.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line_no, char))
        )
        return result.contents.value if result else ""  # type: ignore[union-attr]

    async def complete(self, uri: str, line_no: int, char: int) -> int:
        result = await self.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line_no, char))
        )
        return len(result.items) if result else 0  # type: ignore[union-attr]


async def within(limit: float, check: Any, since: float) -> float:
    """Seconds from `since` until `await check()` is truthy; fails after `limit` seconds."""
    while not await check():
        if time.perf_counter() - since > limit:
            raise SystemExit(f"gave up after {limit} s waiting for {check}")
        await asyncio.sleep(0.01)
    return time.perf_counter() - since


async def timed(samples: list[float], coro: Any) -> Any:
    started = time.perf_counter()
    value = await coro
    samples.append((time.perf_counter() - started) * 1000)
    return value


async def main_async(chunks: int) -> None:
    ws = prepare(chunks)
    rng = random.Random(11)
    session = Session(ws)
    started = await session.start()
    # Documents the editor has open but that are not workspace files: hovering and completing
    # in them measures the requests, not the live re-index of the bench's own files.
    scratch = DATA / "lsp-scratch"
    probe = session.open(scratch / "probe.md", "Priya asked about the readiness probe\n")
    first_hover = await within(60, lambda: session.hover(probe, 0, 2), started)
    while session.ended == 0:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # vocabulary load and startup work settle
    idle_rss = rss_mb(session.pid)
    print(f"# lsp_bench: {chunks} chunks, {len(list(ws.rglob('*.*')))} files, pid {session.pid}")
    line("first non-empty hover after process start", f"{first_hover:.2f} s", target="<= 3 s")

    lines = [message_text(rng).split("\n")[0] for _ in range(HOVERS)]
    doc = session.open(scratch / "questions.md", "\n".join(lines) + "\n")
    hover_ms: list[float] = []
    words_hovered: list[str] = []
    shown = 0
    for i, text in enumerate(lines):
        words = [w for w in text.split() if len(w) > 3] or text.split()
        word = rng.choice(words)
        words_hovered.append(word)
        char = text.index(word) + 1
        shown += bool(await timed(hover_ms, session.hover(doc, i, char)))
    p50, p95 = percentiles(hover_ms)
    line(
        "hover",
        f"p50 {p50:.1f} ms / p95 {p95:.1f} ms ({shown}/{HOVERS} non-empty)",
        target="p95 <= 30 ms",
    )
    # The daemon caches query vectors: a word hovered before skips the embedding.
    first = [ms for i, ms in enumerate(hover_ms) if words_hovered[i] not in words_hovered[:i]]
    p50, p95 = percentiles(first)
    line(
        f"hover, first time a word is hovered ({len(first)})",
        f"p50 {p50:.1f} ms / p95 {p95:.1f} ms",
    )

    prefixes = [w[: rng.randint(1, 3)] for w in (rng.choice(NAMES) for _ in range(HOVERS // 2))]
    prefixes += [rng.choice(t.split())[:2] for t in lines[: HOVERS // 2]]
    typed = session.open(scratch / "typing.md", "\n".join(prefixes) + "\n")
    completion_ms: list[float] = []
    items = 0
    for i, prefix in enumerate(prefixes):
        items += await timed(completion_ms, session.complete(typed, i, len(prefix)))
    p50, p95 = percentiles(completion_ms)
    line(
        "completion",
        f"p50 {p50:.2f} ms / p95 {p95:.2f} ms ({items / len(prefixes):.0f} items avg)",
        target="p95 <= 10 ms",
    )

    save_ms = []
    for i in range(10):
        word = f"zorblax{i}"
        probe_uri = session.open(ws / "new" / f"probe-{i}.md", f"{word}\n")
        await asyncio.sleep(0.5)  # the probe itself is indexed first
        written = time.perf_counter()
        (ws / "new" / f"note-{i}.md").write_text(f"# Note\n\nThe {word} rollout is paused.\n")
        wanted = f"new/note-{i}.md"

        async def found(uri: str = probe_uri, source: str = wanted) -> bool:
            return source in await session.hover(uri, 0, 2)

        save_ms.append(await within(10, found, written) * 1000)
    p50, p95 = percentiles(save_ms)
    print("# save-to-searchable samples (ms): " + " ".join(f"{ms:.0f}" for ms in save_ms))
    line("save-to-searchable", f"p50 {p50:.0f} ms / max {max(save_ms):.0f} ms", target="<= 1000 ms")
    line("daemon RSS idle (indexed workspace)", f"{idle_rss:.0f} MiB", target="<= 600 MB")

    indexed = time.perf_counter()
    for i in range(20):
        export = whatsapp_export(rng, 500, datetime(2024, 1, 1) + timedelta(days=i), i % 2 == 0)
        (ws / "new" / "chats").mkdir(parents=True, exist_ok=True)
        (ws / "new" / "chats" / f"team-{i}.txt").write_text(export, encoding="utf-8")
    await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="chatx.reindex", arguments=[])
    )
    line(
        "daemon RSS after indexing 10k new messages",
        f"{rss_mb(session.pid):.0f} MiB ({time.perf_counter() - indexed:.0f} s to index)",
    )
    await session.stop()
    shutil.rmtree(ws / "new", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main_async(args.chunks))


if __name__ == "__main__":
    main()
