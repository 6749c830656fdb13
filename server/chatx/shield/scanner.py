"""The scanner: every detector over a text, overlaps resolved, existing pseudonyms skipped."""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterator, Sequence
from functools import cached_property

import phonenumbers

from chatx.shield import detectors as d
from chatx.shield.addresses import addresses
from chatx.shield.detectors import Detector, Finding
from chatx.shield.names import COMMON_WORDS, NameMatcher, People, fold
from chatx.shield.ner import ENTITY_KINDS, Entity
from chatx.shield.persons import lexicon_finder, unlisted_names
from chatx.shield.pseudonyms import TOKEN

# When two findings cover the same characters the longer wins; on a tie, the earlier kind here.
PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        (
            "attachment",
            "label",
            "url",
            "email",
            "secret",
            "card",
            "iban",
            "national_id",
            "phone",
            "ip",
            "address",
            "postcode",
            "me",
            "name",
            "org",
            "place",
        )
    )
}


class Scanner:
    """Finds sensitive spans. `paranoid` widens the net for preflight's re-scan: phone numbers
    that are merely possible, lower entropy bars, and names inside longer words or handles.
    `entity_model=False` is the editor's quick profile: names nobody listed come from the
    lexicon and the context rules only, and organisations and places are not looked for."""

    def __init__(
        self,
        people: People | None = None,
        regions: Sequence[str] = d.DEFAULT_REGIONS,
        *,
        paranoid: bool = False,
        names: str | None = None,
        entities: Collection[str] = (),
        entity_model: bool = True,
    ) -> None:
        self.people = people or People()
        self.names: NameMatcher = self.people.matcher()
        self.paranoid = paranoid
        self.names_model = names
        self.entity_model = entity_model
        # "org", "place": redacted only when asked, and only the entity model finds them
        self.entity_kinds = frozenset(entities) if entity_model else frozenset()
        leniency = phonenumbers.Leniency.POSSIBLE if paranoid else phonenumbers.Leniency.VALID
        self._detectors: tuple[Detector, ...] = (
            d.hard_fail,
            d.urls,
            d.emails,
            d.secret_detector(entropy_bits=4.0 if paranoid else 4.3),
            d.cards,
            d.ibans,
            d.national_ids,
            d.phone_detector(regions, leniency),
            d.ips,
            addresses,
            d.postcodes,
            self.names.find,
        )

    @cached_property
    def _handle_words(self) -> list[tuple[str, str, frozenset[str]]]:
        """`(word, kind, all words of that person)` for names of 4+ letters."""
        out: list[tuple[str, str, frozenset[str]]] = []
        for person in self.people.participants | self.people.me:
            kind = "me" if person in self.people.me else "name"
            words = frozenset(w for w in person.casefold().split() if len(w) >= 4)
            out.extend((word, kind, words) for word in sorted(words - COMMON_WORDS))
        return out

    @property
    def problem(self) -> str | None:
        """Why names nobody listed cannot be found (None: they can, or are not asked for)."""
        if not self.names_model:
            return None
        return (unlisted_names(self.names_model) if self.entity_model else lexicon_finder()).problem

    @property
    def name_model(self) -> str | None:
        """The entity model that finds names nobody listed, when it runs."""
        if not self.names_model or not self.entity_model:
            return None
        return unlisted_names(self.names_model).label

    def scan(self, text: str) -> list[Finding]:
        """Non-overlapping findings in text order; spans inside pseudonym tokens are skipped."""
        return self.scan_many([text])[0]

    def scan_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        """`scan` of each text, with the entity model run over them in batches."""
        extra: list[list[Finding]] = [[] for _ in texts]
        if self.names_model and not self.entity_model:
            quick = lexicon_finder().finder
            if quick is not None:
                extra = [quick.find(text) for text in texts]
            return [self._scan(text, found) for text, found in zip(texts, extra, strict=True)]
        unlisted = unlisted_names(self.names_model) if self.names_model else None
        if unlisted is not None and unlisted.finder is not None and unlisted.model is not None:
            finder = unlisted.finder
            pieces = [
                (i, span)
                for i, text in enumerate(texts)
                for span in ([(0, len(text))] if self.entity_kinds else finder.model_spans(text))
            ]
            found = unlisted.model.entities([texts[i][a:b] for i, (a, b) in pieces])
            entities: list[list[Entity]] = [[] for _ in texts]
            for (i, (a, _)), piece in zip(pieces, found, strict=True):
                entities[i].extend(Entity(a + e.start, a + e.end, e.label) for e in piece)
            extra = [
                finder.find(text, entities[i]) + self._entities(text, entities[i])
                for i, text in enumerate(texts)
            ]
        return [self._scan(text, found) for text, found in zip(texts, extra, strict=True)]

    def _entities(self, text: str, entities: list[Entity]) -> list[Finding]:
        """Organisations and places the model found, for the kinds the settings ask for."""
        out = []
        for entity in entities:
            kind = ENTITY_KINDS.get(entity.label)
            if kind in self.entity_kinds:
                value = text[entity.start : entity.end]
                out.append(Finding(entity.start, entity.end, kind, value, fold(value)))
        return out

    def _scan(self, text: str, unlisted: list[Finding]) -> list[Finding]:
        # Listed people first: on a tie with a name found otherwise, their key wins.
        found = [f for detect in self._detectors for f in detect(text)]
        found.extend(unlisted)
        if self.paranoid:
            found.extend(self._embedded_names(text))
        if not found:
            return []
        # Taken spans never overlap: kept sorted, only the last one starting before a
        # finding's end can overlap it.
        starts: list[int] = []
        ends: list[int] = []
        if "⟦" in text or "CN_" in text:
            for m in TOKEN.finditer(text):
                starts.append(m.start())
                ends.append(m.end())
        chosen: list[Finding] = []
        for finding in sorted(found, key=lambda f: (-f.length, PRIORITY[f.kind], f.start)):
            if finding.length <= 0:
                continue
            at = bisect.bisect_left(starts, finding.end)
            if at and ends[at - 1] > finding.start:
                continue
            chosen.append(finding)
            starts.insert(at, finding.start)
            ends.insert(at, finding.end)
        return sorted(chosen)

    def _embedded_names(self, text: str) -> Iterator[Finding]:
        """Names of four or more letters inside handles and run-together words (`@alice_j`,
        `alicejohnson`), but not inside other words (`Priyanka` does not contain `Priya`)."""
        folded = text.casefold()
        if len(folded) != len(text):
            return  # case folding changed offsets (e.g. ß): the word-based match stands
        for word, kind, words in self._handle_words:
            start = folded.find(word)
            while start >= 0:
                end = start + len(word)
                if _in_handle(folded, start, end, words):
                    key = "" if kind == "me" else word
                    yield Finding(start, end, kind, text[start:end], key)
                start = folded.find(word, end)


def _in_handle(folded: str, start: int, end: int, words: frozenset[str]) -> bool:
    """True unless the name sits inside a plain word whose other letters are not a name."""
    lo, hi = start, end
    while lo > 0 and folded[lo - 1].isalpha():
        lo -= 1
    while hi < len(folded) and folded[hi].isalpha():
        hi += 1
    rest = folded[lo:start] + folded[end:hi]
    token_edge = (lo == 0 or not _HANDLE_CHAR.match(folded[lo - 1])) and (
        hi == len(folded) or not _HANDLE_CHAR.match(folded[hi])
    )
    return not token_edge or len(rest) <= 1 or rest in words or any(w in rest for w in words)


_HANDLE_CHAR = re.compile(r"[\w@.+-]")
