"""The reference memory server's file format, `memory.jsonl`: one JSON object per line,
`{"type": "entity", "name", "entityType", "observations"}` or
`{"type": "relation", "from", "to", "relationType"}`. Import reports a malformed line with its
number and goes on; export writes the current graph in the same format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from pydantic import BaseModel, ValidationError

from chatx.memory.models import NewEntity, ObservationsToAdd, RelationRef
from chatx.memory.store import MemoryStore, normal
from chatx.models import Problem
from chatx.problems import ChatxError, ProblemCode, make_problem


class ImportSummary(BaseModel):
    """What `chatx memory import` did."""

    entities: int
    relations: int
    observations: int
    problems: list[Problem]


def parse(
    lines: Iterable[str], source: str
) -> tuple[list[NewEntity], list[tuple[int, RelationRef]], list[Problem]]:
    """The entities and the (line number, relation)s of `memory.jsonl` lines, and a problem
    per bad line."""
    entities: list[NewEntity] = []
    relations: list[tuple[int, RelationRef]] = []
    problems: list[Problem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            kind = record.pop("type", None)
            if kind == "entity":
                entities.append(NewEntity.model_validate(record))
            elif kind == "relation":
                relations.append((number, RelationRef.model_validate(record)))
            else:
                raise ValueError(f"unknown type {kind!r}")
        except (ValueError, ValidationError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            problems.append(
                make_problem(
                    ProblemCode.PARSE_ERROR, f"line {number}: {reason}", f"{source}:{number}"
                )
            )
    return entities, relations, problems


def import_lines(store: MemoryStore, lines: Iterable[str], source: str) -> ImportSummary:
    """Import `memory.jsonl` lines into `store` (entities first, then their relations); what
    exists already is left as it is."""
    entities, relations, problems = parse(lines, source)
    created, _ = store.create_entities(entities, source=source, origin="import")
    observations = 0
    made = {c.name for c in created}
    existing = [e for e in entities if normal(e.name) not in made]
    if existing:
        added = store.add_observations(
            [ObservationsToAdd(entityName=e.name, contents=e.observations) for e in existing],
            source=source,
            origin="import",
        )
        observations += sum(len(a.added_observations) for a in added)
    observations += sum(len(c.observations) for c in created)
    linked = 0
    for number, relation in relations:
        try:
            linked += len(store.create_relations([relation], source=source, origin="import"))
        except ChatxError as exc:
            detail = f"line {number}: {exc.problem.detail}"
            problems.append(make_problem(ProblemCode.INVALID_INPUT, detail, f"{source}:{number}"))
    return ImportSummary(
        entities=len(created), relations=linked, observations=observations, problems=problems
    )


def export_lines(store: MemoryStore) -> Iterator[str]:
    """The current graph as `memory.jsonl` lines (compact, keys in the reference's order)."""
    graph = store.read_graph()
    for entity in graph.entities:
        yield _line({"type": "entity", **entity.model_dump(by_alias=True)})
    for relation in graph.relations:
        yield _line({"type": "relation", **relation.model_dump(by_alias=True)})


def _line(record: dict[str, object]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)
