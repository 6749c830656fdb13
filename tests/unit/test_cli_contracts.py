"""The CLI as other tools see it: JSON shapes validated against schemas/, exit codes, problems."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from tests.clirun import chatx, schema

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    ws = tmp_path_factory.mktemp("cli") / "ws"
    shutil.copytree(
        REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".claude-context")
    )
    done = chatx("index", str(ws), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    jsonschema.validate(summary, schema("index-summary"))
    assert summary["files_indexed"] == 4 and summary["chunks"] == 11
    assert summary["workspace"] == str(ws)
    return ws


def test_query_json_contract(indexed: Path) -> None:
    done = chatx(
        "query",
        "who owns rollbacks after 18:00?",
        "--workspace",
        str(indexed),
        "--k",
        "3",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    jsonschema.validate(result, schema("query-result"))
    assert len(result["citations"]) == 3
    top = result["citations"][0]
    assert (top["source"], top["line_start"], top["line_end"]) == ("docs/runbook.md", 17, 20)
    assert set(top) == {
        "chunk_id",
        "source",
        "line_start",
        "line_end",
        "msg_ids",
        "score",
        "snippet",
        "kind",
        "date_start",
        "date_end",
        "anchor",
        "locator",
    }
    assert (top["anchor"], top["locator"]) == (None, "docs/runbook.md:17-20")


def test_query_filters_from_the_command_line(indexed: Path) -> None:
    done = chatx(
        "query",
        "deploy",
        "--workspace",
        str(indexed),
        "--kind",
        "chat",
        "--participant",
        "Priya",
        "--since",
        "2025-04-01",
        "--until",
        "2025-04-30",
        "--json",
    )
    citations = json.loads(done.stdout)["citations"]
    assert [c["source"] for c in citations] == ["chats/team-orders.txt"]
    assert citations[0]["date_start"] == "2025-04-03T09:12:05Z"


def test_human_query_output_has_path_line_citations(indexed: Path) -> None:
    done = chatx("query", "how do we roll back a failed deploy?", "--workspace", str(indexed))
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith("[1] docs/runbook.md:11-15")


def test_status_json_lists_every_file(indexed: Path) -> None:
    done = chatx("status", "--workspace", str(indexed), "--json")
    report = json.loads(done.stdout)
    jsonschema.validate(report, schema("status-report"))
    states = {f["path"]: f["state"] for f in report["files"]}
    assert states == {
        ".claude-context/": "skipped",
        ".gitignore": "skipped",
        "chats/.env.local": "skipped",
        "chats/claude-session.jsonl": "indexed",
        "chats/team-orders.txt": "indexed",
        "docs/architecture.rst": "indexed",
        "docs/runbook.md": "indexed",
    }
    assert report["totals"]["messages"] == 15 and report["totals"]["chunks"] == 11


def test_extract_prints_valid_messages(corpus: Path) -> None:
    done = chatx("extract", str(corpus / "whatsapp" / "langchain_ios_12h.txt"))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    message_schema = schema("message")
    for line in lines:
        jsonschema.validate(line, message_schema)
    assert len(lines) == 12 and lines[3]["sender"] == "Jungle Jane"


def test_extract_forced_format_and_problems_on_stderr(corpus: Path) -> None:
    done = chatx(
        "--error-format",
        "json",
        "extract",
        "--format",
        "claude-code",
        str(corpus / "claude" / "claudecodelog_edge_cases.jsonl"),
    )
    assert done.returncode == 0
    problems = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert len(problems) == 5
    for problem in problems:
        jsonschema.validate(problem, schema("problem"))
    assert len(done.stdout.splitlines()) == 12


def test_errors_are_problems_with_nonzero_exit(tmp_path: Path) -> None:
    done = chatx("--error-format", "json", "query", "x", "--workspace", str(tmp_path))
    assert done.returncode != 0
    problem = json.loads(done.stderr.strip().splitlines()[-1])
    jsonschema.validate(problem, schema("problem"))
    assert problem["code"] == "NOT_INDEXED" and problem["status"] == 404
    broken = tmp_path / "broken.json"
    broken.write_text('{"loglines": [')
    done = chatx("--error-format", "json", "extract", str(broken))
    assert done.returncode != 0
    assert json.loads(done.stderr)["code"] == "PARSE_ERROR"
    done = chatx("query", "x", "--workspace", str(tmp_path / "missing"))
    assert done.returncode != 0 and "not a directory" in done.stderr


def test_extract_takes_a_zip_a_folder_and_a_database(corpus: Path) -> None:
    slack = corpus / "slack"
    folder = chatx("extract", str(slack / "langchain_slack_export"))
    zipped = chatx("extract", str(slack / "langchain_slack_export.zip"))
    database = chatx("extract", str(corpus / "imessage" / "plaso_ios_chat_2015.db"))
    assert folder.returncode == zipped.returncode == database.returncode == 0, zipped.stderr
    message_schema = schema("message")
    from_folder = [json.loads(line) for line in folder.stdout.splitlines()]
    from_zip = [json.loads(line) for line in zipped.stdout.splitlines()]
    rows = [json.loads(line) for line in database.stdout.splitlines()]
    for line in from_folder + from_zip + rows:
        jsonschema.validate(line, message_schema)
    assert [m["text"] for m in from_folder] == [m["text"] for m in from_zip]
    assert len(from_zip) == 5 and from_zip[0]["source_ref"]["anchor"].startswith("!/")
    assert len(rows) == 10 and {m["source_ref"]["anchor"] for m in rows} == {"#message"}
