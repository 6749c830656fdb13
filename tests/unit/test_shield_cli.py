"""`chatx redact` and `chatx preflight` as a user runs them: real exports, exit codes, problems."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from tests.clirun import chatx, schema

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "shield" / "labelled.jsonl"


def run(*args: str, shield_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return chatx(*args, stdin=stdin, env={"CHATX_SHIELD_DIR": str(shield_dir)})


def test_redact_a_whatsapp_export_to_canonical_jsonl(corpus: Path, tmp_path: Path) -> None:
    export = corpus / "whatsapp" / "langchain_ios_12h.txt"
    report_path = tmp_path / "report.json"
    done = run("redact", str(export), "--report", str(report_path), shield_dir=tmp_path / "s")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 12
    for line in lines:
        jsonschema.validate(line, schema("message"))
    senders = {line["sender"] for line in lines}
    assert len(senders) == 2 and all(s.startswith("CN_") for s in senders)
    assert "Feather" not in done.stdout and "Jungle Jane" not in done.stdout
    report = json.loads(report_path.read_text())
    jsonschema.validate(report, schema("redaction_report"))
    assert report["mode"] == "rescan" and report["records"] == 12
    assert report["redacted"]["name"] == 12  # the "Sender: " of every turn
    assert report["passed"] is True


def test_redact_stdin_text(tmp_path: Path) -> None:
    text = "Mail ops@example.com from 10.0.4.17; card 4111 1111 1111 1111.\n"
    done = run("redact", "-", shield_dir=tmp_path / "s", stdin=text)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Mail ⟦TKN:email:")
    assert "example.com" not in done.stdout and "4111" not in done.stdout
    again = run("redact", "-", shield_dir=tmp_path / "s", stdin=text)
    assert again.stdout == done.stdout  # same salt, same output
    other = run("redact", "-", shield_dir=tmp_path / "other", stdin=text)
    assert other.stdout != done.stdout


def test_preflight_exit_codes_and_problem(tmp_path: Path) -> None:
    clean = run("preflight", "-", "--json", shield_dir=tmp_path, stdin="Call +1 415 555 2671")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["passed"] is True

    blocked = run(
        "--error-format",
        "json",
        "preflight",
        "-",
        shield_dir=tmp_path,
        stdin="Classification: Confidential\nsee <attached: 0001-PHOTO-2024.jpg>",
    )
    assert blocked.returncode == 2
    problem = json.loads(blocked.stderr.strip().splitlines()[-1])
    jsonschema.validate(problem, schema("problem"))
    assert problem["code"] == "POLICY_SHIELD_FAILURE" and problem["status"] == 451
    assert "attachment x1" in problem["detail"] and "label x1" in problem["detail"]
    assert "PHOTO" not in problem["detail"]
    assert "BLOCKED" in blocked.stdout


def test_preflight_strict_blocks_what_only_the_wider_scan_sees(tmp_path: Path) -> None:
    # an unallocated number, ungrouped and without a phone word: only possible, so only strict
    text = "code 19995550100 tonight"
    assert run("preflight", "-", shield_dir=tmp_path, stdin=text).returncode == 0
    strict = run("preflight", "-", "--strict", shield_dir=tmp_path, stdin=text)
    assert strict.returncode == 2
    assert "phone x1" in strict.stderr


def test_preflight_labelled_reports_coverage(tmp_path: Path) -> None:
    done = run("preflight", str(FIXTURE), "--labelled", "--json", shield_dir=tmp_path)
    report = json.loads(done.stdout)
    jsonschema.validate(report, schema("redaction_report"))
    assert report["mode"] == "labelled" and report["coverage"] >= 0.995
    assert done.returncode == 2  # attachments and sensitivity labels never pass
    assert "attachment x6" in done.stderr


def test_secrets_files_are_never_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.local"
    env_file.write_text("API_KEY=sk-ant-api03-Xk29fJq83LmZp0Qw7RtYv5Bn1Cx4Dz6Ea8Gh2Ik\n")
    done = run("redact", str(env_file), shield_dir=tmp_path / "s")
    assert done.returncode == 2
    assert "never read" in done.stderr and "sk-ant" not in done.stdout + done.stderr


@pytest.mark.slow
def test_workspace_participants_are_redacted_and_the_salt_is_never_indexed(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(
        REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".claude-context")
    )
    shield_dir = tmp_path / "shield"
    assert run("index", str(ws), shield_dir=shield_dir).returncode == 0
    from chatx.index.rows import ChunkRows

    rows = ChunkRows(ws / ".claude-context" / "chunks.sqlite")
    people = rows.participants()
    rows.close()
    assert people
    name = people[0]
    text = f"Ask {name.split()[0].lower()} about it, and {name}."
    plain = run("redact", "-", shield_dir=shield_dir, stdin=text)
    known = run("redact", "-", "--workspace", str(ws), shield_dir=shield_dir, stdin=text)
    # The name model finds the person without the index too; both give the same pseudonyms.
    assert name not in plain.stdout and plain.stdout == known.stdout
    assert known.stdout.count("CN_") == 2
    salt = (shield_dir / "shield.salt").read_bytes()
    for path in (ws / ".claude-context").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert salt not in data and salt.hex().encode() not in data, path


def test_a_name_model_that_cannot_load_is_said_and_preflight_fails_closed(tmp_path: Path) -> None:
    text = "Hi Gareth, the invoice went to gareth@example.org"
    env = {"CHATX_SHIELD_DIR": str(tmp_path), "CHATX_SHIELD_NAME_MODEL": "chatx_no_such_model"}
    redacted = chatx("redact", "-", stdin=text, env=env)
    assert redacted.returncode == 0
    assert "example.org" not in redacted.stdout
    assert "chatx_no_such_model" in redacted.stderr and "were not redacted" in redacted.stderr
    blocked = chatx("--error-format", "json", "preflight", "-", stdin=text, env=env)
    assert blocked.returncode == 2
    problem = json.loads(blocked.stderr.strip().splitlines()[-1])
    assert problem["code"] == "POLICY_SHIELD_FAILURE" and "cannot load" in problem["detail"]
    assert "Gareth" not in problem["detail"]
