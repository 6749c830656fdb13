"""The memory store: a knowledge graph of entities, aliases, relations and observations in
`.claude-context/memory.sqlite`, shared by every process of a workspace.

Every change is one SQLite transaction (`BEGIN IMMEDIATE`, WAL): writers from several processes
queue on the database lock instead of overwriting each other's file, and a writer killed midway
leaves its transaction uncommitted, never a partial record. Nothing is deleted: a fact or a
relation that stops being true is retired (its `retired` time set), so what was believed at any
time stays answerable. Names are compared after NFC normalisation; aliases are found
case-insensitively.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatx import STATE_DIR
from chatx.memory.models import (
    AddedObservations,
    Entity,
    EntityDetail,
    KnowledgeGraph,
    NewEntity,
    Observation,
    ObservationsToAdd,
    ObservationsToDelete,
    RelationRecord,
    RelationRef,
)
from chatx.problems import ChatxError, ProblemCode
from chatx.wal import to_wal

MEMORY_FILE = "memory.sqlite"
SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    fold TEXT NOT NULL,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    retired REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS entities_current ON entities(name) WHERE retired IS NULL;
CREATE TABLE IF NOT EXISTS aliases (
    entity_id INTEGER NOT NULL,
    alias TEXT NOT NULL,
    key TEXT NOT NULL,
    UNIQUE (entity_id, key)
);
CREATE INDEX IF NOT EXISTS aliases_key ON aliases(key);
CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY,
    entity_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    fold TEXT NOT NULL,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    retired REAL,
    vector BLOB
);
CREATE INDEX IF NOT EXISTS observations_entity ON observations(entity_id, retired);
CREATE INDEX IF NOT EXISTS observations_unembedded ON observations(id)
    WHERE vector IS NULL AND retired IS NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS observations_fts USING fts5(
    text, content='observations', content_rowid='id'
);
CREATE VIRTUAL TABLE IF NOT EXISTS observations_vocab USING fts5vocab(
    'observations_fts', 'row'
);
CREATE VIRTUAL TABLE IF NOT EXISTS observations_tri USING fts5(
    fold, content='observations', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS observations_ai AFTER INSERT ON observations BEGIN
    INSERT INTO observations_fts(rowid, text) VALUES (new.id, new.text);
    INSERT INTO observations_tri(rowid, fold) VALUES (new.id, new.fold);
END;
CREATE TABLE IF NOT EXISTS relations (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL,
    target_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    retired REAL,
    messages INTEGER,
    first_seen TEXT,
    last_seen TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS relations_current
    ON relations(source_id, target_id, type) WHERE retired IS NULL;
CREATE INDEX IF NOT EXISTS relations_target ON relations(target_id);
CREATE TABLE IF NOT EXISTS derived_files (
    path TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    stats TEXT NOT NULL
);
"""


def memory_path(workspace: Path) -> Path:
    """Where the memory of `workspace` lives."""
    return workspace / STATE_DIR / MEMORY_FILE


def normal(name: str) -> str:
    """A name as stored: NFC, surrounding space removed."""
    return unicodedata.normalize("NFC", name).strip()


def alias_key(name: str) -> str:
    """How aliases are compared: NFC, case-folded, inner space collapsed."""
    return " ".join(normal(name).casefold().split())


class MemoryStore:
    """One workspace's memory (thread-safe; each process opens its own)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._own_writes = 0
        self._count, self._count_version = 0, (-1, -1)
        to_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._create()

    def _create(self) -> None:
        with self._lock:
            self._db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
        with self._write() as db:
            found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if found is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif found[0] != SCHEMA_VERSION:
                raise ChatxError.of(
                    ProblemCode.INVALID_INPUT,
                    f"{self.path} is memory schema {found[0]}, this ChatX reads "
                    f"{SCHEMA_VERSION}; upgrade ChatX, or export the memory with the version "
                    "that wrote it",
                    str(self.path),
                )

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: it waits for other processes' writers, commits whole."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._own_writes += 1

    def version(self) -> tuple[int, int]:
        """Changes since this store opened: other connections' commits and its own (what a
        cache of the observations' vectors is keyed by)."""
        with self._lock:
            (changes,) = self._db.execute("PRAGMA data_version").fetchone()
        return int(changes), self._own_writes

    # -- vectors, for recall by meaning --------------------------------------------------
    def embed_missing(self, embed: Callable[[list[str]], Any], model_id: str) -> int:
        """Give every current observation without a vector (or with another model's) one,
        embedding `<entity>: <fact>`; how many were embedded. The embedding runs outside the
        write transaction."""
        found = self._read("SELECT value FROM meta WHERE key = 'embedder'")
        if not found or found[0][0] != model_id:
            with self._write() as db:
                db.execute("UPDATE observations SET vector = NULL")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('embedder', ?)", (model_id,))
        done = 0
        while rows := self._read(
            "SELECT o.id, e.name || ': ' || o.text FROM observations o "
            "JOIN entities e ON e.id = o.entity_id "
            "WHERE o.vector IS NULL AND o.retired IS NULL LIMIT 256"
        ):
            vectors = embed([text for _, text in rows])  # a fact is read with whom it is about
            with self._write() as db:
                db.executemany(
                    "UPDATE observations SET vector = ? WHERE id = ?",
                    [
                        (vector.astype("float32").tobytes(), i)
                        for (i, _), vector in zip(rows, vectors, strict=True)
                    ],
                )
            done += len(rows)
        return done

    def vectors(self) -> list[tuple[int, bytes]]:
        """(id, float32 bytes) of every current observation that has a vector."""
        return self._read(
            "SELECT id, vector FROM observations WHERE retired IS NULL AND vector IS NOT NULL"
        )

    def keyword_hits(self, query: str, limit: int) -> list[int]:
        """Ids of current observations matching any telling word of `query`, best (BM25)
        first. A word of fewer than three letters, or one that is in more than a twentieth of
        the facts, tells little and would make BM25 score most of the table: it is left out."""
        words = {w.casefold() for w in _words(query) if len(w) > 2}
        if not words:
            return []
        marks = ",".join("?" * len(words))
        counts = dict(
            self._read(
                f"SELECT term, doc FROM observations_vocab WHERE term IN ({marks})", list(words)
            )
        )
        total = self._facts_count()
        telling = [w for w in words if w in counts and counts[w] <= max(50, total // 20)]
        if not telling:
            return []
        expression = " OR ".join('"' + w.replace('"', '""') + '"' for w in sorted(telling))
        return [
            row[0]
            for row in self._read(
                "SELECT o.id FROM observations_fts f JOIN observations o ON o.id = f.rowid "
                "WHERE observations_fts MATCH ? AND o.retired IS NULL "
                "ORDER BY bm25(observations_fts) LIMIT ?",
                (expression, limit),
            )
        ]

    def _facts_count(self) -> int:
        version = self.version()
        if self._count_version != version:
            (self._count,) = self._read("SELECT count(*) FROM observations WHERE retired IS NULL")[
                0
            ]
            self._count_version = version
        return int(self._count)

    def facts(self, ids: Sequence[int]) -> dict[int, tuple[str, str, str, float, str]]:
        """id → (entity name, entity type, text, created, source) of these observations."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._read(
            "SELECT o.id, e.name, e.type, o.text, o.created, o.source FROM observations o "
            f"JOIN entities e ON e.id = o.entity_id WHERE o.id IN ({marks})",
            list(ids),
        )
        return {row[0]: tuple(row[1:]) for row in rows}

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- the reference tools -------------------------------------------------------------
    def create_entities(
        self, entities: Sequence[NewEntity], source: str = "agent", origin: str = "agent"
    ) -> tuple[list[Entity], list[str]]:
        """Create the entities whose names are new; one whose name exists (or repeats an
        earlier one of the call) is skipped with its observations. Returns the created entities
        and the skipped names."""
        now = time.time()
        created: list[Entity] = []
        skipped: list[str] = []
        with self._write() as db:
            for new in entities:
                name = normal(new.name)
                if _entity_id(db, name) is not None:
                    skipped.append(name)
                    continue
                cursor = db.execute(
                    "INSERT INTO entities(name, type, fold, created, source, origin) "
                    "VALUES (?,?,?,?,?,?)",
                    (name, new.entity_type, _fold(name, new.entity_type), now, source, origin),
                )
                entity_id = int(cursor.lastrowid or 0)
                _add_alias(db, entity_id, name)
                texts = _new_texts(db, entity_id, new.observations)
                for text in texts:
                    _insert_observation(db, entity_id, text, now, source, origin)
                created.append(Entity(name=name, entityType=new.entity_type, observations=texts))
        return created, skipped

    def create_relations(
        self, relations: Sequence[RelationRef], source: str = "agent", origin: str = "agent"
    ) -> list[RelationRef]:
        """Create the relations that do not exist yet (between existing entities); returns
        them. An unknown end is an INVALID_INPUT problem naming it."""
        now = time.time()
        created: list[RelationRef] = []
        with self._write() as db:
            for relation in relations:
                ends = _ends(db, relation)
                if _relation_id(db, *ends, relation.relation_type) is not None:
                    continue
                db.execute(
                    "INSERT INTO relations(source_id, target_id, type, created, source, origin) "
                    "VALUES (?,?,?,?,?,?)",
                    (*ends, relation.relation_type, now, source, origin),
                )
                created.append(relation)
        return created

    def add_observations(
        self, items: Sequence[ObservationsToAdd], source: str = "agent", origin: str = "agent"
    ) -> list[AddedObservations]:
        """Add facts to existing entities (a fact already current is not added twice). An
        unknown entity fails the whole call, naming it, and nothing is added."""
        now = time.time()
        results: list[AddedObservations] = []
        with self._write() as db:
            for item in items:
                entity_id = _require(db, item.entity_name)
                texts = _new_texts(db, entity_id, item.contents)
                for text in texts:
                    _insert_observation(db, entity_id, text, now, source, origin)
                results.append(
                    AddedObservations(entityName=normal(item.entity_name), addedObservations=texts)
                )
        return results

    def delete_entities(self, names: Sequence[str]) -> list[str]:
        """Retire the entities, their observations and every relation touching them. Returns
        the names not found."""
        now = time.time()
        missing: list[str] = []
        with self._write() as db:
            for name in names:
                entity_id = _entity_id(db, normal(name))
                if entity_id is None:
                    missing.append(name)
                    continue
                db.execute("UPDATE entities SET retired = ? WHERE id = ?", (now, entity_id))
                db.execute(
                    "UPDATE observations SET retired = ? WHERE entity_id = ? AND retired IS NULL",
                    (now, entity_id),
                )
                db.execute(
                    "UPDATE relations SET retired = ? WHERE retired IS NULL "
                    "AND (source_id = ? OR target_id = ?)",
                    (now, entity_id, entity_id),
                )
        return missing

    def delete_observations(self, items: Sequence[ObservationsToDelete]) -> tuple[int, list[str]]:
        """Retire the named facts. Returns how many were retired and the entities not found."""
        now = time.time()
        retired, missing = 0, []
        with self._write() as db:
            for item in items:
                entity_id = _entity_id(db, normal(item.entity_name))
                if entity_id is None:
                    missing.append(item.entity_name)
                    continue
                for text in dict.fromkeys(normal(t) for t in item.observations):
                    cursor = db.execute(
                        "UPDATE observations SET retired = ? WHERE entity_id = ? AND text = ? "
                        "AND retired IS NULL",
                        (now, entity_id, text),
                    )
                    retired += cursor.rowcount
        return retired, missing

    def delete_relations(self, relations: Sequence[RelationRef]) -> int:
        """Retire the relations; how many were."""
        now = time.time()
        retired = 0
        with self._write() as db:
            for relation in relations:
                source = _entity_id(db, normal(relation.source))
                target = _entity_id(db, normal(relation.target))
                if source is None or target is None:
                    continue
                cursor = db.execute(
                    "UPDATE relations SET retired = ? WHERE source_id = ? AND target_id = ? "
                    "AND type = ? AND retired IS NULL",
                    (now, source, target, relation.relation_type),
                )
                retired += cursor.rowcount
        return retired

    def read_graph(self, as_of: float | None = None) -> KnowledgeGraph:
        """Every entity and relation current at `as_of` (default: now)."""
        return self._graph(None, as_of)

    def search_nodes(self, query: str, as_of: float | None = None) -> KnowledgeGraph:
        """Entities whose name, type, alias or a current observation contains `query`
        (case-insensitive), and the relations that start or end at one of them. Substrings of
        three characters or more are found through a trigram index."""
        needle = normal(query).casefold()
        at = _at(as_of)
        found = self._read(
            f"SELECT e.id FROM entities e WHERE {_current('e', as_of)} AND instr(e.fold, ?) > 0",
            (*at, needle),
        )
        if len(needle) >= 3:
            phrase = '"' + needle.replace('"', '""') + '"'
            found += self._read(
                "SELECT DISTINCT o.entity_id FROM observations_tri t "
                "JOIN observations o ON o.id = t.rowid "
                f"WHERE observations_tri MATCH ? AND {_current('o', as_of)}",
                (phrase, *at),
            )
        else:
            found += self._read(
                "SELECT o.entity_id FROM observations o "
                f"WHERE {_current('o', as_of)} AND instr(o.fold, ?) > 0",
                (*at, needle),
            )
        found += self._read("SELECT entity_id FROM aliases WHERE instr(key, ?) > 0", (needle,))
        return self._graph({row[0] for row in found}, as_of)

    def open_nodes(self, names: Sequence[str], as_of: float | None = None) -> KnowledgeGraph:
        """The named entities (found by name, else by alias) and the relations that start or
        end at one of them."""
        ids = {i for name in names if (i := self.find(name)) is not None}
        return self._graph(ids, as_of)

    # -- ChatX's own ---------------------------------------------------------------------
    def find(self, name: str) -> int | None:
        """The id of the current entity called `name`, or with it as an alias."""
        with self._lock:
            return _lookup(self._db, name)

    def show(self, name: str) -> EntityDetail:
        """The entity, its current observations (with ids and provenance) and relations."""
        entity_id = self.find(name)
        if entity_id is None:
            raise _unknown(name)
        (row,) = self._read(
            "SELECT name, type, created, source FROM entities WHERE id = ?", (entity_id,)
        )
        aliases = [
            a for (a,) in self._read("SELECT alias FROM aliases WHERE entity_id = ?", (entity_id,))
        ]
        observations = [
            Observation(id=i, text=t, created=c, source=s)
            for i, t, c, s in self._read(
                "SELECT id, text, created, source FROM observations "
                "WHERE entity_id = ? AND retired IS NULL ORDER BY id",
                (entity_id,),
            )
        ]
        relations = [
            RelationRecord(
                source=a,
                target=b,
                relation_type=t,
                created=c,
                origin=o,
                where=w,
                messages=m,
                first_seen=f,
                last_seen=la,
            )
            for a, b, t, c, o, w, m, f, la in self._read(
                "SELECT s.name, t.name, r.type, r.created, r.origin, r.source, r.messages, "
                "r.first_seen, r.last_seen FROM relations r JOIN entities s ON s.id = r.source_id "
                "JOIN entities t ON t.id = r.target_id WHERE r.retired IS NULL "
                "AND (r.source_id = ? OR r.target_id = ?) ORDER BY r.id",
                (entity_id, entity_id),
            )
        ]
        return EntityDetail(
            name=row[0],
            entity_type=row[1],
            aliases=aliases,
            created=row[2],
            source=row[3],
            observations=observations,
            relations=relations,
        )

    def forget(self, name: str, observation_id: int | None = None) -> int:
        """Retire one observation of the entity (by id), or the whole entity; the number of
        records retired. An unknown entity or observation is a problem."""
        entity_id = self.find(name)
        if entity_id is None:
            raise _unknown(name)
        if observation_id is None:
            (entity_name,) = self._read("SELECT name FROM entities WHERE id = ?", (entity_id,))[0]
            self.delete_entities([entity_name])
            return 1
        with self._write() as db:
            cursor = db.execute(
                "UPDATE observations SET retired = ? WHERE id = ? AND entity_id = ? "
                "AND retired IS NULL",
                (time.time(), observation_id, entity_id),
            )
            if cursor.rowcount == 0:
                raise ChatxError.of(
                    ProblemCode.INVALID_INPUT,
                    f"{name} has no current observation {observation_id}",
                )
            return int(cursor.rowcount)

    def names(self) -> list[tuple[str, str]]:
        """(name, type) of every current entity."""
        return self._read("SELECT name, type FROM entities WHERE retired IS NULL ORDER BY id")

    def mentioned(self, text: str) -> list[str]:
        """The current entities whose name or an alias appears in `text` as whole words
        (case-insensitive), each once, in the order the text names them."""
        words = f" {' '.join(_words(alias_key(text)))} "
        found: dict[str, int] = {}
        for name, key in self._read(
            "SELECT e.name, a.key FROM aliases a JOIN entities e ON e.id = a.entity_id "
            "WHERE e.retired IS NULL"
        ):
            spaced = f" {' '.join(_words(key))} "
            if spaced.strip() and (where := words.find(spaced)) >= 0:
                found[name] = min(found.get(name, where), where)
        return sorted(found, key=lambda name: found[name])

    def add_alias(self, name: str, alias: str) -> None:
        """Let `alias` find the entity `name` too."""
        with self._write() as db:
            _add_alias(db, _require(db, name), alias)

    # -- the part derived from the chats (`memory.derive`) --------------------------------
    def derived_files(self) -> dict[str, tuple[str, str]]:
        """path → (indexed hash, per-file statistics JSON) of the chats derived from."""
        return {p: (h, t) for p, h, t in self._read("SELECT path, hash, stats FROM derived_files")}

    def set_derived_file(self, path: str, digest: str | None, stats: str | None) -> None:
        """Keep (or, with `None`, drop) one chat file's statistics."""
        with self._write() as db:
            if digest is None or stats is None:
                db.execute("DELETE FROM derived_files WHERE path = ?", (path,))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO derived_files VALUES (?,?,?)", (path, digest, stats)
                )

    def apply_derived(
        self, people: dict[str, str], links: Sequence[Any], relation_type: str = "chats_with"
    ) -> None:
        """Make the derived graph this: `people` (name → where first seen) as persons, and
        `links` (`source`, `target`, `messages`, `first`, `last`, `where`) as relations. A
        person who exists already (by name or alias) is used as they are; derived relations
        are updated, added or retired; nothing a user or agent wrote is changed. One
        transaction."""
        now = time.time()
        with self._write() as db:
            ids: dict[str, int] = {}
            for name, where in people.items():
                found = _lookup(db, name)
                if found is None:
                    cursor = db.execute(
                        "INSERT INTO entities(name, type, fold, created, source, origin) "
                        "VALUES (?, 'person', ?, ?, ?, 'derived')",
                        (normal(name), _fold(name, "person"), now, where),
                    )
                    found = int(cursor.lastrowid or 0)
                _add_alias(db, found, name)
                ids[name] = found
            current = {
                (a, b): (i, origin)
                for i, a, b, origin in db.execute(
                    "SELECT id, source_id, target_id, origin FROM relations "
                    "WHERE type = ? AND retired IS NULL",
                    (relation_type,),
                )
            }
            kept: set[int] = set()
            for link in links:
                pair = (ids[link.source], ids[link.target])
                counts = (link.messages, link.first, link.last)
                if pair in current:
                    relation_id, origin = current[pair]
                    kept.add(relation_id)
                    if origin == "derived":
                        db.execute(
                            "UPDATE relations SET messages = ?, first_seen = ?, last_seen = ? "
                            "WHERE id = ?",
                            (*counts, relation_id),
                        )
                    continue
                db.execute(
                    "INSERT INTO relations(source_id, target_id, type, created, source, origin, "
                    "messages, first_seen, last_seen) VALUES (?,?,?,?,?, 'derived', ?,?,?)",
                    (*pair, relation_type, now, link.where, *counts),
                )
            stale = [i for i, origin in current.values() if origin == "derived" and i not in kept]
            db.executemany(
                "UPDATE relations SET retired = ? WHERE id = ?", [(now, i) for i in stale]
            )

    def _graph(self, ids: set[int] | None, as_of: float | None) -> KnowledgeGraph:
        """The entities `ids` (all when None) current at `as_of`, with their current facts,
        and the relations that touch one of them. The ids go through a temporary table, so
        that only their rows are read."""
        at = _at(as_of)
        with self._lock:
            db = self._db
            if ids is not None:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS picked (id INTEGER PRIMARY KEY)")
                db.execute("DELETE FROM picked")
                db.executemany("INSERT INTO picked VALUES (?)", ((i,) for i in ids))
                join = {  # CROSS JOIN: the picked ids drive, through the indexes
                    "e": "picked p CROSS JOIN entities e ON e.id = p.id",
                    "o": "picked p CROSS JOIN observations o ON o.entity_id = p.id",
                    "r": " AND (r.source_id IN picked OR r.target_id IN picked)",
                }
            else:
                join = {"e": "entities e", "o": "observations o", "r": ""}
            rows = db.execute(
                f"SELECT e.id, e.name, e.type FROM {join['e']} "
                f"WHERE {_current('e', as_of)} ORDER BY e.id",
                at,
            ).fetchall()
            facts: dict[int, list[str]] = {row[0]: [] for row in rows}
            for entity_id, text in db.execute(
                f"SELECT o.entity_id, o.text FROM {join['o']} "
                f"WHERE {_current('o', as_of)} ORDER BY o.entity_id, o.id",
                at,
            ):
                if entity_id in facts:
                    facts[entity_id].append(text)
            links = db.execute(
                "SELECT r.source_id, r.target_id, s.name, d.name, r.type FROM relations r "
                "JOIN entities s ON s.id = r.source_id JOIN entities d ON d.id = r.target_id "
                f"WHERE {_current('r', as_of)}{join['r']} ORDER BY r.id",
                at,
            ).fetchall()
        relations = [
            RelationRef.model_construct(source=a, target=b, relation_type=t)
            for src, dst, a, b, t in links
            if src in facts or dst in facts
        ]
        entities = [  # built from the database's own rows: no validation to repeat
            Entity.model_construct(name=n, entity_type=t, observations=facts[i]) for i, n, t in rows
        ]
        return KnowledgeGraph.model_construct(entities=entities, relations=relations)


def open_memory(workspace: Path) -> MemoryStore:
    """The memory store of `workspace`."""
    return MemoryStore(memory_path(workspace))


def _current(table: str, as_of: float | None) -> str:
    if as_of is None:
        return f"{table}.retired IS NULL"
    return f"{table}.created <= ? AND ({table}.retired IS NULL OR {table}.retired > ?)"


def _at(as_of: float | None) -> tuple[float, ...]:
    return () if as_of is None else (as_of, as_of)


def _entity_id(db: sqlite3.Connection, name: str) -> int | None:
    row = db.execute("SELECT id FROM entities WHERE name = ? AND retired IS NULL", (name,))
    found = row.fetchone()
    return int(found[0]) if found else None


def _lookup(db: sqlite3.Connection, name: str) -> int | None:
    exact = _entity_id(db, normal(name))
    if exact is not None:
        return exact
    found = db.execute(
        "SELECT a.entity_id FROM aliases a JOIN entities e ON e.id = a.entity_id "
        "WHERE a.key = ? AND e.retired IS NULL ORDER BY a.entity_id LIMIT 1",
        (alias_key(name),),
    ).fetchone()
    return int(found[0]) if found else None


def _require(db: sqlite3.Connection, name: str) -> int:
    entity_id = _lookup(db, name)
    if entity_id is None:
        raise _unknown(name)
    return entity_id


def _unknown(name: str) -> ChatxError:
    return ChatxError.of(ProblemCode.INVALID_INPUT, f"Entity with name {name} not found", name)


def _ends(db: sqlite3.Connection, relation: RelationRef) -> tuple[int, int]:
    return _require(db, relation.source), _require(db, relation.target)


def _relation_id(db: sqlite3.Connection, source: int, target: int, kind: str) -> int | None:
    found = db.execute(
        "SELECT id FROM relations WHERE source_id = ? AND target_id = ? AND type = ? "
        "AND retired IS NULL",
        (source, target, kind),
    ).fetchone()
    return int(found[0]) if found else None


def _add_alias(db: sqlite3.Connection, entity_id: int, alias: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO aliases(entity_id, alias, key) VALUES (?,?,?)",
        (entity_id, normal(alias), alias_key(alias)),
    )


def _new_texts(db: sqlite3.Connection, entity_id: int, texts: Iterable[str]) -> list[str]:
    """The texts that are not already current facts of the entity, each once, in order."""
    current = {
        row[0]
        for row in db.execute(
            "SELECT text FROM observations WHERE entity_id = ? AND retired IS NULL", (entity_id,)
        )
    }
    fresh: list[str] = []
    for text in (normal(t) for t in texts):
        if text and text not in current:
            current.add(text)
            fresh.append(text)
    return fresh


def _insert_observation(
    db: sqlite3.Connection, entity_id: int, text: str, now: float, source: str, origin: str
) -> None:
    db.execute(
        "INSERT INTO observations(entity_id, text, fold, created, source, origin) "
        "VALUES (?,?,?,?,?,?)",
        (entity_id, text, text.casefold(), now, source, origin),
    )


def _words(text: str) -> list[str]:
    """The runs of letters and digits of `text`."""
    return "".join(c if c.isalnum() else " " for c in text).split()


def _fold(name: str, kind: str) -> str:
    """What `search_nodes` matches an entity on: its name and type, case-folded."""
    return f"{normal(name)}\n{kind}".casefold()
