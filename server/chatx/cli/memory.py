"""`chatx memory …`: the workspace memory from the command line (writes are the user's)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from chatx.memory import service
from chatx.memory.jsonl import export_lines, import_lines
from chatx.memory.models import (
    CreatedRelations,
    EntityDetail,
    KnowledgeGraph,
    NewEntity,
    ObservationsToAdd,
    RelationRef,
    Status,
)
from chatx.memory.store import MemoryStore, open_memory
from chatx.problems import ChatxError, ProblemCode


def run(args: argparse.Namespace, workspace: Path) -> int:
    """Run one `chatx memory` subcommand on `workspace`'s memory."""
    store = open_memory(workspace)
    try:
        return COMMANDS[args.memory_command](args, store)
    finally:
        store.close()


def _add(args: argparse.Namespace, store: MemoryStore) -> int:
    entity = NewEntity(name=args.name, entityType=args.type)
    created = service.create_entities(store, [entity], source="user")
    added = store.add_observations(
        [ObservationsToAdd(entityName=args.name, contents=args.observation)], "user", "user"
    )
    detail = store.show(args.name)
    if args.json:
        _emit(detail)
    else:
        verb = "created" if created.entities else "updated"
        fresh = len(added[0].added_observations)
        print(f"{verb} {detail.name} ({detail.entity_type}): {fresh} new fact(s)")
    return 0


def _relate(args: argparse.Namespace, store: MemoryStore) -> int:
    relation = RelationRef(
        **{"from": args.source, "to": args.target, "relationType": args.relation}
    )
    created = store.create_relations([relation], "user", "user")
    if args.json:
        _emit(CreatedRelations(relations=created))
    else:
        state = "related" if created else "already related"
        print(f"{state}: {args.source} {args.relation} {args.target}")
    return 0


def _show(args: argparse.Namespace, store: MemoryStore) -> int:
    if args.as_of is not None:
        moment = datetime.combine(args.as_of, datetime.max.time()).timestamp()
        graph = store.open_nodes([args.name], as_of=moment)
        if not graph.entities:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT, f"Entity with name {args.name} not found"
            )
        _print_graph(graph, args.json)
        return 0
    detail = store.show(args.name)
    if args.json:
        _emit(detail)
    else:
        _print_detail(detail)
    return 0


def _search(args: argparse.Namespace, store: MemoryStore) -> int:
    from chatx.config import load_settings
    from chatx.index.embedder import create_embedder
    from chatx.memory.recall import Recaller

    embedder = create_embedder(load_settings(store.path.parent.parent).index.embedder)
    found = Recaller(store, embedder).recall(args.query, args.k)
    if args.json:
        _emit(found)
        return 0
    for fact in found.results:
        print(f"{fact.entity}: {fact.text}  [{fact.id}] ({_day(fact.created)}, {fact.source})")
    return 0


def _forget(args: argparse.Namespace, store: MemoryStore) -> int:
    retired = store.forget(args.name, args.observation)
    what = f"fact {args.observation} of {args.name}" if args.observation else args.name
    if args.json:
        _emit(Status(success=True, message=f"retired {what}"))
    else:
        print(f"retired {what} ({retired} record(s)); `memory show --as-of` still finds it")
    return 0


def _import(args: argparse.Namespace, store: MemoryStore) -> int:
    path: Path = args.file
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT, f"cannot read {path}: {exc.strerror}"
        ) from exc
    summary = import_lines(store, lines, path.name)
    if args.json:
        _emit(summary)
    else:
        for problem in summary.problems:
            print(f"chatx: {problem.title}: {problem.detail}", file=sys.stderr)
        print(
            f"imported {summary.entities} entities, {summary.observations} facts, "
            f"{summary.relations} relations ({len(summary.problems)} problem(s))"
        )
    return 0


def _export(args: argparse.Namespace, store: MemoryStore) -> int:
    for line in export_lines(store):
        print(line)
    return 0


def _emit(model: BaseModel) -> None:
    print(model.model_dump_json(by_alias=True))


def _print_graph(graph: KnowledgeGraph, as_json: bool) -> None:
    if as_json:
        _emit(graph)
        return
    for entity in graph.entities:
        print(f"{entity.name} ({entity.entity_type})")
        for text in entity.observations:
            print(f"  - {text}")
    for relation in graph.relations:
        print(f"{relation.source} --{relation.relation_type}--> {relation.target}")


def _print_detail(detail: EntityDetail) -> None:
    aliases = [a for a in detail.aliases if a != detail.name]
    also = f", also {', '.join(aliases)}" if aliases else ""
    since = f"since {_day(detail.created)} from {detail.source}"
    print(f"{detail.name} ({detail.entity_type}{also}), {since}")
    for fact in detail.observations:
        print(f"  [{fact.id}] {fact.text}  ({_day(fact.created)}, {fact.source})")
    for relation in detail.relations:
        counts = f", {relation.messages} messages" if relation.messages else ""
        print(f"  {relation.source} --{relation.relation_type}--> {relation.target}{counts}")


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment).strftime("%Y-%m-%d")


COMMANDS = {
    "add": _add,
    "relate": _relate,
    "show": _show,
    "search": _search,
    "forget": _forget,
    "import": _import,
    "export": _export,
}
