"""The memory's contracts: the reference MCP memory server's shapes (`entityType`, `from`,
`relationType`) for the drop-in tools and `memory.jsonl`, and ChatX's own records, which add
provenance (when, from where) and time (when a fact stopped being true)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class NewEntity(_Wire):
    """An entity as `create_entities` takes it."""

    name: str = Field(min_length=1, description="The entity's name (unique).")
    entity_type: str = Field(alias="entityType", min_length=1, description="person, project, …")
    observations: list[str] = Field(default_factory=list, description="Facts about it.")


class RelationRef(_Wire):
    """A directed, typed relation as the reference tools name it."""

    source: str = Field(alias="from", min_length=1, description="The entity it starts at.")
    target: str = Field(alias="to", min_length=1, description="The entity it points to.")
    relation_type: str = Field(alias="relationType", min_length=1, description="In active voice.")


class ObservationsToAdd(_Wire):
    """`add_observations`: facts to add to one entity."""

    entity_name: str = Field(alias="entityName", min_length=1)
    contents: list[str]


class ObservationsToDelete(_Wire):
    """`delete_observations`: facts to retire from one entity."""

    entity_name: str = Field(alias="entityName", min_length=1)
    observations: list[str]


class AddedObservations(_Wire):
    """What `add_observations` added to one entity (duplicates left out)."""

    entity_name: str = Field(alias="entityName")
    added_observations: list[str] = Field(alias="addedObservations")


class Entity(_Wire):
    """An entity with its current observations (the reference shape)."""

    name: str
    entity_type: str = Field(alias="entityType")
    observations: list[str]


class KnowledgeGraph(_Wire):
    """Entities and the relations among them."""

    entities: list[Entity]
    relations: list[RelationRef]


class Observation(BaseModel):
    """One fact with its provenance: `source` is `user`, `agent`, or a chat line `path:line`."""

    id: int
    text: str
    created: float = Field(description="Unix time it was recorded.")
    source: str
    retired: float | None = Field(default=None, description="When it stopped being true.")


class RelationRecord(BaseModel):
    """A relation with its provenance and, for one derived from chats, its message counts."""

    source: str = Field(serialization_alias="from")
    target: str = Field(serialization_alias="to")
    relation_type: str = Field(serialization_alias="relationType")
    created: float
    origin: str
    where: str = Field(description="Where it came from: user, agent, a file, or path:line.")
    messages: int | None = None
    first_seen: str | None = None
    last_seen: str | None = None


class EntityDetail(BaseModel):
    """`chatx memory show`: the entity, its current observations and its relations."""

    name: str
    entity_type: str
    aliases: list[str]
    created: float
    source: str
    observations: list[Observation]
    relations: list[RelationRecord]


class CreatedEntities(_Wire):
    """What `create_entities` returns: the entities created, and the names it skipped."""

    entities: list[Entity]
    skipped: list[str] | None = Field(
        default=None, description="Names that already existed (their observations not added)."
    )


class CreatedRelations(_Wire):
    """What `create_relations` returns: the relations created."""

    relations: list[RelationRef]


class ObservationResults(_Wire):
    """What `add_observations` returns."""

    results: list[AddedObservations]


class Status(_Wire):
    """What the delete tools return."""

    success: bool
    message: str
