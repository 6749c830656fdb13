"""Claude Code session logs over every session file in ../shared/corpus/claude."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from chatx.ingest import extract, extract_text

EXPECTED = {
    # file: (messages, {sender: count}, first timestamp, last timestamp)
    "claudecodelog_representative_session.jsonl": (
        11,
        {"user": 4, "assistant": 5, "tool": 2},
        "2025-06-14T10:00:00+00:00",
        "2025-06-14T10:04:00+00:00",
    ),
    "claudecodelog_todowrite.jsonl": (
        11,
        {"user": 2, "assistant": 6, "tool": 3},
        "2025-06-14T10:00:00+00:00",
        "2025-06-14T10:04:01+00:00",
    ),
    "simonw_claude_code_session.jsonl": (
        7,
        {"user": 2, "assistant": 3, "tool": 2},
        "2025-12-24T10:00:00+00:00",
        "2025-12-24T10:01:05+00:00",
    ),
    "spotter_claude_code_short.jsonl": (
        7,
        {"user": 2, "assistant": 3, "tool": 2},
        "2026-02-10T21:11:56.846000+00:00",
        "2026-02-10T21:12:02.480000+00:00",
    ),
    "spotter_claude_code_tool_heavy.jsonl": (
        19,
        {"user": 6, "assistant": 7, "tool": 6},
        "2026-02-10T22:57:54.684000+00:00",
        "2026-02-10T22:59:46.748000+00:00",
    ),
    "simonw_claude_web_session_loglines.json": (
        33,
        {"user": 6, "assistant": 15, "tool": 12},
        "2025-12-24T10:00:00+00:00",
        "2025-12-24T10:05:15+00:00",
    ),
}


def parse(corpus: Path, name: str):  # type: ignore[no-untyped-def]
    result = extract(corpus / "claude" / name, f"claude/{name}")
    assert result.format == "claude-code"
    return result


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_session_counts_senders_and_times(corpus: Path, name: str) -> None:
    count, senders, first, last = EXPECTED[name]
    result = parse(corpus, name)
    assert len(result.messages) == count
    assert dict(Counter(m.sender for m in result.messages)) == senders
    assert result.messages[0].timestamp.isoformat() == first
    assert result.messages[-1].timestamp.isoformat() == last
    assert result.problems == []


def test_metadata_lines_are_not_messages(corpus: Path) -> None:
    result = parse(corpus, "spotter_claude_code_tool_heavy.jsonl")
    lines = {m.source_ref.line for m in result.messages}
    raw = (corpus / "claude" / "spotter_claude_code_tool_heavy.jsonl").read_text().splitlines()
    meta_lines = {
        n
        for n, line in enumerate(raw, 1)
        if any(
            f'"type":"{t}"' in line
            for t in ("progress", "file-history-snapshot", "queue-operation", "system")
        )
    }
    assert meta_lines and not lines & meta_lines
    caveat = [m for m in result.messages if "local-command-caveat" in m.text]
    assert caveat == []  # isMeta lines are metadata


def test_tool_use_input_and_tool_result_text_are_content(corpus: Path) -> None:
    result = parse(corpus, "simonw_claude_code_session.jsonl")
    texts = [m.text for m in result.messages]
    assert texts[1].startswith("I'll create that function for you.\n[tool_use Write] {")
    assert '"file_path": "/project/hello.py"' in texts[1]
    assert texts[2] == "[tool_result] File written successfully"
    assert result.messages[2].is_me is False and result.messages[0].is_me is True


def test_thinking_is_not_imported(corpus: Path) -> None:
    result = parse(corpus, "simonw_claude_web_session_loglines.json")
    assert not any("The user wants a simple addition function" in m.text for m in result.messages)
    assert result.messages[1].source_ref.line == 11  # line where the logline object starts


def test_malformed_lines_reported_rest_ingested(corpus: Path) -> None:
    result = parse(corpus, "claudecodelog_edge_cases.jsonl")
    assert len(result.messages) == 12
    assert [p.instance for p in result.problems] == [
        "claude/claudecodelog_edge_cases.jsonl:11",
        "claude/claudecodelog_edge_cases.jsonl:13",
        "claude/claudecodelog_edge_cases.jsonl:14",
        "claude/claudecodelog_edge_cases.jsonl:15",
        "claude/claudecodelog_edge_cases.jsonl:16",
    ]
    assert {p.code for p in result.problems} == {"PARSE_ERROR"}
    assert result.messages[-1].text == "wow error"
    assert "中文" in result.messages[-3].text


def test_compaction_boundary_and_summary(corpus: Path) -> None:
    result = parse(corpus, "spotter_claude_code_compact_boundary_excerpt.jsonl")
    segments = Counter(m.source_meta.get("compaction_segment", 0) for m in result.messages)
    assert segments == {0: 7, 1: 8}
    summary = [m for m in result.messages if m.source_meta.get("compact_summary")]
    assert len(summary) == 1 and summary[0].source_ref.line == 22
    assert summary[0].text.startswith("This session is being continued")


def test_subagent_file(corpus: Path) -> None:
    result = parse(corpus, "spotter_claude_code_subagent_acompact.jsonl")
    assert [m.sender for m in result.messages] == ["user", "assistant"]
    assert all(m.source_meta["sidechain"] and m.source_meta["agentId"] for m in result.messages)
    assert result.messages[1].reply_to_msg_id == result.messages[0].msg_id


def test_reply_chain_skips_progress_lines(corpus: Path) -> None:
    result = parse(corpus, "spotter_claude_code_tool_heavy.jsonl")
    ids = {m.msg_id for m in result.messages}
    replies = [m.reply_to_msg_id for m in result.messages[1:]]
    assert all(r in ids for r in replies if r)
    assert sum(1 for r in replies if r) == 18


def test_invalid_json_line_is_a_problem_not_a_crash() -> None:
    text = (
        '{"type":"user","uuid":"a","sessionId":"s","timestamp":"2025-01-01T00:00:00Z",'
        '"message":{"role":"user","content":"hello"}}\n{"type": "assistant", "mess\n'
        '{"type":"assistant","uuid":"b","sessionId":"s","timestamp":"2025-01-01T00:00:05Z",'
        '"message":{"role":"assistant","content":[{"type":"text","text":"hi"}]}}\n'
    )
    result = extract_text(text, "s.jsonl")
    assert [m.text for m in result.messages] == ["hello", "hi"]
    assert len(result.problems) == 1 and result.problems[0].instance == "s.jsonl:2"
