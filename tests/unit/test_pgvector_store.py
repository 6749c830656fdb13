"""The index on a real PostgreSQL with pgvector (pgserver): what LanceDB does not share.

The search and indexing suites run on both stores (`store_settings`); here: two machines on
one index, upserts, the advisory lock, and the problems a database can give.
"""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from tests.chunks import random_doc_chunks

from chatx.config import Settings, load_settings
from chatx.index import pgvector
from chatx.index.indexer import Indexer, open_catalog, open_store
from chatx.index.search import SearchService
from chatx.index.status import workspace_status
from chatx.problems import ChatxError

psycopg = pytest.importorskip("psycopg", reason="psycopg is a dev extra: make test")


def database(pg_url: str, name: str, owner: str = "postgres") -> str:
    """A fresh database on the test server, as a conninfo string."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    return psycopg.conninfo.make_conninfo(pg_url, dbname=name)


def shared(url: str, name: str = "team") -> Settings:
    return Settings(vector_store="pgvector", pg_url=url, pg_workspace=name)


def problem_of(url: str) -> ChatxError:
    store = pgvector.PgStore(pgvector.PgDatabase.of(url), "w")
    with pytest.raises(ChatxError) as caught:
        store.count()
    return caught.value


def test_two_machines_share_one_index(
    workspace: Path, tmp_path: Path, pg_url: str, embedder
) -> None:  # type: ignore[no-untyped-def]
    url = database(pg_url, "two_machines")
    laptop = tmp_path / "laptop" / "orders"
    shutil.copytree(workspace, laptop)
    first = Indexer(workspace, shared(url), embedder=embedder).run()
    assert (first.files_indexed, first.chunks) == (4, 11)
    # Another machine, the same repository at another path: its files are the ones indexed.
    second = Indexer(laptop, shared(url), embedder=embedder).run()
    assert (second.files_indexed, second.files_unchanged) == (0, 4)
    found = SearchService(laptop, shared(url), embedder=embedder).query("roll back a deploy", 3)
    assert found.citations[0].source == "docs/runbook.md"
    assert open_store(laptop, shared(url)).count() == 11
    status = workspace_status(laptop, shared(url))
    assert status.totals.indexed == 4
    assert status.store == f"pgvector ({pgvector.redacted(url)}, workspace 'team')"
    # A workspace of another name in the same database sees none of it.
    assert open_store(laptop, shared(url, "other")).count() == 0


def test_the_advisory_lock_serialises_machines(
    workspace: Path, tmp_path: Path, pg_url: str, embedder
) -> None:  # type: ignore[no-untyped-def]
    url = database(pg_url, "two_writers")
    other = tmp_path / "elsewhere" / "orders"
    shutil.copytree(workspace, other)  # its own lock file: only the database can serialise them
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(
                lambda root: Indexer(root, shared(url), embedder=embedder).run(), [workspace, other]
            )
        )
    assert sorted(run.files_indexed for run in runs) == [0, 4]
    assert open_store(workspace, shared(url)).count() == 11


def test_a_chunk_written_twice_stays_one_row(workspace: Path, pg_url: str, embedder) -> None:  # type: ignore[no-untyped-def]
    url = database(pg_url, "upserts")
    Indexer(workspace, shared(url), embedder=embedder).run()
    store = open_store(workspace, shared(url))
    [(chunks, vectors)] = list(store.chunks())
    store.replace_sources([], chunks, vectors)  # no delete first: an upsert by chunk id
    assert store.count() == 11
    [(again, stored)] = list(store.chunks())
    assert [c.model_dump() for c in again] == [c.model_dump() for c in chunks]
    assert np.allclose(stored, vectors, atol=1e-6)


def test_an_unreachable_server_names_its_host_and_not_the_password() -> None:
    error = problem_of("postgresql://team:s3cret-pw@127.0.0.1:9/chatx")
    problem = error.problem
    assert problem.code == "BACKEND_UNAVAILABLE"
    assert problem.detail.startswith("PostgreSQL at 127.0.0.1:9/chatx: connection")
    assert "s3cret-pw" not in problem.model_dump_json()


def test_a_wrong_password_is_a_problem_without_it(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS careful")
        conn.execute("CREATE ROLE careful LOGIN PASSWORD 'right-one'")
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        hba.write_text("local all careful scram-sha-256\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    url = psycopg.conninfo.make_conninfo(pg_url, user="careful", password="wrong-one")
    for _ in range(100):  # the server reloads its rules when it gets to the signal
        try:
            psycopg.connect(url).close()
        except psycopg.OperationalError:
            break
        time.sleep(0.05)
    problem = problem_of(url).problem
    assert problem.code == "BACKEND_UNAVAILABLE"
    assert 'password authentication failed for user "careful"' in problem.detail
    assert "wrong-one" not in problem.model_dump_json()


def test_a_missing_vector_extension_names_the_fix(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS plain")
        conn.execute("CREATE ROLE plain LOGIN")
    url = psycopg.conninfo.make_conninfo(database(pg_url, "no_vector", "plain"), user="plain")
    detail = problem_of(url).problem.detail
    assert "the `vector` extension cannot be created" in detail
    assert "CREATE EXTENSION vector" in detail and "pgvector" in detail


def test_a_role_that_may_not_create_tables_is_told_so(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS reader")
        conn.execute("CREATE ROLE reader LOGIN")
    url = psycopg.conninfo.make_conninfo(database(pg_url, "locked_down"), user="reader")
    with psycopg.connect(url.replace("user=reader", "user=postgres"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION vector")  # there already: only the tables are refused
    detail = problem_of(url).problem.detail
    assert "cannot make ChatX's tables (permission denied for schema public)" in detail


def test_a_schema_from_another_version_is_refused_with_a_migration_hint(pg_url: str) -> None:
    url = database(pg_url, "old_schema")
    assert pgvector.PgStore(pgvector.PgDatabase.of(url), "w").count() == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE chatx_schema SET version = 0")
    pgvector.close_all()
    detail = problem_of(url).problem.detail
    assert f"schema v0, this ChatX reads v{pgvector.SCHEMA_VERSION}" in detail
    assert "chatx migrate" in detail


def test_no_url_is_invalid_input(workspace: Path) -> None:
    with pytest.raises(ChatxError) as caught:
        open_store(workspace, Settings(vector_store="pgvector"))
    assert caught.value.problem.code == "INVALID_INPUT"
    assert "pgUrl (CHATX_PG_URL)" in caught.value.problem.detail


async def test_a_daemon_sees_another_machines_run(
    workspace: Path, tmp_path: Path, pg_url: str, embedder
) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from chatx.daemon.service import Daemon

    url = database(pg_url, "follow")
    laptop = tmp_path / "laptop" / "orders"
    laptop.mkdir(parents=True)
    daemon = Daemon([laptop], shared(url))
    await daemon.load_vocabulary()
    assert daemon.vocab.participants() == []
    follower = asyncio.create_task(daemon.follow_shared(interval=0.05))
    await asyncio.sleep(0.2)  # it has read the counter once
    indexer = Indexer(workspace, shared(url), embedder=embedder)  # the other machine
    await asyncio.to_thread(indexer.run)
    for _ in range(100):
        if daemon.vocab.participants():
            break
        await asyncio.sleep(0.05)
    assert "Priya" in daemon.vocab.participants()
    await daemon.shutdown()
    await follower


def test_migrate_there_and_back_without_embedding(workspace: Path, pg_url: str, embedder) -> None:  # type: ignore[no-untyped-def]
    from chatx.index.migrate import migrate, with_store

    url = database(pg_url, "migrate")
    lance = Settings(pg_url=url, pg_workspace="orders")
    Indexer(workspace, lance, embedder=embedder).run()
    before = SearchService(workspace, lance, embedder=embedder).query("roll back a deploy", 5)
    [(chunks, vectors)] = list(open_store(workspace, lance).chunks())

    records = open_catalog(workspace, lance).all()
    done = migrate(workspace, lance, "pgvector")
    assert (done.chunks, done.files) == (11, len(records))
    assert open_catalog(workspace, with_store(lance, "pgvector")).all() == records
    pg = with_store(lance, "pgvector")
    after = SearchService(workspace, pg, embedder=embedder).query("roll back a deploy", 5)
    assert [(c.source, c.line_start, c.line_end) for c in after.citations] == [
        (c.source, c.line_start, c.line_end) for c in before.citations
    ]
    unchanged = Indexer(workspace, pg, embedder=embedder).run()  # the catalog came along
    assert (unchanged.files_indexed, unchanged.files_unchanged) == (0, 4)

    shutil.rmtree(workspace / ".claude-context")
    assert migrate(workspace, pg, "lancedb").chunks == 11
    [(back, stored)] = list(open_store(workspace, lance).chunks())
    order = {c.chunk_id: i for i, c in enumerate(back)}
    assert sorted(order) == sorted(c.chunk_id for c in chunks)
    again = np.stack([stored[order[c.chunk_id]] for c in chunks])
    assert np.allclose(again, vectors, atol=1e-6)
    with pytest.raises(ChatxError) as caught:
        migrate(workspace, lance, "lancedb")
    assert caught.value.problem.code == "INVALID_INPUT"


def test_chatx_migrate_prints_what_it_copied(
    workspace: Path, pg_url: str, embedder, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from chatx.cli.commands import main

    url = database(pg_url, "migrate_cli")
    Indexer(workspace, Settings(), embedder=embedder).run()
    monkeypatch.setenv("CHATX_PG_URL", url)
    monkeypatch.setenv("CHATX_PG_WORKSPACE", "cli")
    assert main(["migrate", "--to", "pgvector", str(workspace)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("copied 11 chunks and ")
    assert out[2] == f"  to   pgvector ({pgvector.redacted(url)}, workspace 'cli')"
    assert load_settings(workspace).index.vector_store == "pgvector"  # the workspace moved
    assert main(["migrate", "--to", "pgvector", str(workspace)]) == 2
    assert "already in pgvector" in capsys.readouterr().err


def test_chatx_index_store_is_the_workspaces_choice_until_a_setting_says_otherwise(
    workspace: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from chatx.cli.commands import main

    url = database(pg_url, "index_flag")
    monkeypatch.setenv("CHATX_PG_URL", url)
    monkeypatch.setenv("CHATX_PG_WORKSPACE", "flag")
    assert main(["index", "--store", "pgvector", "--json", str(workspace)]) == 0
    assert json.loads(capsys.readouterr().out)["chunks"] == 11
    assert load_settings(workspace).index.vector_store == "pgvector"
    assert main(["status", "--json", "--workspace", str(workspace)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["store"].startswith("pgvector (") and status["totals"]["indexed"] == 4
    assert not (workspace / ".claude-context" / "lancedb").exists()
    monkeypatch.setenv("CHATX_VECTOR_STORE", "lancedb")  # an explicit setting wins
    assert load_settings(workspace).index.vector_store == "lancedb"


def test_word_counts_follow_every_write(workspace: Path, pg_url: str, embedder) -> None:  # type: ignore[no-untyped-def]
    url = database(pg_url, "lexemes")
    settings = shared(url, "counts")
    Indexer(workspace, settings, embedder=embedder).run()
    chat = workspace / "chats" / "team-orders.txt"
    chat.write_text(chat.read_text() + "[05.04.25, 08:00:00] Priya: Rollback drill at 10?\n")
    (workspace / "docs" / "architecture.rst").unlink()
    Indexer(workspace, settings, embedder=embedder).run()
    store = open_store(workspace, settings)
    [(chunks, vectors)] = list(store.chunks())
    store.replace_sources([], chunks[:3], vectors[:3])  # an upsert of rows already there
    with psycopg.connect(url) as conn:
        truth = dict(
            conn.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT tsv FROM chatx_chunks"
                " WHERE workspace = ''counts''')"
            ).fetchall()
        )
        kept = dict(
            conn.execute(
                "SELECT lexeme, ndoc FROM chatx_lexemes WHERE workspace = 'counts' AND ndoc > 0"
            ).fetchall()
        )
    assert kept.pop("") == store.count() == len(chunks)
    assert kept == truth


def test_common_words_give_way_to_rare_ones(
    workspace: Path, pg_url: str, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    url = database(pg_url, "budget")
    Indexer(workspace, shared(url), embedder=embedder).run()
    store = open_store(workspace, shared(url))
    assert isinstance(store, pgvector.PgStore)
    with store.database.connection() as conn:
        everything = store._lexemes(conn, "the orders pizza")
        monkeypatch.setattr(pgvector, "MATCH_BUDGET", 2)
        rare = store._lexemes(conn, "the orders pizza")
        monkeypatch.setattr(pgvector, "MATCH_BUDGET", 0)
        none = store._lexemes(conn, "the orders pizza")
    assert everything == ["pizza", "order"]  # rarest first; "the" is a stop word
    assert rare == ["pizza"]  # "order" is in more chunks than the budget leaves
    assert none == []  # no word is selective enough: the vector ranks alone
    monkeypatch.setattr(pgvector, "MATCH_BUDGET", 2)
    top = store.search("the orders pizza", None, 3, pgvector.Filters())
    assert [hit.source for hit in top] == ["chats/team-orders.txt"]


def test_a_server_lost_midway_is_a_problem(tmp_path: Path) -> None:
    import pgserver

    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="stop")
    url = server.get_uri()
    store = pgvector.PgStore(pgvector.PgDatabase.of(url), "w")
    assert store.count() == 0
    server.cleanup()  # the server goes away under an open pool
    with pytest.raises(ChatxError) as caught:
        store.count()
    assert caught.value.problem.code == "BACKEND_UNAVAILABLE"
    assert caught.value.problem.detail.startswith(f"PostgreSQL at {pgvector.redacted(url)}: ")
    pgvector.PgDatabase.of(url).close()


def test_a_prefilter_finds_its_chunks_past_the_hnsw_index(pg_url: str) -> None:
    url = database(pg_url, "filtered")
    store = pgvector.PgStore(pgvector.PgDatabase.of(url), "w", ann_threshold=100)
    every = 50  # the glob keeps one chunk in 50: about 10 of the walk's 512 candidates
    chunks, vectors = random_doc_chunks(
        20_000, lambda i: f"docs/{'kept' if i % every == 0 else 'rest'}/n{i}.md", seed=7
    )
    store.replace_sources([], chunks, vectors)
    store.finalize()
    glob = pgvector.Filters(path_glob="docs/kept/**")
    where, params = pgvector.where_sql(glob)
    with store.database.connection() as conn:
        conn.execute(f"SET LOCAL hnsw.ef_search = {store.ef_search}")
        walk = (
            f"SELECT chunk_id FROM chatx_chunks WHERE workspace = 'w'{where}"
            " ORDER BY vector <=> %s LIMIT 40"
        )
        plan = conn.execute(f"EXPLAIN {walk}", (*params, vectors[1])).fetchall()
        walked = conn.execute(walk, (*params, vectors[1])).fetchall()
    assert "chatx_chunks_vector" in "\n".join(row[0] for row in plan)  # it filters after its walk
    assert len(walked) < 40  # so the walk alone comes back short
    found = store.search("", vectors[1], 10, glob)
    kept = vectors[::every] @ vectors[1]
    assert [hit.chunk_id for hit in found] == [f"c{every * i}" for i in np.argsort(-kept)[:10]]
