"""Completion vocabulary: participants, identifiers and recurring terms of the indexed chunks.

The index keeps the counts per source as it writes (`index/rows.py`; what a term is:
`index/terms.py`), so loading them here is one small query; prefix lookups bisect a sorted,
case-folded list, rebuilt off the request path after each index run.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from chatx.index.terms import first_name, term_kind

KIND_ORDER = {"participant": 0, "entity": 0, "identifier": 1, "term": 2}


@dataclass(frozen=True)
class Term:
    """A completion candidate."""

    text: str
    kind: str  # participant | identifier | term | entity
    count: int


class Vocabulary:
    """Participants and terms of the index, with prefix completion."""

    def __init__(self) -> None:
        self._index: list[tuple[str, str, str, int]] = []  # (folded, text, kind, count)
        self._names: dict[str, str] = {}  # folded name or first name -> full name
        self._people: list[str] = []

    def load(self, entries: Iterable[tuple[str, str, int]]) -> None:
        """Replace the vocabulary with `(term, kind, count)` rows (kind: participant, token, or
        entity: a name the memory knows)."""
        totals: Counter[str] = Counter()
        spelling: dict[str, tuple[int, str]] = {}
        people: Counter[str] = Counter()
        entities: list[str] = []
        for term, kind, count in entries:
            if kind == "participant":
                people[term] += count
                continue
            if kind == "entity":
                entities.append(term)
                continue
            folded = term.casefold()
            totals[folded] += count
            if folded not in spelling or count > spelling[folded][0]:
                spelling[folded] = (count, term)
        index: dict[str, tuple[str, str, int]] = {}
        for folded, (_, term) in spelling.items():
            kind = term_kind(term)
            if kind == "identifier" or totals[folded] >= 2:
                index[folded] = (term, kind, totals[folded])
        names: dict[str, str] = {}
        for name, count in people.most_common():
            index[name.casefold()] = (name, "participant", count)
            names.setdefault(name.casefold(), name)
            if first := first_name(name):
                names.setdefault(first.casefold(), name)
                if index.get(first.casefold(), ("", "", 0))[1] != "participant":
                    index[first.casefold()] = (first, "participant", count)
        for name in entities:  # what the memory knows, unless the chats name them already
            if index.get(name.casefold(), ("", "", 0))[1] != "participant":
                index[name.casefold()] = (name, "entity", 1)
        self._index = sorted((folded, *value) for folded, value in index.items())
        self._names = names
        self._people = sorted(people)

    def participants(self) -> list[str]:
        """Every participant's full display name."""
        return list(self._people)

    def participant(self, name: str) -> str | None:
        """The participant a name (or first name, any case, possessive) refers to, if any."""
        folded = name.casefold().removesuffix("'s").removesuffix("’s")
        return self._names.get(folded)

    def complete(self, prefix: str, limit: int, scan: int = 5000) -> list[Term]:
        """Up to `limit` terms starting with `prefix` (case-insensitive): participants first,
        then identifiers, then terms, each by descending count."""
        folded = prefix.casefold()
        index = self._index
        start = bisect.bisect_left(index, (folded,))
        matches = []
        for entry in index[start : start + scan]:
            if not entry[0].startswith(folded):
                break
            if entry[0] != folded or entry[1] != prefix:
                matches.append(entry)
        matches.sort(key=lambda e: (KIND_ORDER[e[2]], -e[3], e[0]))
        return [Term(text, kind, count) for _, text, kind, count in matches[:limit]]

    def __len__(self) -> int:
        return len(self._index)
