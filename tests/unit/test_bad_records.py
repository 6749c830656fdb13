"""One bad record never stops an index run: surrogates, dates out of range, odd epochs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.exports import chatgpt_conv

from chatx.config import Settings
from chatx.index.indexer import Indexer
from chatx.ingest.common import from_epoch

WHATSAPP = (
    "12/31/9999, 11:00 PM - Ana: the far future\n"
    "1/2/24, 9:00 AM - Ana: the deploy is green\n"
    "1/2/24, 9:01 AM - Ben: rolling back orders 41 anyway\n"
)


def chatgpt(question: str) -> str:
    """A ChatGPT export with one conversation asking `question`; `@LONE@` in it becomes the
    JSON escape of a lone surrogate (`\\ud800`), which `json.dumps` itself never writes."""
    return json.dumps([chatgpt_conv(0, question=question)]).replace("@LONE@", "\\ud800")


@pytest.mark.parametrize("value", [1e20, float("nan"), float("inf"), 10**400])
def test_epochs_that_are_no_time_are_unknown_not_a_crash(value: float) -> None:
    assert from_epoch(value) is None


@pytest.mark.slow
def test_a_lone_surrogate_and_a_far_future_date_do_not_stop_the_run(
    tmp_path: Path, embedder: object
) -> None:
    ws = tmp_path / "ws"
    (ws / "chats").mkdir(parents=True)
    (ws / "chats" / "team.txt").write_text(WHATSAPP, encoding="utf-8")
    # `\ud800` as a JSON escape: a lone surrogate once parsed
    (ws / "chats" / "conversations.json").write_text(
        chatgpt("how do we roll back @LONE@ the deploy?"), encoding="utf-8"
    )
    (ws / "notes.md").write_text("# Notes\n\nThe rollback runbook lives in docs.\n")
    indexer = Indexer(ws, Settings(), embedder=embedder)  # type: ignore[arg-type]
    summary = indexer.run()
    assert summary.files_indexed == 3 and summary.files_failed == 0
    assert summary.messages == 5


def broken_chatgpt_export() -> str:
    """Seven conversations, each broken in one way a robustness probe found, one per line."""
    base = chatgpt_conv(0, question="how do we roll back the deploy?")
    variants: list[tuple[str, object]] = [
        ("content", "content given as a string"),
        ("content", {"content_type": "text", "parts": ["int part", 7]}),
        ("create_time", 1e20),
        ("create_time", "@NAN@"),
        ("create_time", "@HUGE@"),
        ("metadata", {"deep": "@DEEP@"}),
        ("content", {"content_type": "text", "parts": ["lone @LONE@ surrogate"]}),
    ]
    lines = []
    for number, (key, value) in enumerate(variants):
        conv = json.loads(json.dumps(base))
        conv["conversation_id"] = f"c{number}"
        conv["mapping"]["b"]["message"][key] = value
        lines.append(json.dumps(conv))
    text = "[\n" + ",\n".join(lines) + "\n]"
    for marker, raw in {
        '"@NAN@"': "NaN",
        '"@HUGE@"': "9" * 5000,
        '"@DEEP@"': "[" * 100_000 + "]" * 100_000,
        "@LONE@": "\\ud800",
    }.items():
        text = text.replace(marker, raw)
    return text


@pytest.mark.slow
def test_every_broken_record_kind_indexes_the_rest_of_its_file(
    tmp_path: Path, embedder: object
) -> None:
    ws = tmp_path / "ws"
    (ws / "chats").mkdir(parents=True)
    (ws / "chats" / "conversations.json").write_text(broken_chatgpt_export(), encoding="utf-8")
    session = [
        '{"type":"user","uuid":"u1","sessionId":"s","timestamp":"2025-01-01T00:00:00Z",'
        '"message":{"role":"user","content":"the cache is cold \\ud800 again"}}',
        "not json",
        "[" * 100_000 + "]" * 100_000,
        '{"type":"user","uuid":"u2","sessionId":"s","timestamp":"9999-12-31T23:00:00-05:00",'
        '"message":{"role":"user","content":"warm it before the deploy"}}',
    ]
    (ws / "chats" / "session.jsonl").write_text("\n".join(session) + "\n", encoding="utf-8")
    (ws / "chats" / "team.txt").write_bytes(
        WHATSAPP.encode("utf-8") + "1/3/24, 9:02 AM - Ben: très bien\n".encode("cp1252")
    )
    summary = Indexer(ws, Settings(), embedder=embedder).run()  # type: ignore[arg-type]
    assert summary.files_indexed == 3 and summary.files_failed == 0
    assert summary.messages == 7 * 2 + 2 + 4
    instances = {p.instance for p in summary.problems}
    assert {"chats/session.jsonl:2", "chats/session.jsonl:3", "chats/team.txt:4"} <= instances


def test_a_name_that_is_not_utf8_is_a_problem_and_the_rest_indexes(
    workspace: Path,
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    from chatx.index.status import workspace_status

    with open(os.fsencode(workspace / "docs") + b"/caf\xe9.md", "wb") as handle:
        handle.write(b"# Legacy name\n\nWritten on an old machine.\n")
    summary = Indexer(workspace, Settings(), embedder=embedder).run()
    assert (summary.files_indexed, summary.chunks) == (4, 11)
    [problem] = summary.problems
    assert (problem.instance, problem.code) == ("docs/caf\ufffd.md", "INVALID_INPUT")
    assert problem.detail == "unusable name: not valid UTF-8 (rename it to index it)"
    report = workspace_status(workspace, Settings())
    assert report.model_dump_json()  # the status can be sent to a client
    assert {f.path: f.state for f in report.files}["docs/caf\ufffd.md"] == "skipped"
