"""The memory store: retired facts stay answerable by time, aliases and any Unicode name find
an entity, `memory.jsonl` goes in and out unchanged, and bad lines are reported by number."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from chatx.memory.jsonl import export_lines, import_lines
from chatx.memory.models import NewEntity, ObservationsToAdd, ObservationsToDelete, RelationRef
from chatx.memory.store import MemoryStore
from chatx.problems import ChatxError

REFERENCE_FILE = (
    '{"type":"entity","name":"Alice","entityType":"person","observations":["Works at Acme",'
    '"Prefers email"]}\n'
    '{"type":"entity","name":"Bob","entityType":"person","observations":[]}\n'
    '{"type":"entity","name":"Zoë Ødegård","entityType":"person","observations":["東京に住む"]}\n'
    '{"type":"relation","from":"Alice","to":"Bob","relationType":"manages"}\n'
)


@pytest.fixture()
def store(tmp_path: Path) -> MemoryStore:
    return MemoryStore(tmp_path / "memory.sqlite")


def test_a_retired_fact_is_still_what_was_believed_then(store: MemoryStore) -> None:
    person = NewEntity(name="Priya", entityType="person", observations=["on call on Fridays"])
    store.create_entities([person])
    before = time.time()
    time.sleep(0.01)
    store.delete_observations(
        [ObservationsToDelete(entityName="Priya", observations=["on call on Fridays"])]
    )
    store.add_observations([ObservationsToAdd(entityName="Priya", contents=["on call Mondays"])])
    assert store.read_graph().entities[0].observations == ["on call Mondays"]
    assert store.read_graph(as_of=before).entities[0].observations == ["on call on Fridays"]
    detail = store.show("Priya")
    assert [(o.text, o.source) for o in detail.observations] == [("on call Mondays", "agent")]


def test_aliases_and_unicode_names_find_the_entity(store: MemoryStore) -> None:
    store.create_entities([NewEntity(name="Zoë Ødegård", entityType="person")])
    store.add_alias("Zoë Ødegård", "Zoe")
    decomposed = "Zoe\u0308 \u00d8degård"  # the same name, NFD
    assert store.open_nodes([decomposed]).entities[0].name == "Zoë Ødegård"
    assert store.open_nodes(["ZOE"]).entities[0].name == "Zoë Ødegård"
    assert store.search_nodes("ødegå").entities[0].name == "Zoë Ødegård"


def test_forgetting_an_entity_retires_its_relations(store: MemoryStore) -> None:
    store.create_entities(
        [NewEntity(name="Ana", entityType="person"), NewEntity(name="Ben", entityType="person")]
    )
    store.create_relations([RelationRef(**{"from": "Ana", "to": "Ben", "relationType": "knows"})])
    assert store.forget("Ben") == 1
    assert store.read_graph().relations == []
    with pytest.raises(ChatxError) as caught:
        store.forget("Ana", observation_id=99)
    assert caught.value.problem.detail == "Ana has no current observation 99"
    store.create_entities([NewEntity(name="Ben", entityType="project")])  # a new Ben
    assert store.show("Ben").entity_type == "project"


def test_the_reference_file_round_trips(store: MemoryStore, tmp_path: Path) -> None:
    summary = import_lines(store, REFERENCE_FILE.splitlines(), "memory.jsonl")
    assert (summary.entities, summary.observations, summary.relations) == (3, 3, 1)
    assert summary.problems == []
    assert "\n".join(export_lines(store)) + "\n" == REFERENCE_FILE
    again = import_lines(store, REFERENCE_FILE.splitlines(), "memory.jsonl")
    assert (again.entities, again.observations, again.relations) == (0, 0, 0)  # not doubled


def test_bad_lines_are_reported_by_number_and_the_rest_imports(store: MemoryStore) -> None:
    lines = [
        '{"type":"entity","name":"Ana","entityType":"person","observations":["x"]}',
        "not json",
        '{"type":"entity","name":"Bo","entityType":"person","observations":["a", null]}',
        "42",
        '{"type":"relation","from":"Ana","to":"Zed","relationType":"knows"}',
        '{"type":"note","text":"ignored kinds are reported too"}',
        '{"type":"entity","name":"Cy","entityType":"person","observations":[]}',
    ]
    summary = import_lines(store, lines, "memory.jsonl")
    assert [p.instance for p in summary.problems] == [
        "memory.jsonl:2",
        "memory.jsonl:3",
        "memory.jsonl:4",
        "memory.jsonl:6",
        "memory.jsonl:5",
    ]
    assert "Entity with name Zed not found" in summary.problems[-1].detail
    assert [e.name for e in store.read_graph().entities] == ["Ana", "Cy"]


def test_a_memory_from_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite"
    MemoryStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(ChatxError) as caught:
        MemoryStore(path)
    assert "memory schema 99" in caught.value.problem.detail
