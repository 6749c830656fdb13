"""People's names: chat participants, names the user lists, and the user's own names.

A name is matched as a whole, by any of its words alone (first names, surnames), in any case,
and with a possessive `'s`. Words that are also common English words ("Will", "May") match
only when capitalised, so "I will" stays as it is while "Will" and "WILL" do not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from chatx.shield.detectors import Finding

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)
# Name words that are everyday lower-case words: matched only when capitalised ("Will", "WILL").
# fmt: off
CASED_ONLY = frozenset({
    "will", "may", "hope", "joy", "faith", "grant", "summer", "winter", "autumn", "august",
    "april", "june", "art", "sky", "river", "chase", "cash", "page", "lane", "max", "frank",
    "dawn", "earl", "glen", "de", "la", "le", "van", "von", "der", "den", "du", "da", "di",
    "del", "bin", "al", "el", "jr", "sr", "mr", "mrs", "ms", "dr", "the", "and",
})
# Names that are also nouns or verbs: in lower case they count unless a determiner comes
# before ("the bill") or an object after ("mark my words", "rob a bank", "max 5").
WORD_NAMES = frozenset({
    "mark", "bill", "jack", "rose", "bob", "pat", "sue", "ken", "gene", "guy", "jean", "jay",
    "nick", "ray", "rob", "sandy", "victor", "drew", "reed", "wade", "dean", "penny", "amber",
    "ruby", "pearl", "ivy", "holly", "heather", "iris", "lily", "daisy", "violet", "hazel",
    "olive", "crystal", "brook", "dale", "cliff", "miles", "rich", "sterling", "hunter",
})
_BEFORE_NOUN = frozenset({
    "the", "a", "an", "my", "your", "his", "her", "our", "their", "its", "this", "that",
    "these", "those", "some", "any", "no", "every", "each",
})
_OBJECT_AFTER = frozenset({
    "my", "your", "the", "a", "an", "his", "her", "our", "their", "its", "it", "them", "this",
    "that", "up", "down", "of", "out", "off",
})
COMMON_WORDS = CASED_ONLY | WORD_NAMES
# Words of a name that do not stand for the person alone: particles and titles.
NOT_ALIASES = frozenset({
    "de", "la", "le", "van", "von", "der", "den", "du", "da", "di", "del", "bin", "al", "el",
    "jr", "sr", "mr", "mrs", "ms", "dr", "prof", "sir", "dame",
})
# fmt: on
MIN_WORD = 2
FOLD_CACHE = 65_536  # folded words kept (the same words recur through a text)
_GAP = re.compile(r"\.?[ \t]+")  # between the words of a name: "Dr. Feather", "J. Smith"


@lru_cache(maxsize=FOLD_CACHE)
def fold(word: str) -> str:
    """A word case-folded and without accents: `García` and `garcia` compare equal."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def person_key(name: str) -> str:
    """The normalised form of a display name that its `CN_` pseudonym derives from."""
    return " ".join(fold(w) for w in _WORD.findall(name))


@dataclass
class People:
    """Who the text may name: participants (-> `CN_…`) and the user (-> `ME`)."""

    participants: set[str] = field(default_factory=set)
    me: set[str] = field(default_factory=set)

    def add(self, names: Iterable[str], *, me: bool = False) -> None:
        """Add display names (empty and whitespace-only names are ignored)."""
        target = self.me if me else self.participants
        target.update(" ".join(n.split()) for n in names if n and n.strip())

    def matcher(self) -> NameMatcher:
        """A matcher for every alias of these people."""
        return NameMatcher(self)


@dataclass(frozen=True)
class _Alias:
    key: str  # the canonical person key the pseudonym derives from, or "" for the user
    kind: str  # name | me
    cased_only: bool
    word_name: bool = False  # also an everyday word: lower case needs a name-like context


class NameMatcher:
    """Finds people's names in text by word n-grams looked up in a dictionary of aliases."""

    def __init__(self, people: People) -> None:
        self._aliases: dict[tuple[str, ...], _Alias] = {}
        self.longest = 1
        owners: dict[tuple[str, ...], set[tuple[str, str]]] = {}
        for names, kind in ((people.participants - people.me, "name"), (people.me, "me")):
            for name in names:
                person = person_key(name)
                if not person:
                    continue
                words = tuple(person.split())
                self._own(owners, words, (kind, person))
                for word in words:
                    if len(word) >= MIN_WORD and word not in NOT_ALIASES:
                        self._own(owners, (word,), (kind, person))
        for words, who in owners.items():
            kinds = {kind for kind, _ in who}
            if len(who) == 1:
                kind, person = next(iter(who))
            else:  # a first name two people share: its own pseudonym, the user's if only theirs
                kind, person = ("me", "") if kinds == {"me"} else ("name", " ".join(words))
            single = words[0] if len(words) == 1 else ""
            self._aliases[words] = _Alias(
                "" if kind == "me" else person, kind, single in CASED_ONLY, single in WORD_NAMES
            )
            self.longest = max(self.longest, len(words))
        self._firsts = frozenset(words[0] for words in self._aliases)

    @staticmethod
    def _own(
        owners: dict[tuple[str, ...], set[tuple[str, str]]],
        words: tuple[str, ...],
        who: tuple[str, str],
    ) -> None:
        owners.setdefault(words, set()).add(who)

    def __len__(self) -> int:
        return len(self._aliases)

    def find(self, text: str) -> Iterator[Finding]:
        """Every name in `text`, longest alias first; a possessive `'s` is left outside."""
        if not self._aliases:
            return
        words = list(_WORD.finditer(text))
        folded = [fold(w.group()) for w in words]
        firsts = self._firsts
        i = 0
        while i < len(words):
            first = folded[i]
            if first not in firsts and first.removesuffix("'s") not in firsts:
                i += 1
                continue
            hit = self._longest_at(text, words, folded, i)
            if hit is None:
                i += 1
                continue
            n, end, alias = hit
            start = words[i].start()
            value = text[start:end]
            yield Finding(start, end, alias.kind, value, alias.key)
            i += n

    def _longest_at(
        self, text: str, words: list[re.Match[str]], folded_words: list[str], i: int
    ) -> tuple[int, int, _Alias] | None:
        for n in range(min(self.longest, len(words) - i), 0, -1):
            if n > 1 and any(
                not _GAP.fullmatch(text[words[j].end() : words[j + 1].start()])
                for j in range(i, i + n - 1)
            ):
                continue
            folded = folded_words[i : i + n]
            end = words[i + n - 1].end()
            alias = self._aliases.get(tuple(folded))
            if alias is None and folded[-1].endswith("'s"):
                folded[-1] = folded[-1][:-2]
                alias = self._aliases.get(tuple(folded))
                end -= 2
            if alias is None:
                continue
            if words[i].group()[0].isupper() or not (
                alias.cased_only or (alias.word_name and _word_use(text, words, i, end))
            ):
                return n, end, alias
        return None


def _word_use(text: str, words: list[re.Match[str]], i: int, end: int) -> bool:
    """True when a lower-case name word reads as an ordinary word where it stands."""
    before = words[i - 1].group().casefold() if i > 0 else ""
    after = words[i + 1].group().casefold() if i + 1 < len(words) else ""
    rest = text[end:].lstrip(" \t")
    return before in _BEFORE_NOUN or after in _OBJECT_AFTER or rest[:1].isdigit()
