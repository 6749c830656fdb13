"""Completion vocabulary: participants, identifiers and recurring terms of the indexed chunks.

Counts are kept per source so a re-indexed or deleted file replaces exactly its own terms.
Prefix lookups bisect a sorted, case-folded list that is rebuilt once per change, off the
request path.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z_][\w]*(?:[.\-/][A-Za-z_][\w]*)*")
_IDENTIFIER = re.compile(r".*(?:_|\d|[a-z][A-Z]|[.\-/]\w).*")
MIN_TERM_CHARS = 3
MIN_WORD_CHARS = 6  # plain words shorter than this are not worth completing
KIND_ORDER = {"participant": 0, "identifier": 1, "term": 2}


@dataclass(frozen=True)
class Term:
    """A completion candidate."""

    text: str
    kind: str  # participant | identifier | term
    count: int


def terms_of(text: str) -> Counter[str]:
    """Identifier-shaped tokens and long words of a text, with their counts."""
    found: Counter[str] = Counter()
    for token in _TOKEN.findall(text):
        token = token.rstrip(".-/")
        if len(token) < MIN_TERM_CHARS:
            continue
        if _IDENTIFIER.fullmatch(token) or len(token) >= MIN_WORD_CHARS:
            found[token] += 1
    return found


def term_kind(term: str) -> str:
    """`identifier` for snake_case, camelCase, dotted or numbered tokens, else `term`."""
    return "identifier" if _IDENTIFIER.fullmatch(term) else "term"


class Vocabulary:
    """Participants and terms of every indexed source, with prefix completion."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._terms: dict[str, Counter[str]] = {}
        self._people: dict[str, Counter[str]] = {}
        self._index: list[tuple[str, str, str, int]] = []  # (folded, text, kind, count)
        self._names: dict[str, str] = {}  # folded name or first name -> full name

    def replace(self, source: str, rows: Iterable[tuple[str, list[str]]]) -> None:
        """Set a source's terms from its chunks' `(text, participants)`."""
        terms: Counter[str] = Counter()
        people: Counter[str] = Counter()
        for text, participants in rows:
            terms.update(terms_of(text))
            people.update(participants)
        with self._lock:
            self._terms[source] = terms
            self._people[source] = people

    def remove(self, source: str) -> None:
        """Forget a deleted source."""
        with self._lock:
            self._terms.pop(source, None)
            self._people.pop(source, None)

    def rebuild(self) -> None:
        """Recompute the sorted prefix index (call after a batch of `replace`/`remove`)."""
        with self._lock:
            terms: Counter[str] = Counter()
            for counts in self._terms.values():
                terms.update(counts)
            people: Counter[str] = Counter()
            for counts in self._people.values():
                people.update(counts)
        totals: Counter[str] = Counter()
        spelling: dict[str, tuple[int, str]] = {}
        for term, count in terms.items():
            folded = term.casefold()
            totals[folded] += count
            if folded not in spelling or count > spelling[folded][0]:
                spelling[folded] = (count, term)
        entries: dict[str, tuple[str, str, int]] = {}
        for folded, (_, term) in spelling.items():
            kind = term_kind(term)
            if kind == "identifier" or totals[folded] >= 2:
                entries[folded] = (term, kind, totals[folded])
        names: dict[str, str] = {}
        for name, count in people.most_common():
            entries[name.casefold()] = (name, "participant", count)
            names.setdefault(name.casefold(), name)
            for part in name.split()[:1]:  # first names complete too
                if len(part) >= MIN_TERM_CHARS:
                    names.setdefault(part.casefold(), name)
                    if part.casefold() not in entries:
                        entries[part.casefold()] = (part, "participant", count)
        index = sorted((folded, *value) for folded, value in entries.items())
        with self._lock:
            self._index = index
            self._names = names

    def participant(self, name: str) -> str | None:
        """The participant a name (or first name, any case, possessive) refers to, if any."""
        folded = name.casefold().removesuffix("'s").removesuffix("’s")
        return self._names.get(folded)

    def participants(self) -> set[str]:
        """Every participant name seen."""
        with self._lock:
            return {name for counts in self._people.values() for name in counts}

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
