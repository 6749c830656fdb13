"""Incremental indexing: unchanged, changed, deleted, corrupt, never-indexed, SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from chatx.config import Settings
from chatx.index.indexer import Indexer, open_store
from chatx.index.status import workspace_status
from chatx.models import Chunk


def like(base: Settings, **changes: object) -> Settings:
    """`base`'s store with other settings changed."""
    index = base.index
    store = {"vector_store": index.vector_store, "pg_url": index.pg_url}
    return Settings(**store, pg_workspace=index.pg_workspace, **changes)  # type: ignore[arg-type]


def run(ws: Path, embedder, base: Settings | None = None, **settings) -> object:  # type: ignore[no-untyped-def]
    return Indexer(ws, like(base or Settings(), **settings), embedder=embedder).run()


def stored(ws: Path, settings: Settings | None = None) -> list[Chunk]:
    store = open_store(ws, settings or Settings())
    return [chunk for batch, _ in store.chunks() for chunk in batch]


def rows(ws: Path, settings: Settings | None = None) -> list[tuple[str, str]]:
    return sorted((c.meta.source, c.chunk_id) for c in stored(ws, settings))


def test_first_run_then_unchanged(workspace: Path, embedder, store_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    first = run(workspace, embedder, store_settings)
    assert (first.files_indexed, first.files_failed, first.messages) == (4, 0, 15)
    assert first.chunks == len(rows(workspace, store_settings)) == 11
    second = run(workspace, embedder, store_settings)
    assert (second.files_indexed, second.files_unchanged, second.chunks) == (0, 4, 0)
    sources = Counter(source for source, _ in rows(workspace, store_settings))
    assert sources == {
        "chats/claude-session.jsonl": 3,
        "chats/team-orders.txt": 1,
        "docs/architecture.rst": 3,
        "docs/runbook.md": 4,
    }


def test_never_indexed_paths(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    (workspace / "secrets").mkdir()
    (workspace / "secrets" / "notes.md").write_text("# top secret\n")
    (workspace / ".env").write_text("KEY=1\n")
    (workspace / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (workspace / "scratch").mkdir()
    (workspace / "scratch" / "draft.md").write_text("# draft\n")
    (workspace / ".chatxignore").write_text("docs/architecture.rst\n")
    (workspace / ".git").mkdir()
    (workspace / ".git" / "HEAD.md").write_text("# not me\n")
    (workspace / "big.md").write_text("# big\n" + "x" * 2_000_000)
    run(workspace, embedder, max_file_mb=1)
    sources = {source for source, _ in rows(workspace)}
    assert sources == {"chats/claude-session.jsonl", "chats/team-orders.txt", "docs/runbook.md"}
    status = {f.path: f for f in workspace_status(workspace, Settings(max_file_mb=1)).files}
    assert status["secrets/"].state == "skipped"
    assert status[".env"].state == status["id_rsa"].state == "skipped"
    assert status["scratch/"].problem.detail == "ignored by .gitignore/.chatxignore"
    assert status["big.md"].problem.detail.startswith("larger than the size cap")
    assert status["docs/architecture.rst"].state == "skipped"


def test_changed_file_rows_replaced_and_deleted_file_removed(  # type: ignore[no-untyped-def]
    workspace: Path, embedder, store_settings: Settings
) -> None:
    run(workspace, embedder, store_settings)
    before = rows(workspace, store_settings)
    chat = workspace / "chats" / "team-orders.txt"
    chat.write_text(chat.read_text() + "[05.04.25, 08:00:00] Priya: Rollback drill at 10?\n")
    (workspace / "docs" / "architecture.rst").unlink()
    summary = run(workspace, embedder, store_settings)
    assert (summary.files_indexed, summary.files_unchanged) == (1, 2)
    after = rows(workspace, store_settings)
    untouched = [r for r in before if r[0] in ("docs/runbook.md", "chats/claude-session.jsonl")]
    assert [
        r for r in after if r[0] in ("docs/runbook.md", "chats/claude-session.jsonl")
    ] == untouched
    assert not any(source == "docs/architecture.rst" for source, _ in after)
    assert len({cid for _, cid in after}) == len(after)
    chunks = stored(workspace, store_settings)
    texts = [c.text for c in chunks if c.meta.source == "chats/team-orders.txt"]
    assert any("Rollback drill at 10?" in t for t in texts)


def test_corrupt_file_keeps_last_good_rows_marked_stale(  # type: ignore[no-untyped-def]
    workspace: Path, embedder, store_settings: Settings
) -> None:
    session = workspace / "chats" / "export.json"
    shutil.copy(workspace / "chats" / "claude-session.jsonl", workspace / "chats" / "keep.jsonl")
    session.write_text(
        '[{"uuid": "c1", "name": "Q", "chat_messages": [{"uuid": "m1", '
        '"sender": "human", "text": "kafka consumer lag", "created_at": '
        '"2025-01-01T00:00:00Z"}]}]'
    )
    run(workspace, embedder, store_settings)
    good = [r for r in rows(workspace, store_settings) if r[0] == "chats/export.json"]
    assert len(good) == 1
    session.write_text('[{"uuid": "c1", "name": "Q", "chat_mess')  # truncated
    summary = run(workspace, embedder, store_settings)
    assert summary.files_failed == 1
    assert summary.problems[0].code == "PARSE_ERROR"
    assert [r for r in rows(workspace, store_settings) if r[0] == "chats/export.json"] == good
    status = {f.path: f for f in workspace_status(workspace, store_settings).files}
    assert status["chats/export.json"].state == "stale"
    assert status["chats/export.json"].problem.code == "PARSE_ERROR"


def test_bad_files_do_not_stop_the_run(workspace: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    (workspace / "broken.json").write_text('{"loglines": [')
    (workspace / "empty.md").write_text("")
    (workspace / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (workspace / "utf16.txt").write_bytes("\ufeffplain UTF-16 notes".encode("utf-16"))
    os.symlink("loop_b", workspace / "loop_a")
    os.symlink("loop_a", workspace / "loop_b")
    summary = run(workspace, embedder)
    assert summary.files_indexed == 5  # 4 good files + utf16.txt
    assert summary.files_failed == 1
    codes = sorted(p.code for p in summary.problems)
    assert codes == ["INVALID_INPUT", "PARSE_ERROR", "UNSUPPORTED_FORMAT"]
    status = {f.path: f for f in workspace_status(workspace, Settings()).files}
    assert status["loop_a"].problem.detail == "symlink loop"
    assert status["broken.json"].state == "failed"
    assert status["empty.md"].state == status["blob.txt"].state == "skipped"
    assert status["utf16.txt"].state == "indexed"


def test_model_change_rebuilds(workspace: Path, embedder, store_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    run(workspace, embedder, store_settings)
    summary = run(workspace, embedder, store_settings, overlap_turns=1)
    assert summary.files_indexed == 4 and summary.files_unchanged == 0
    assert len(rows(workspace, like(store_settings, overlap_turns=1))) == summary.chunks


@pytest.mark.slow
def test_sigkill_at_any_point_recovers(tmp_path: Path, corpus: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "chats").mkdir(parents=True)
    for number, path in enumerate(sorted((corpus / "whatsapp").glob("*.txt")) * 3):
        shutil.copy(path, ws / "chats" / f"{number:02d}-{path.name}")
    shutil.copytree(corpus / "claude", ws / "claude")
    env = {**os.environ, "CHATX_BATCH_CHUNKS": "8"}
    cmd = [sys.executable, "-m", "chatx", "index", str(ws), "--json"]
    reference = tmp_path / "ref"
    shutil.copytree(ws, reference)
    subprocess.run([*cmd[:-2], str(reference), "--json"], env=env, check=True, capture_output=True)
    expected = rows(reference)
    kills = 0
    for delay in (0.6, 1.2, 1.8, 2.4, 3.0, 3.6, 4.5):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        current = rows(ws)  # readable after every kill
        assert len(set(current)) == len(current)
    assert kills >= 3
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    assert rows(ws) == expected


def test_nested_ignore_files_and_negation(tmp_path: Path) -> None:
    from chatx.index.walker import walk

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".gitignore").write_text("*.log\n!keep.log\n")
    (tmp_path / "a" / ".chatxignore").write_text("b/\n")
    for name in ("x.log", "keep.log", "a/note.md", "a/b/hidden.md", "a/.env.production"):
        (tmp_path / name).write_text("# hi\n")
    entries = {e.path: e.skip for e in walk(tmp_path, 1 << 20)}
    assert entries["x.log"] == "ignored by .gitignore/.chatxignore"
    assert entries["keep.log"] is None
    assert entries["a/note.md"] is None
    assert entries["a/b/"] == "ignored by .gitignore/.chatxignore"
    assert entries["a/.env.production"] == "never indexed: secret or credential file"
    assert "a/b/hidden.md" not in entries


def test_two_concurrent_writers_are_serialised(  # type: ignore[no-untyped-def]
    workspace: Path, embedder, store_settings: Settings
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        summaries = list(pool.map(lambda _: run(workspace, embedder, store_settings), range(2)))
    assert sorted(s.files_indexed for s in summaries) == [0, 4]
    current = rows(workspace, store_settings)
    assert len(current) == len(set(current)) == 11


def test_a_run_over_changed_paths_only(workspace: Path, embedder, store_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    run(workspace, embedder, store_settings)
    (workspace / "docs" / "runbook.md").write_text("# Runbook\n\nOnly flamingos now.\n")
    (workspace / "docs" / "architecture.rst").unlink()
    (workspace / "scratch").mkdir()
    (workspace / "scratch" / "ignored.md").write_text("# Ignored by .gitignore\n")
    (workspace / "docs" / ".env.prod").write_text("SECRET=1\n")
    (workspace / "notes").mkdir()
    (workspace / "notes" / "new.md").write_text("# New\n\nA new note.\n")
    changed = {
        workspace / "docs" / "runbook.md",
        workspace / "docs" / "architecture.rst",
        workspace / "scratch" / "ignored.md",
        workspace / "docs" / ".env.prod",
        workspace / "notes",  # a new directory: everything under it
        workspace / "notes" / "new.md",  # and a file in it, reported with it: indexed once
    }
    indexer = Indexer(workspace, store_settings, embedder=embedder, paths=frozenset(changed))
    summary = indexer.run()
    assert (summary.files_indexed, summary.files_unchanged) == (2, 0)
    assert indexer.changed_sources == {"docs/runbook.md", "docs/architecture.rst", "notes/new.md"}
    sources = Counter(source for source, _ in rows(workspace, store_settings))
    assert sources == {
        "chats/claude-session.jsonl": 3,
        "chats/team-orders.txt": 1,
        "docs/runbook.md": 1,
        "notes/new.md": 1,
    }
    assert open_store(workspace, store_settings).count() == sum(sources.values())
    # The same state as a full run would reach.
    assert run(workspace, embedder, store_settings).files_indexed == 0
    assert Counter(source for source, _ in rows(workspace, store_settings)) == sources
