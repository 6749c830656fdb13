"""The people of the chats, derived without a model: persons merged across files by name,
the user as ME, `chats_with` relations with message counts and dates, kept current by index
runs, and never overwriting what a user wrote."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.clirun import REPO, chatx

from chatx.memory.models import NewEntity
from chatx.memory.store import open_memory


def chats_with(ws: Path, name: str) -> dict[str, tuple[int | None, str | None, str | None]]:
    store = open_memory(ws)
    try:
        return {
            (r.target if r.source == name else r.source): (r.messages, r.first_seen, r.last_seen)
            for r in store.show(name).relations
            if r.relation_type == "chats_with"
        }
    finally:
        store.close()


def test_the_corpus_chats_become_people_and_links(corpus: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "chats").mkdir(parents=True)
    for name in ("chatminer_android_ddmmyy_24h.txt", "chatminer_ios_bracket_mmddyy_24h.txt"):
        shutil.copy(corpus / "whatsapp" / name, ws / "chats" / name)
    done = chatx("index", str(ws), env={"CHATX_SHIELD_ME": "John Doe"})
    assert done.returncode == 0, done.stderr
    links = chats_with(ws, "ME")
    assert links["Jahn Doe"] == (
        6,  # both files: ME wrote 2 + Jahn Doe 1, in each
        "2019-01-30T20:49:00+00:00",
        "2021-12-30T22:01:00+00:00",
    )
    assert set(links) == {"Jahn Doe", "John-John Doe", "John Doe 🤓", "🤓"}
    store = open_memory(ws)
    try:
        me = store.show("ME")
        assert me.source == "chats/chatminer_android_ddmmyy_24h.txt:1"
        assert store.show("john-john doe").name == "John-John Doe"
    finally:
        store.close()


def test_index_runs_keep_it_current_and_user_facts_stay(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(
        REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".claude-context")
    )
    store = open_memory(ws)
    store.create_entities(
        [NewEntity(name="Priya", entityType="colleague", observations=["leads the audit"])],
        source="user",
        origin="user",
    )
    store.close()
    assert chatx("index", str(ws)).returncode == 0
    before = chats_with(ws, "Marco")
    assert before["Priya"][0] == 8 and set(before) == {"Priya", "Aiko"}  # 4 + 4 messages
    store = open_memory(ws)
    priya = store.show("Priya")
    assert (priya.entity_type, [o.text for o in priya.observations]) == (
        "colleague",
        ["leads the audit"],
    )
    store.close()

    chat = ws / "chats" / "team-orders.txt"
    chat.write_text(
        chat.read_text() + "[03.04.25, 09:30:00] Marco: One more thing: the runbook is updated\n"
    )
    assert chatx("index", str(ws)).returncode == 0
    assert chats_with(ws, "Marco")["Priya"][0] == 9
    chat.unlink()
    assert chatx("index", str(ws)).returncode == 0
    assert chats_with(ws, "Marco") == {}
