"""The part of the memory that comes from the chats themselves, without a model.

- Every participant is a `person`: one entity across platforms and files, found by name or
  alias. The user's own messages are `ME`'s.
- Two people who talk in the same conversation are related by `chats_with`, with the number
  of messages both wrote there, when both had first written and when either last did, summed
  over conversations and platforms.
- It is recomputed after each index run that changed a chat, from per-file statistics kept in
  the memory database (a file is re-read only when its indexed hash changed).
- Derived records never overwrite what a user or an agent wrote: an entity that exists keeps
  its type and facts, and only derived relations are updated or retired.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from chatx.config import Settings
from chatx.index.indexer import open_catalog
from chatx.ingest import extract
from chatx.memory.store import MemoryStore, alias_key, open_memory
from chatx.models import Message

log = logging.getLogger(__name__)
ME = "ME"
CHATS_WITH = "chats_with"


@dataclass
class Person:
    """One sender of one file: how many messages, when, and where they first wrote."""

    name: str
    messages: int = 0
    first: str | None = None
    last: str | None = None
    line: int | None = None
    me: bool = False


@dataclass
class FileStats:
    """The people of one chat file, per conversation."""

    path: str
    conversations: dict[str, dict[str, Person]] = field(default_factory=dict)

    def to_json(self) -> str:
        """The stats as kept in the memory database."""
        data = {
            c: {n: vars(p) for n, p in people.items()} for c, people in self.conversations.items()
        }
        return json.dumps({"path": self.path, "conversations": data})

    @classmethod
    def from_json(cls, text: str) -> FileStats:
        """The stats as read back."""
        data = json.loads(text)
        people = {
            conv: {name: Person(**person) for name, person in senders.items()}
            for conv, senders in data["conversations"].items()
        }
        return cls(data["path"], people)


def file_stats(path: str, messages: Iterable[Message], me: Iterable[str] = ()) -> FileStats:
    """Who wrote how much and when, per conversation of one file (system lines left out). The
    user's messages (marked by the export, or sent under one of the `me` names) are `ME`'s."""
    stats = FileStats(path)
    mine = {alias_key(name) for name in me}
    for message in messages:
        if not message.sender:
            continue
        is_me = message.is_me or alias_key(message.sender) in mine
        name = ME if is_me else message.sender
        person = stats.conversations.setdefault(message.conv_id, {}).setdefault(name, Person(name))
        person.me = is_me
        person.messages += 1
        when = message.timestamp.isoformat() if message.timestamp else None
        if when and (person.first is None or when < person.first):
            person.first = when
        if when and (person.last is None or when > person.last):
            person.last = when
        if person.line is None:
            person.line = message.source_ref.line
    return stats


@dataclass(frozen=True)
class Link:
    """A derived `chats_with` relation, summed over conversations and platforms."""

    source: str
    target: str
    messages: int
    first: str | None
    last: str | None
    where: str  # the first conversation's `path:line`


def people_and_links(files: Sequence[FileStats]) -> tuple[dict[str, str], list[Link]]:
    """Each person with where they first appear (`path:line`), and the pairwise links."""
    seen: dict[str, str] = {}
    totals: dict[tuple[str, str], list[Any]] = {}
    for stats in files:
        for people in stats.conversations.values():
            for person in people.values():
                seen.setdefault(person.name, f"{stats.path}:{person.line or 1}")
            for a, b in combinations(sorted(people.values(), key=_order), 2):
                key = (a.name, b.name)
                total = totals.setdefault(key, [0, None, None, f"{stats.path}:{a.line or 1}"])
                total[0] += a.messages + b.messages
                total[1] = _earliest(total[1], _latest(a.first, b.first))  # both had spoken
                total[2] = _latest(total[2], _latest(a.last, b.last))
    links = [Link(a, b, t[0], t[1], t[2], t[3]) for (a, b), t in sorted(totals.items())]
    return seen, links


def derive(workspace: Path, settings: Settings, store: MemoryStore | None = None) -> int:
    """Bring the derived part of `workspace`'s memory up to date with its index; the number
    of chat files re-read."""
    own = store is None
    memory = store or open_memory(workspace)
    try:
        catalog = open_catalog(workspace, settings)
        try:
            records = catalog.all()
        finally:
            catalog.close()
        me = sorted(settings.shield.me)
        chats = {  # a change of the user's names re-reads every chat
            path: f"{record.indexed_hash}|{','.join(me)}"
            for path, record in records.items()
            if record.state == "indexed" and record.messages > 0
        }
        known = memory.derived_files()
        reread = 0
        for path, digest in chats.items():
            if known.get(path, ("", ""))[0] == digest:
                continue
            try:
                result = extract(workspace / path, path, settings.index.zone(), stream=True)
                stats = file_stats(path, result.iter_messages(), me)
            except Exception as exc:  # a file that no longer reads is left out, not fatal
                log.warning("memory: cannot re-read %s: %s", path, exc)
                continue
            memory.set_derived_file(path, digest, stats.to_json())
            reread += 1
        for gone in set(known) - set(chats):
            memory.set_derived_file(gone, None, None)
        files = [FileStats.from_json(text) for _, text in memory.derived_files().values()]
        people, links = people_and_links(files)
        memory.apply_derived(people, links)
        return reread
    finally:
        if own:
            memory.close()


def refresh(workspace: Path, settings: Settings) -> None:
    """`derive` after an index run: a failure is logged, never the run's failure."""
    try:
        derive(workspace, settings)
    except Exception as exc:
        log.warning("memory: the people of the chats were not updated: %s", exc)


def _order(person: Person) -> tuple[int, str]:
    return (0 if person.me else 1, person.name.casefold())  # ME first: `ME chats_with X`


def _earliest(a: str | None, b: str | None) -> str | None:
    return min((v for v in (a, b) if v), default=None)


def _latest(a: str | None, b: str | None) -> str | None:
    return max((v for v in (a, b) if v), default=None)
