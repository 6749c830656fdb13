"""`chatx memory …` as a user runs it: facts with provenance, retiring one, search by meaning,
and the reference server's memory.jsonl imported (bad lines by number) and exported."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clirun import chatx


def memory(ws: Path, *args: str) -> dict:  # type: ignore[type-arg]
    done = chatx("memory", *args, "--workspace", str(ws), "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_facts_relations_forgetting_and_search(tmp_path: Path) -> None:
    memory(
        tmp_path,
        "add",
        "Priya Raman",
        "--observation",
        "prefers green tea",
        "--observation",
        "is on call on Fridays",
    )
    memory(tmp_path, "add", "orders", "--type", "project", "--observation", "ships on Tuesdays")
    memory(tmp_path, "relate", "Priya Raman", "maintains", "orders")
    shown = memory(tmp_path, "show", "priya raman")  # an alias: case does not matter
    assert shown["name"] == "Priya Raman" and shown["entity_type"] == "person"
    assert [(o["text"], o["source"]) for o in shown["observations"]] == [
        ("prefers green tea", "user"),
        ("is on call on Fridays", "user"),
    ]
    assert shown["relations"][0]["relationType"] == "maintains"
    tea = shown["observations"][0]["id"]
    memory(tmp_path, "forget", "Priya Raman", "--observation", str(tea))
    assert [o["text"] for o in memory(tmp_path, "show", "Priya Raman")["observations"]] == [
        "is on call on Fridays"
    ]
    found = memory(tmp_path, "search", "when is Priya on duty?", "--k", "1")
    assert found["results"][0]["text"] == "is on call on Fridays"
    unknown = chatx("memory", "relate", "Ghost", "knows", "orders", "--workspace", str(tmp_path))
    assert unknown.returncode == 2 and "Entity with name Ghost not found" in unknown.stderr


def test_the_reference_file_in_and_out(tmp_path: Path) -> None:
    source = tmp_path / "memory.jsonl"
    source.write_text(
        '{"type":"entity","name":"Alice","entityType":"person","observations":["Works at Acme"]}\n'
        "{broken\n"
        '{"type":"entity","name":"Bob","entityType":"person","observations":[]}\n'
        '{"type":"relation","from":"Alice","to":"Bob","relationType":"manages"}\n',
        encoding="utf-8",
    )
    imported = memory(tmp_path, "import", str(source))
    assert (imported["entities"], imported["relations"], imported["observations"]) == (2, 1, 1)
    assert [p["instance"] for p in imported["problems"]] == ["memory.jsonl:2"]
    exported = chatx("memory", "export", "--workspace", str(tmp_path))
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert lines == [
        {
            "type": "entity",
            "name": "Alice",
            "entityType": "person",
            "observations": ["Works at Acme"],
        },
        {"type": "entity", "name": "Bob", "entityType": "person", "observations": []},
        {"type": "relation", "from": "Alice", "to": "Bob", "relationType": "manages"},
    ]
