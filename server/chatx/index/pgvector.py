"""The index on PostgreSQL with pgvector: one database that a team's daemons share (ADR 0017).

Every table holds many workspaces, keyed by the workspace's name (`pgWorkspace`, by default its
folder's name), so daemons on several machines that give the same name read and write one
index. Chunk rows carry their vector (HNSW, cosine) and a generated `tsvector` (GIN); a search
runs the same two rankings as LanceDB under the same prefilters and fuses them alike
(`store.fuse`). The catalog, the term counts and the metadata live beside the chunks. Writes
come in one transaction per batch: the sources' rows go, the new ones are copied in (binary
COPY) and upserted by their content-hash ids. An index run holds an advisory lock on its
workspace, so two machines never write one workspace at once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from chatx.config import DEFAULTS
from chatx.index.catalog import FILE_COLUMNS, FileRecord
from chatx.index.rows import COLUMNS, TermCounts, term_counts
from chatx.index.store import (
    DIM,
    SCHEMA,
    Filters,
    Hit,
    chunk_of,
    chunk_values,
    conditions,
    fuse,
    hit_of,
)
from chatx.models import Chunk
from chatx.problems import ChatxError, ProblemCode

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
INSTALL_HINT = "pip install 'chatx[pgvector]' (psycopg 3, psycopg-pool and pgvector)"
_CHUNK_COLUMNS = tuple(SCHEMA.names)
_COPY_TYPES = (
    ["text"] * 6 + ["int4", "int4", "text"] + ["text[]"] * 2 + ["text"] * 2 + ["text[]"] * 2
) + ["text", "text", "vector"]
_HIT_COLUMNS = ", ".join(COLUMNS)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS chatx_schema (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS chatx_chunks (
    workspace text NOT NULL,
    chunk_id text NOT NULL,
    kind text NOT NULL,
    source text NOT NULL,
    conv_id text,
    doc_id text,
    text text NOT NULL,
    line_start integer,
    line_end integer,
    platform text,
    participants text[] NOT NULL DEFAULT '{{}}',
    participants_lc text[] NOT NULL DEFAULT '{{}}',
    date_start text,
    date_end text,
    msg_ids text[] NOT NULL DEFAULT '{{}}',
    heading_path text[] NOT NULL DEFAULT '{{}}',
    content_hash text,
    anchor text,
    vector vector({DIM}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    PRIMARY KEY (workspace, chunk_id)
);
CREATE INDEX IF NOT EXISTS chatx_chunks_source ON chatx_chunks (workspace, source);
CREATE INDEX IF NOT EXISTS chatx_chunks_tsv ON chatx_chunks USING gin (tsv);
CREATE INDEX IF NOT EXISTS chatx_chunks_people ON chatx_chunks USING gin (participants_lc);
CREATE INDEX IF NOT EXISTS chatx_chunks_start ON chatx_chunks (workspace, date_start);
CREATE INDEX IF NOT EXISTS chatx_chunks_end ON chatx_chunks (workspace, date_end);
CREATE TABLE IF NOT EXISTS chatx_files (
    workspace text NOT NULL,
    path text NOT NULL,
    format text,
    state text NOT NULL,
    size bigint,
    mtime_ns bigint,
    seen_hash text,
    indexed_hash text,
    messages integer NOT NULL DEFAULT 0,
    chunks integer NOT NULL DEFAULT 0,
    problem text,
    PRIMARY KEY (workspace, path)
);
CREATE TABLE IF NOT EXISTS chatx_meta (
    workspace text NOT NULL, key text NOT NULL, value text NOT NULL,
    PRIMARY KEY (workspace, key)
);
CREATE TABLE IF NOT EXISTS chatx_terms (
    workspace text NOT NULL, source text NOT NULL, term text NOT NULL, kind text NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (workspace, source, term, kind)
);
CREATE TABLE IF NOT EXISTS chatx_lexemes (
    workspace text NOT NULL, lexeme text NOT NULL, ndoc bigint NOT NULL,
    PRIMARY KEY (workspace, lexeme)
);
CREATE TABLE IF NOT EXISTS chatx_versions (
    workspace text PRIMARY KEY, version bigint NOT NULL
);
"""
_FILE_COLUMNS = FILE_COLUMNS[1:]  # after the path
_HNSW = "chatx_chunks_vector"
# Full-text matches ranked per query at most: the query's commonest words are left out until
# the rest match at most this many chunks (as BM25 all but ignores them); a query of common
# words alone gets no full-text list.
MATCH_BUDGET = 5_000
EF_SEARCH = 512  # HNSW candidates at least: recall@10 0.88 at 1M chunks, 0.70 at 64 (ADR 17)
_TOTAL = ""  # the lexeme row that counts the workspace's chunks
_LOCK_SPACE = 0x43485458  # "CHTX": the first key of the workspace's advisory lock
_databases: dict[str, PgDatabase] = {}
_databases_lock = threading.Lock()


def redacted(url: str) -> str:
    """`host:port/dbname` of a PostgreSQL URL or conninfo: what a problem may show of it."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:
        return "an unparsable PostgreSQL URL"
    host = str(info.get("host") or "localhost")
    port = f":{info['port']}" if info.get("port") else ""
    return f"{host}{port}/{info.get('dbname') or info.get('user') or 'postgres'}"


def unavailable(url: str, detail: str) -> ChatxError:
    """A BACKEND_UNAVAILABLE problem naming the server, never its password."""
    return ChatxError.of(
        ProblemCode.BACKEND_UNAVAILABLE, f"PostgreSQL at {redacted(url)}: {detail}", redacted(url)
    )


def _reason(exc: BaseException) -> str:
    """libpq's message, first line, without anything that looks like a password."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"(?i)(password\s*=\s*)\S+", r"\1***", text)


class PgDatabase:
    """One PostgreSQL database: a small connection pool, the schema checked once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: Any = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, url: str | None) -> PgDatabase:
        """The process's handle on `url` (one pool per database)."""
        if not url:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT,
                "vectorStore is pgvector but pgUrl (CHATX_PG_URL) is not set",
            )
        with _databases_lock:
            if url not in _databases:
                _databases[url] = cls(url)
            return _databases[url]

    def pool(self) -> Any:
        """The connection pool, opened (and the schema made or checked) on first use."""
        with self._lock:
            if self._pool is None:
                self._prepare()
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=4,
                    open=False,
                    configure=_configure,
                    kwargs={"connect_timeout": 5},
                    name="chatx",
                )
                try:
                    self._pool.open(wait=True, timeout=10)
                except Exception as exc:
                    self._pool = None
                    raise unavailable(self.url, _reason(exc)) from exc
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection; its transaction commits when the block ends. A server lost
        on the way is BACKEND_UNAVAILABLE, like one never reached."""
        import psycopg

        try:
            with self.pool().connection() as conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise unavailable(self.url, _reason(exc)) from exc

    def connect(self) -> Any:
        """A connection of its own (autocommit), outside the pool."""
        try:
            import psycopg
        except ImportError as exc:
            raise unavailable(self.url, f"psycopg is not installed: {INSTALL_HINT}") from exc
        try:
            return psycopg.connect(self.url, connect_timeout=5, autocommit=True)
        except psycopg.Error as exc:
            raise unavailable(self.url, _reason(exc)) from exc

    def _prepare(self) -> None:
        """Connect once, make sure of the `vector` extension and the schema's version."""
        import psycopg

        with self.connect() as conn:
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as exc:
                raise unavailable(
                    self.url,
                    f"the `vector` extension cannot be created ({_reason(exc)}); install "
                    "pgvector on the server (Debian: postgresql-<version>-pgvector) and run "
                    "`CREATE EXTENSION vector` as a superuser",
                ) from exc
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_SPACE,))
                    conn.execute(_SCHEMA)
                    _keep_vectors_inline(conn)
                    row = conn.execute("SELECT version FROM chatx_schema").fetchone()
                    if row is None:
                        conn.execute("INSERT INTO chatx_schema VALUES (%s)", (SCHEMA_VERSION,))
            except psycopg.Error as exc:
                raise unavailable(
                    self.url,
                    f"cannot make ChatX's tables ({_reason(exc)}); let a role that may create "
                    "tables in the database's schema run ChatX once",
                ) from exc
        if row is not None and row[0] != SCHEMA_VERSION:
            raise unavailable(
                self.url,
                f"its ChatX tables are schema v{row[0]}, this ChatX reads v{SCHEMA_VERSION}: "
                "run the matching ChatX, or `chatx migrate --to lancedb` with it and then "
                "`chatx migrate --to pgvector` with this one",
            )

    def close(self) -> None:
        """Close the pool (tests, and a process that is done)."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def _keep_vectors_inline(conn: Any) -> None:
    """Store vectors in the row, not in TOAST: a 1.5 KB vector is moved out of line by default,
    and an exact scan then spends most of its time fetching it back (64 vs 15 ms at 20k chunks).
    Text and tsvector go to TOAST instead; a search reads them only for its winners."""
    inline = conn.execute(
        "SELECT attstorage = 'p' FROM pg_attribute"
        " WHERE attrelid = 'chatx_chunks'::regclass AND attname = 'vector'"
    ).fetchone()[0]
    if not inline:
        conn.execute("ALTER TABLE chatx_chunks ALTER COLUMN vector SET STORAGE PLAIN")


def _has_hnsw(conn: Any) -> bool:
    """Whether the HNSW index has been built (by this machine's run or another's)."""
    return conn.execute("SELECT to_regclass(%s)", (_HNSW,)).fetchone()[0] is not None


def _configure(conn: Any) -> None:
    """A new pooled connection: numpy arrays travel as `vector` values."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    conn.commit()


def close_all() -> None:
    """Close every pool this process opened."""
    with _databases_lock:
        for database in _databases.values():
            database.close()
        _databases.clear()


@contextmanager
def workspace_lock(database: PgDatabase, workspace: str) -> Iterator[None]:
    """Hold the workspace's advisory lock (one index run at a time, over every machine), on a
    connection of its own: the lock ends with it, even if this process dies."""
    with database.connect() as conn:
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_SPACE, workspace))
        yield


def where_sql(filters: Filters) -> tuple[str, list[Any]]:
    """The prefilter of `filters` as SQL conditions after the workspace's, with parameters."""
    found = conditions(filters)
    parts = [
        f" AND {column} @> ARRAY[%s]::text[]" if op == "has" else f" AND {column} {op} %s"
        for column, op, _ in found
    ]
    return "".join(parts), [value for _, _, value in found]


class PgStore:
    """One workspace's chunks in a shared PostgreSQL database (the `LanceStore` contract)."""

    def __init__(
        self,
        database: PgDatabase,
        workspace: str,
        ann_threshold: int = DEFAULTS.index.ann_threshold,
        question_vector_weight: float = DEFAULTS.index.question_vector_weight,
    ) -> None:
        self.database = database
        self.workspace = workspace
        self.ann_threshold = ann_threshold
        self.question_vector_weight = question_vector_weight
        self.ef_search = EF_SEARCH

    def describe(self) -> str:
        """What the status shows of this store."""
        return f"pgvector ({redacted(self.database.url)}, workspace {self.workspace!r})"

    # -- writes -------------------------------------------------------------
    def exists(self) -> bool:
        """True once something was written for this workspace (its version row, a key lookup;
        a count of its chunks would scan them on every index run)."""
        return self.indexed()

    def replace_sources(self, sources: list[str], chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Delete the sources' rows and add the new ones, in one transaction."""
        counts = term_counts((c.meta.source, c.text, c.meta.participants) for c in chunks)
        with self.database.connection() as conn:
            self._drop(conn, sources)
            if chunks:
                self._copy(conn, chunks, vectors)
            self._add_terms(conn, counts)
            self._bump(conn)

    def delete_sources(self, sources: list[str]) -> None:
        """Remove every row of the given sources."""
        if not sources:
            return
        with self.database.connection() as conn:
            self._drop(conn, sources)
            self._bump(conn)

    def reset(self) -> None:
        """Drop every row of this workspace (the embedding model or chunking changed)."""
        with self.database.connection() as conn:
            for table in ("chatx_chunks", "chatx_terms", "chatx_lexemes"):
                conn.execute(f"DELETE FROM {table} WHERE workspace = %s", (self.workspace,))
            self._bump(conn)

    def repair(self, compact: bool = True) -> list[str]:
        """Nothing to put right: every write is one transaction."""
        return []

    def finalize(self) -> None:
        """Build the HNSW index once the database holds `ann_threshold` chunks."""
        with self.database.connection() as conn:
            if not _has_hnsw(conn):
                rows = conn.execute("SELECT count(*) FROM chatx_chunks").fetchone()[0]
                if rows >= self.ann_threshold:
                    log.info("building the HNSW index over %d chunks", rows)
                    conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {_HNSW} ON chatx_chunks"
                        " USING hnsw (vector vector_cosine_ops)"
                    )
            conn.execute("ANALYZE chatx_chunks")

    def _drop(self, conn: Any, sources: list[str]) -> None:
        if not sources:
            return
        key = (self.workspace, sources)
        rows = "SELECT tsv FROM chatx_chunks WHERE workspace = {} AND source = ANY({})"
        self._count_lexemes(conn, rows, [self.workspace, sources], -1)
        conn.execute("DELETE FROM chatx_chunks WHERE workspace = %s AND source = ANY(%s)", key)
        conn.execute("DELETE FROM chatx_terms WHERE workspace = %s AND source = ANY(%s)", key)

    def _copy(self, conn: Any, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Binary COPY into a scratch table, then an upsert by chunk id: a chunk written twice
        (by two runs, or two machines) stays one row."""
        columns = ", ".join(_CHUNK_COLUMNS)
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS chatx_incoming ON COMMIT DELETE ROWS"
            f" AS SELECT {columns} FROM chatx_chunks WITH NO DATA"
        )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with conn.cursor() as cursor:
            with cursor.copy(
                f"COPY chatx_incoming ({columns}) FROM STDIN WITH (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_COPY_TYPES)
                for chunk, vector in zip(chunks, vectors, strict=True):
                    copy.write_row((*chunk_values(chunk), vector))
            # An upsert by chunk id: the copies already stored give way (and their words'
            # counts), then the batch goes in once per id.
            again = (
                "SELECT tsv FROM chatx_chunks WHERE workspace = {}"
                " AND chunk_id IN (SELECT chunk_id FROM chatx_incoming)"
            )
            self._count_lexemes(conn, again, [self.workspace], -1)
            cursor.execute(
                "DELETE FROM chatx_chunks c USING chatx_incoming i"
                " WHERE c.workspace = %s AND c.chunk_id = i.chunk_id",
                (self.workspace,),
            )
            cursor.execute(
                f"INSERT INTO chatx_chunks (workspace, {columns})"
                f" SELECT DISTINCT ON (chunk_id) %s, {columns} FROM chatx_incoming",
                (self.workspace,),
            )
            new = (
                "SELECT to_tsvector('english', text) FROM"
                " (SELECT DISTINCT ON (chunk_id) text FROM chatx_incoming) i"
            )
            self._count_lexemes(conn, new, [], 1)

    def _count_lexemes(self, conn: Any, rows: str, values: list[Any], sign: int) -> None:
        """Add (`sign` 1) or take away (-1) the document counts of the words of `rows` (a query
        of one tsvector column, its `{}` filled with `values`), and their number (the total
        row)."""
        from psycopg import sql

        query = sql.SQL(rows).format(*(sql.Literal(v) for v in values))
        statement = sql.SQL(
            "INSERT INTO chatx_lexemes"
            " SELECT {w}, word, {sign} * ndoc FROM ts_stat({text})"
            " UNION ALL SELECT {w}, {total}, {sign} * count(*) FROM ({query}) r"
            " ON CONFLICT (workspace, lexeme) DO UPDATE"
            " SET ndoc = chatx_lexemes.ndoc + excluded.ndoc"
        ).format(
            w=sql.Literal(self.workspace),
            sign=sql.Literal(sign),
            text=sql.Literal(query.as_string(conn)),
            total=sql.Literal(_TOTAL),
            query=query,
        )
        conn.execute(statement)

    def _add_terms(self, conn: Any, counts: TermCounts) -> None:
        rows = [
            (self.workspace, source, term, kind, n)
            for source, found in counts.items()
            for (term, kind), n in found.items()
        ]
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO chatx_terms VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (workspace, source, term, kind) DO UPDATE"
                " SET n = chatx_terms.n + excluded.n",
                rows,
            )

    def _bump(self, conn: Any) -> None:
        conn.execute(
            "INSERT INTO chatx_versions VALUES (%s, 1) ON CONFLICT (workspace)"
            " DO UPDATE SET version = chatx_versions.version + 1",
            (self.workspace,),
        )

    # -- reads --------------------------------------------------------------
    def indexed(self) -> bool:
        """Whether this workspace has been indexed (it may hold no chunk yet)."""
        return self.version() is not None

    def version(self) -> int | None:
        """This workspace's write counter: it grows with every commit from any machine."""
        with self.database.connection() as conn:
            row = conn.execute(
                "SELECT version FROM chatx_versions WHERE workspace = %s", (self.workspace,)
            ).fetchone()
        return int(row[0]) if row else None

    def refresh(self) -> None:
        """Nothing cached: every read sees the last commit."""

    def has_fts(self) -> bool:
        """The full-text index is part of the schema."""
        return True

    def count(self) -> int:
        """Number of chunks stored for this workspace."""
        with self.database.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM chatx_chunks WHERE workspace = %s", (self.workspace,)
            ).fetchone()
        return int(row[0])

    def search(
        self,
        query: str,
        vector: np.ndarray | Any | None,
        k: int,
        filters: Filters,
        depth: int | None = None,
        question: bool = False,
    ) -> list[Hit]:
        """Vector and full-text top-`depth` ids under the prefilter, fused by reciprocal rank
        as LanceDB's are (`store.fuse`); then the top k rows."""
        depth = depth or max(k * 4, 20)
        where, params = where_sql(filters)
        ranked: dict[str, list[str]] = {"vector": [], "fts": []}
        similarity: dict[str, float] = {}
        with self.database.connection() as conn:
            if vector is not None:
                q = vector() if callable(vector) else vector
                q = np.asarray(q, dtype=np.float32)
                conn.execute(f"SET LOCAL hnsw.ef_search = {max(depth * 2, self.ef_search)}")
                nearest = (
                    "SELECT chunk_id, vector <=> %s FROM chatx_chunks"
                    f" WHERE workspace = %s{where} ORDER BY 2 LIMIT %s"
                )
                found = conn.execute(nearest, (q, self.workspace, *params, depth)).fetchall()
                if len(found) < depth and _has_hnsw(conn):
                    # HNSW filters after its walk (pgvector < 0.8): a prefilter or a small
                    # workspace in a shared table can leave it short, the exact scan cannot;
                    # without the index the first answer was the exact scan already
                    conn.execute("SET LOCAL enable_indexscan = off")
                    found = conn.execute(nearest, (q, self.workspace, *params, depth)).fetchall()
                    conn.execute("SET LOCAL enable_indexscan = on")
                ranked["vector"] = [chunk_id for chunk_id, _ in found]
                similarity = {chunk_id: 1.0 - float(d) for chunk_id, d in found}
            if lexemes := self._lexemes(conn, query):
                found = conn.execute(
                    "SELECT chunk_id FROM (SELECT chunk_id, tsv, q FROM chatx_chunks,"
                    " (SELECT string_agg(quote_literal(x), ' | ')::tsquery FROM unnest(%s::text[])"
                    f" x) t(q) WHERE workspace = %s AND tsv @@ q{where} LIMIT %s) m"
                    " ORDER BY ts_rank(tsv, q) DESC, chunk_id LIMIT %s",
                    (lexemes, self.workspace, *params, MATCH_BUDGET, depth),
                ).fetchall()
                ranked["fts"] = [chunk_id for (chunk_id,) in found]
            weights = {"vector": self.question_vector_weight} if question else None
            fused = fuse(ranked, k, weights)
            rows = self._rows(conn, [chunk_id for chunk_id, _, _ in fused])
        hits = []
        for chunk_id, score, ranks in fused:
            row = rows.get(chunk_id)
            if row is None:
                continue
            hit = hit_of(dict(zip(COLUMNS, row, strict=True)), score, ranks)
            hit.similarity = similarity.get(chunk_id)
            hits.append(hit)
        return hits

    def _lexemes(self, conn: Any, query: str) -> list[str]:
        """The query's words (English stems) worth matching: rarest first, while together they
        match at most `MATCH_BUDGET` chunks. A word no chunk holds matches nothing and is left
        out. When even the rarest matches more, there is none: ranking an arbitrary budget of
        its matches would be noise, and ranking them all costs 100 ms at 1M chunks."""
        found = conn.execute(
            "SELECT l.word, x.ndoc FROM unnest(tsvector_to_array(to_tsvector('english', %s)))"
            " l(word) JOIN chatx_lexemes x ON x.workspace = %s AND x.lexeme = l.word"
            " WHERE x.ndoc > 0 ORDER BY x.ndoc, l.word",
            (query, self.workspace),
        ).fetchall()
        kept: list[str] = []
        matched = 0
        for word, ndoc in found:
            if matched + ndoc > MATCH_BUDGET:
                break
            kept.append(word)
            matched += ndoc
        return kept

    def _rows(self, conn: Any, chunk_ids: list[str]) -> dict[str, tuple[Any, ...]]:
        if not chunk_ids:
            return {}
        found = conn.execute(
            f"SELECT {_HIT_COLUMNS} FROM chatx_chunks WHERE workspace = %s AND chunk_id = ANY(%s)",
            (self.workspace, chunk_ids),
        ).fetchall()
        return {row[0]: row for row in found}

    def vocabulary(self) -> list[tuple[str, str, int]]:
        """`(term, kind, count)` over this workspace's chunks."""
        with self.database.connection() as conn:
            found = conn.execute(
                "SELECT term, kind, sum(n)::int FROM chatx_terms WHERE workspace = %s"
                " GROUP BY term, kind HAVING sum(n) > 0",
                (self.workspace,),
            ).fetchall()
        return [(term, kind, n) for term, kind, n in found]

    def participants(self) -> list[str]:
        """Display names of every chat participant in this workspace's chunks."""
        return sorted({term for term, kind, _ in self.vocabulary() if kind == "participant"})

    def chunks(self, batch: int = 4096) -> Iterator[tuple[list[Chunk], np.ndarray]]:
        """Every stored chunk with its vector, in batches (what `chatx migrate` copies)."""
        columns = ", ".join(_CHUNK_COLUMNS)
        with self.database.connection() as conn, conn.cursor(name="chatx_export") as cursor:
            cursor.itersize = batch
            cursor.execute(
                f"SELECT {columns} FROM chatx_chunks WHERE workspace = %s"
                " ORDER BY source, chunk_id",
                (self.workspace,),
            )
            while rows := cursor.fetchmany(batch):
                chunks = [chunk_of(dict(zip(_CHUNK_COLUMNS, row, strict=True))) for row in rows]
                yield chunks, np.stack([_array(row[-1]) for row in rows])


def _array(value: Any) -> np.ndarray:
    """A stored vector as float32 (pgvector's `Vector` in binary results, an array in text)."""
    return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, np.float32)


class PgCatalog:
    """The catalog (`catalog.Catalog`'s contract) of one workspace in the shared database."""

    def __init__(self, database: PgDatabase, workspace: str) -> None:
        self.database = database
        self.workspace = workspace

    def close(self) -> None:
        """Nothing to close: connections return to the pool."""

    def get_meta(self, key: str) -> str | None:
        """A metadata value (e.g. the embedder id)."""
        with self.database.connection() as conn:
            row = conn.execute(
                "SELECT value FROM chatx_meta WHERE workspace = %s AND key = %s",
                (self.workspace, key),
            ).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a metadata value."""
        with self.database.connection() as conn:
            conn.execute(
                "INSERT INTO chatx_meta VALUES (%s, %s, %s)"
                " ON CONFLICT (workspace, key) DO UPDATE SET value = excluded.value",
                (self.workspace, key, value),
            )

    def all(self) -> dict[str, FileRecord]:
        """Every file record, by path."""
        with self.database.connection() as conn:
            rows = conn.execute(
                f"SELECT path, {', '.join(_FILE_COLUMNS)} FROM chatx_files WHERE workspace = %s",
                (self.workspace,),
            ).fetchall()
        return {row[0]: FileRecord.of_row(row) for row in rows}

    def save(self, records: list[FileRecord]) -> None:
        """Insert or replace records in one transaction."""
        if not records:
            return
        values = [(self.workspace, *record.values()) for record in records]
        updates = ", ".join(f"{c} = excluded.{c}" for c in _FILE_COLUMNS)
        with self.database.connection() as conn, conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO chatx_files VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                f" ON CONFLICT (workspace, path) DO UPDATE SET {updates}",
                values,
            )

    def remove(self, paths: list[str]) -> None:
        """Forget files that are gone from the workspace."""
        with self.database.connection() as conn:
            conn.execute(
                "DELETE FROM chatx_files WHERE workspace = %s AND path = ANY(%s)",
                (self.workspace, paths),
            )

    def clear(self) -> None:
        """Forget every file (the store was reset)."""
        with self.database.connection() as conn:
            conn.execute("DELETE FROM chatx_files WHERE workspace = %s", (self.workspace,))
