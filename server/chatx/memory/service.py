"""The reference memory tools over a `MemoryStore`, with the reference server's answers
(created/skipped entities, partial-delete messages). No MCP imports: `agent.mcp_server`
registers these, and the CLI calls the store directly."""

from __future__ import annotations

from collections.abc import Sequence

from chatx.memory.models import (
    CreatedEntities,
    CreatedRelations,
    NewEntity,
    ObservationResults,
    ObservationsToAdd,
    ObservationsToDelete,
    RelationRef,
    Status,
)
from chatx.memory.store import MemoryStore


def create_entities(
    store: MemoryStore, entities: Sequence[NewEntity], source: str = "agent"
) -> CreatedEntities:
    """`create_entities`: `skipped` lists the names that existed (absent when none did)."""
    created, skipped = store.create_entities(entities, source=source, origin=source)
    return CreatedEntities(entities=created, skipped=skipped or None)


def create_relations(
    store: MemoryStore, relations: Sequence[RelationRef], source: str = "agent"
) -> CreatedRelations:
    """`create_relations`: an unknown end fails the whole call, naming it."""
    return CreatedRelations(relations=store.create_relations(relations, source, source))


def add_observations(
    store: MemoryStore, items: Sequence[ObservationsToAdd], source: str = "agent"
) -> ObservationResults:
    """`add_observations`: an unknown entity fails the whole call, naming it."""
    return ObservationResults(results=store.add_observations(items, source, source))


def delete_entities(store: MemoryStore, names: Sequence[str]) -> Status:
    """`delete_entities` (the entities are retired with their facts and relations)."""
    missing = store.delete_entities(names)
    if not missing:
        return Status(success=True, message="Entities deleted successfully")
    deleted = len(names) - len(missing)
    return Status(
        success=True,
        message=f"Deleted {deleted} of {len(names)} entities. Not found: {', '.join(missing)}",
    )


def delete_observations(store: MemoryStore, items: Sequence[ObservationsToDelete]) -> Status:
    """`delete_observations` (the facts are retired, not erased)."""
    retired, missing = store.delete_observations(items)
    requested = sum(len(item.observations) for item in items)
    if retired == requested:
        return Status(success=True, message="Observations deleted successfully")
    message = f"Deleted {retired} of {requested} observations."
    if missing:
        message += f" Entities not found: {', '.join(missing)}"
    return Status(success=True, message=message)


def delete_relations(store: MemoryStore, relations: Sequence[RelationRef]) -> Status:
    """`delete_relations` (the relations are retired)."""
    retired = store.delete_relations(relations)
    if retired == len(relations):
        return Status(success=True, message="Relations deleted successfully")
    return Status(
        success=True,
        message=f"Deleted {retired} of {len(relations)} relations. The rest matched nothing.",
    )
