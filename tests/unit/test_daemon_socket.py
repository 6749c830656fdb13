"""One daemon per workspace: while `chatx mcp` runs, `chatx query`, `chatx ask` and the hooks
are answered over its socket; without it they work in-process with the same results; writes
from several processes at once leave no duplicate rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tests.clirun import chatx, indexed_example

from chatx import endpoint
from chatx.config import Settings
from chatx.index.indexer import Indexer, open_store

RAW = ("Priya", "Marco", "Lena")
ANSWERED = "answered by the daemon"
QUESTION = "how do we roll back a failed deploy?"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_example(tmp_path_factory.mktemp("daemon"))


@pytest.fixture()
def daemon(indexed: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`chatx mcp` for the workspace, as Claude Code starts it (stdin held open)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "chatx", "mcp", "--workspace", str(indexed)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = endpoint.call(indexed, "ping", {}, timeout=5)
        if answer and answer["ready"]:
            break
        time.sleep(0.2)
    else:
        process.kill()
        process.wait()
        raise AssertionError("the daemon never became ready")
    assert answer["pid"] == process.pid
    yield process
    assert process.stdin is not None
    process.stdin.close()  # the agent goes away: the server ends and removes its socket
    process.wait(timeout=60)


def settled(workspace: Path) -> None:
    """Wait until no file of `workspace` is waiting to be indexed."""
    deadline = time.monotonic() + 120
    while True:
        status = chatx("status", "--workspace", str(workspace), "--json")
        if not json.loads(status.stdout)["totals"]["stale"]:
            return
        assert time.monotonic() < deadline, "edits were never indexed"
        time.sleep(0.2)


def hook(event: str, payload: dict[str, Any], workspace: Path) -> subprocess.CompletedProcess[str]:
    return chatx("-v", "hook", event, stdin=json.dumps({"cwd": str(workspace), **payload}))


def context(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["hookSpecificOutput"]["additionalContext"])


def citations(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int, int]]:
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["citations"]
    return [(c["source"], c["line_start"], c["line_end"]) for c in found]


def test_the_daemon_answers_and_the_cli_falls_back(
    indexed: Path, daemon: subprocess.Popen[bytes]
) -> None:
    query = ("-v", "query", QUESTION, "--workspace", str(indexed), "--json", "--k", "3")
    by_daemon = chatx(*query)
    assert ANSWERED in by_daemon.stderr
    prompt = hook("prompt", {"prompt": QUESTION}, indexed)
    passages = context(prompt)
    assert "docs/runbook.md:11-15" in passages
    assert not any(name in passages for name in RAW)
    start = context(hook("session-start", {"source": "startup"}, indexed))
    assert "daemon is bringing it up to date" in start

    daemon.stdin.close()  # type: ignore[union-attr]
    daemon.wait(timeout=60)
    assert not endpoint.socket_path(indexed).exists()
    in_process = chatx(*query)
    assert ANSWERED not in in_process.stderr
    assert citations(in_process) == citations(by_daemon)
    assert context(hook("prompt", {"prompt": QUESTION}, indexed)) == passages


def test_ask_goes_through_the_daemon(indexed: Path, daemon: subprocess.Popen[bytes]) -> None:
    result = chatx("-v", "ask", "who rolled back staging?", "--workspace", str(indexed), "--json")
    assert result.returncode == 0, result.stderr
    assert ANSWERED in result.stderr
    answer = json.loads(result.stdout)
    assert answer["action"] == "ask" and answer["route"]["backend"] in {"llamacpp", "extractive"}
    assert any(c["source"] == "chats/team-orders.txt" for c in answer["citations"])


def test_an_edit_is_searchable_after_post_tool_and_writes_do_not_collide(
    indexed: Path, daemon: subprocess.Popen[bytes]
) -> None:
    notes = indexed / "docs" / "decisions"
    notes.mkdir(exist_ok=True)
    files = []
    for n, topic in enumerate(("quokka", "narwhal", "axolotl", "pangolin")):
        path = notes / f"{topic}.md"
        path.write_text(f"# Decision {n}\n\nThe {topic} migration ships on day {n + 1}.\n")
        files.append(path)

    def edited(path: Path) -> subprocess.CompletedProcess[str]:
        return hook(
            "post-tool", {"tool_name": "Write", "tool_input": {"file_path": str(path)}}, indexed
        )

    with ThreadPoolExecutor(4) as pool:  # four agents' edits at once, through one daemon
        results = list(pool.map(edited, files))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert all(ANSWERED in r.stderr for r in results)
    settled(indexed)  # an edit that arrived during a run was queued, not waited for
    found = chatx("query", "the narwhal migration", "--workspace", str(indexed), "--json")
    assert citations(found)[0][0] == "docs/decisions/narwhal.md"

    for path in files:  # and again from this process too, racing a daemon run
        path.write_text(path.read_text() + "\nIt was moved a week later.\n")
    assert endpoint.call(indexed, "refresh", {}, timeout=5) == {"started": True}

    def index_here(path: Path) -> None:
        Indexer(indexed, Settings(), paths=frozenset({path}), optimize=False).run()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(index_here, files[:2]))
    settled(indexed)
    store = open_store(indexed, Settings())
    ids = store.dataset().to_table(columns=["chunk_id"]).column("chunk_id").to_pylist()
    assert len(ids) == len(set(ids))
    moved = chatx("query", "the pangolin migration moved", "--workspace", str(indexed), "--json")
    assert citations(moved)[0][0] == "docs/decisions/pangolin.md"


def test_the_daemon_recalls_facts_another_process_just_wrote(
    indexed: Path, daemon: subprocess.Popen[bytes]
) -> None:
    prompt = {"prompt": "What does Aiko want for the weekend handover?"}
    for fact in ("wants pizza before every weekend handover", "wants the handover notes in Notion"):
        added = chatx("memory", "add", "Aiko", "--observation", fact, "--workspace", str(indexed))
        assert added.returncode == 0, added.stderr
        answered = hook("prompt", prompt, indexed)
        assert ANSWERED in answered.stderr
        assert f": {fact}" in context(answered)  # the daemon's vectors follow the new write
