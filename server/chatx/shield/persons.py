"""People nobody listed: names found by a names lexicon, context and an entity model.

Each word of a text gets a verdict from the evidence around it, strongest first:
- context only a name fits: an honorific (`Dr`, `Herr`, `Mme`), a greeting or a sign-off
  (`Hi Klaus,`, `— Mia`), a chat sender (`Klaus Petersen: ...`), or a verb that takes a person
  in chat (`ask pamela`, `met Djevad`);
- the lexicon (`lexicon.py`): a capitalised first name or surname that is not also an everyday
  word, and a lower-case one only in a name's context;
- the entity model (`ner.py`) calling a span PERSON, for capitalised words the lexicon does
  not know (it reads only the sentences that have one);
- the company a name keeps: the capitalised words next to a name (`Klaus Petersen`, `Djevad
  Šušulić`), particles inside it (`Anna van Bergen`) and the other members of a list with a
  name in it (`Kateřina, James and Emily`).
Organisations are kept out: capitalised words before a legal form (`Clarke Ltd`) or after an
article (`the Keller, Berry and Richardson booking`) are no person.

Adjacent name words join into one person; a single word that is part of a full name found in
the same text gets that person's key, so "Anna" and "Anna Schmidt" share one pseudonym.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from chatx.shield.detectors import Finding
from chatx.shield.lexicon import NO_RANK, Lexicon, load_lexicon
from chatx.shield.name_words import (
    DETERMINERS,
    GREETINGS,
    HONORIFICS,
    LEGAL_FORMS,
    NEVER,
    OBJECT_VERBS,
    PARTICLES,
    PERSON_VERBS,
    SIGN_OFFS,
)
from chatx.shield.names import fold, person_key
from chatx.shield.ner import (
    DEFAULT_NAME_MODEL,
    PERSON,
    Entity,
    NameModel,
    NameModelError,
    name_model,
)
from chatx.shield.pseudonyms import TOKEN

FIRST_RANK = 2500  # a first name less popular than this counts only with more evidence
LAST_RANK = 3000
STRONG_RANK = 200  # so popular a name that it outweighs a word's frequency
TOP_RANK = 50  # among a country's top first names: a name even at a sentence start
EVERYDAY_ZIPF = 4.0  # at least this frequent as a word (some language): an everyday word
ENGLISH_EVERYDAY_ZIPF = 5.3
COMMON_WORD_ZIPF = 5.3  # this frequent in some language: a word unless a top first name
STRICT_MAX_ZIPF = 4.8  # less frequent than this as a word: a name even at a sentence start
LOWER_RANK = 1000  # a lower-case word in a name's context must be a name this popular
LOWER_MAX_ZIPF = 4.9
MAX_NAME_WORDS = 4
LIST_SEPARATORS = frozenset({",", "and", "&", "und", "et", "y", "e", "en", "i", "og", "och", "a"})
SIGNATURE_DASHES = ("—", "–", "-", "--", "~")

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*")
_CAPITALISED = re.compile(r"(?<![\w'’-])[^\W\d_a-z][^\W\d_]+")
_CODE = re.compile(r"[a-z][A-Z]|[_/\\@#$<>=(){}\[\]0-9]|\.[a-z]")
_BEFORE_STRIP = " \t\"'“‘(*_>"
BEFORE_WINDOW = 8  # characters before a word read to tell a sentence start (grown as needed)


@dataclass(slots=True)
class _Word:
    start: int
    end: int
    text: str
    folded: str
    capital: bool  # starts with an upper-case letter
    # Begins a sentence; only read for capitalised words (False for the others: no rule
    # treats a lower-case word differently at a sentence start, so it is not worked out).
    sentence_start: bool
    name: bool = False
    strong: bool = False  # named by context or the model, not only by the lexicon
    entity: bool = False  # part of an organisation's name ("Clarke Ltd")
    token: bool = False  # a pseudonym standing for a name already replaced

    @property
    def acronym(self) -> bool:
        return len(self.text) > 1 and self.text.isupper()

    @property
    def never(self) -> bool:
        """Never a person on its own: weekdays, greetings, titles, particles, legal forms."""
        f = self.folded
        return (
            f in NEVER
            or f in GREETINGS
            or f in SIGN_OFFS
            or f.rstrip(".") in HONORIFICS
            or f in PARTICLES
            or f in LEGAL_FORMS
        )

    def mark(self, *, strong: bool = False) -> None:
        self.name = True
        self.strong = self.strong or strong


class PersonFinder:
    """Finds the names of people nobody listed; the entity model's output comes in."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def model_spans(self, text: str) -> list[tuple[int, int]]:
        """The sentences the entity model should read: those with a capitalised word inside
        them that the lexicon does not know. Elsewhere the lexicon and the context decide."""
        spans: list[tuple[int, int]] = []
        for m in _CAPITALISED.finditer(text):
            word, start = m.group(), m.start()
            if spans and start < spans[-1][1]:
                continue
            before = text[max(0, start - 16) : start].rstrip(" \t")
            if not before or not (before[-1].isalnum() or before[-1] in ",'’)\""):
                continue  # a sentence start
            folded = fold(word)
            if word.isupper() or folded in NEVER or _code_like(word):
                continue
            if self.lexicon.get(folded) is None:
                spans.append(_sentence(text, start))
        return spans

    def find(self, text: str, entities: Sequence[Entity] = ()) -> list[Finding]:
        """The person names of `text`, given the entity model's output for it."""
        words = _words(text)
        if not words:
            return []
        self._context(text, words)
        self._senders(text, words)
        self._signatures(text, words)
        self._model(text, words, entities)
        self._lexicon(text, words)
        self._organisations(text, words)
        self._company(text, words)
        self._lists(text, words)
        self._organisations(text, words)
        return _findings(text, words)

    # -- what the lexicon says ------------------------------------------------------------
    def _named(self, w: _Word, *, strict: bool = False) -> bool:
        """A capitalised word the lexicon calls a name; `strict` at a sentence start."""
        entry = self.lexicon.get(w.folded)
        if entry is None or w.never or len(w.folded) < 2 or w.acronym:
            return False
        rank = min(entry.first_rank, entry.last_rank)
        if rank == NO_RANK or (w.entity and rank > STRONG_RANK):
            return False
        popular = entry.first_rank <= FIRST_RANK or entry.last_rank <= LAST_RANK
        everyday = (
            entry.zipf_en >= ENGLISH_EVERYDAY_ZIPF
            or (entry.zipf_max >= EVERYDAY_ZIPF and rank > STRONG_RANK)
            or (entry.zipf_max >= COMMON_WORD_ZIPF and entry.first_rank > TOP_RANK)
        )
        if not strict:
            return popular and not everyday
        rare_word = entry.zipf_max < STRICT_MAX_ZIPF or entry.first_rank <= TOP_RANK
        return popular and not everyday and not w.entity and rare_word

    def _lower_name(self, w: _Word) -> bool:
        """A lower-case word that is a popular first name and seldom a word ("pamela")."""
        entry = self.lexicon.get(w.folded)
        if entry is None or w.never or len(w.folded) < 3:
            return False
        return entry.first_rank <= LOWER_RANK and entry.zipf_max < LOWER_MAX_ZIPF

    def _unknown_or_named(self, w: _Word) -> bool:
        """A capitalised word the lexicon does not know, or knows as a name."""
        if w.never or w.entity or w.acronym:
            return False
        return self.lexicon.get(w.folded) is None or self._named(w)

    # -- evidence -------------------------------------------------------------------------
    def _context(self, text: str, words: list[_Word]) -> None:
        """After an honorific, a greeting, or a verb that takes a person."""
        for prev, w in pairwise(words):
            gap = text[prev.end : w.start]
            if prev.capital and prev.folded.rstrip(".") in HONORIFICS:
                if w.capital and not w.never and _gap_ok(gap, dots=True):
                    w.mark(strong=True)
            elif prev.folded in GREETINGS and _gap_ok(gap):
                namelike = (w.capital and not w.never) or self._lower_name(w)
                if namelike and _ends_clause(text, w, words):
                    w.mark(strong=True)
            elif (
                prev.folded in PERSON_VERBS
                and _gap_ok(gap)
                and (
                    (not w.capital and self._lower_name(w))
                    or (w.capital and prev.folded in OBJECT_VERBS and self._unknown_or_named(w))
                )
            ):
                w.mark()

    def _senders(self, text: str, words: list[_Word]) -> None:
        """`Klaus Petersen: ...` at the start of a line: a chat sender."""
        for i, w in enumerate(words):
            if not w.capital or text[_line_start(text, w.start) : w.start].strip():
                continue
            for j in range(i, min(len(words), i + MAX_NAME_WORDS)):
                if not words[j].capital:
                    break
                after = text[words[j].end : words[j].end + 3]
                if after.startswith(":") and not after.startswith("://"):
                    run = words[i : j + 1]
                    if j > i or any(x.name or self._named(x) for x in run):
                        for x in run:
                            x.mark(strong=True)
                    break
                if j + 1 < len(words) and not _gap_ok(text[words[j].end : words[j + 1].start]):
                    break

    def _signatures(self, text: str, words: list[_Word]) -> None:
        """`— Mia`, and a name alone on the line after `Cheers,` or `Best regards,`."""
        for i, w in enumerate(words):
            if not w.capital:
                continue
            before = text[_line_start(text, w.start) : w.start].strip()
            if before and before not in SIGNATURE_DASHES:
                continue
            after_sign_off = i > 0 and words[i - 1].folded in SIGN_OFFS and not before
            if before in SIGNATURE_DASHES or after_sign_off:
                end = _line_end(text, w.start)
                run = []
                for x in words[i:]:  # in text order: the words up to the line's end
                    if x.start >= end:
                        break
                    run.append(x)
                if 1 <= len(run) < MAX_NAME_WORDS and all(x.capital for x in run):
                    for x in run:
                        x.mark(strong=True)

    def _model(self, text: str, words: list[_Word], entities: Sequence[Entity]) -> None:
        """PERSON spans add the capitalised words the lexicon does not know; the model does
        not overrule the lexicon on everyday words ("Will", "Bank")."""
        starts = [w.start for w in words]
        for entity in entities:
            if entity.label != PERSON or _code_like(text[entity.start : entity.end]):
                continue
            for w in words[bisect.bisect_left(starts, entity.start) :]:
                if w.start >= entity.end:
                    break
                if (
                    w.end <= entity.end
                    and w.capital
                    and not w.never
                    and not w.acronym
                    and (self.lexicon.get(w.folded) is None or self._named(w))
                ):
                    w.mark(strong=True)

    def _lexicon(self, text: str, words: list[_Word]) -> None:
        """Capitalised lexicon names; at a sentence start only names that are seldom words,
        or a name followed by a capitalised surname."""
        for w in words:
            if not w.name and w.capital and not w.sentence_start and self._named(w):
                w.mark()
        for w, nxt in zip(words, [*words[1:], None], strict=True):
            if w.name or not w.capital or not w.sentence_start:
                continue
            followed = (
                nxt is not None
                and nxt.capital
                and _gap_ok(text[w.end : nxt.start])
                and (nxt.name or self._named(nxt))
            )
            if self._named(w, strict=True) or (followed and self._named(w)):
                w.mark()

    def _organisations(self, text: str, words: list[_Word]) -> None:
        """Capitalised runs before a legal form ("Clarke Ltd", "Hardy SARL") or after an
        article ("the Keller, Berry and Richardson booking", "a rare Hyacinth Macaw")."""
        for i, w in enumerate(words):
            if w.capital and w.folded.replace(".", "") in LEGAL_FORMS:
                j = i - 1
                while j >= 0 and (words[j].capital or words[j].folded in LIST_SEPARATORS):
                    _not_a_person(words[j])
                    j -= 1
            elif w.folded in DETERMINERS and i + 1 < len(words):
                j = i + 1
                if (
                    j + 1 < len(words)
                    and not words[j].capital
                    and words[j + 1].capital
                    and not words[j + 1].sentence_start
                ):
                    j += 1  # one adjective between
                elif w.folded != "the" or words[j].sentence_start:
                    continue  # "a"/"an" only before an adjective: "a rare Hyacinth Macaw"
                while j < len(words) and words[j].capital and not words[j].strong:
                    _not_a_person(words[j])
                    j += 1
                    while j < len(words) and not words[j].capital and _separated(text, words, j):
                        j += 1

    def _company(self, text: str, words: list[_Word]) -> None:
        """Capitalised neighbours of a name, and particles between two name words."""
        changed = True
        while changed:
            changed = False
            for i, w in enumerate(words):
                if not w.name:
                    continue
                for j in (i - 1, i + 1):
                    if 0 <= j < len(words) and not words[j].name:
                        changed |= self._neighbour(text, words, i, j)

    def _neighbour(self, text: str, words: list[_Word], i: int, j: int) -> bool:
        other = words[j]
        left, right = (other, words[i]) if j < i else (words[i], other)
        if not _gap_ok(text[left.end : right.start], dots=True):
            return False
        if (
            other.capital
            and not other.never
            and not other.entity
            and not _code_like(other.text)
            and (self._named(other) or (not other.sentence_start and self._unknown_or_named(other)))
        ):
            other.mark()
            return True
        step = j - i
        k = j
        while 0 <= k < len(words) and words[k].folded in PARTICLES and abs(k - j) < 2:
            k += step  # "van der", "de la"
        if k != j and 0 <= k < len(words):
            beyond = words[k]
            inside = words[min(j, k) : max(j, k) + 1]
            gaps = pairwise(inside)
            if (
                beyond.capital
                and not beyond.entity
                and all(_gap_ok(text[a.end : b.start]) for a, b in gaps)
            ):
                for x in inside:
                    x.mark()
                return True
        return False

    def _lists(self, text: str, words: list[_Word]) -> None:
        """The members of a list with a name in it: "Kateřina, James and Emily"."""
        for i, w in enumerate(words):
            if not w.name:
                continue
            for step in (-1, 1):
                j = i + step
                while 0 <= j < len(words):
                    a, b = sorted((words[j - step], words[j]), key=lambda x: x.start)
                    if text[a.end : b.start].strip().casefold() not in LIST_SEPARATORS:
                        break
                    other = words[j]
                    if not other.name and (
                        (other.capital and not other.never and self._unknown_or_named(other))
                        or (not other.capital and self._lower_name(other))
                    ):
                        other.mark()
                    if not other.name:
                        break
                    j += step


@dataclass(frozen=True)
class Unlisted:
    """The finder of names nobody listed with its model, or why it cannot run."""

    finder: PersonFinder | None
    model: NameModel | None
    problem: str | None = None

    @property
    def label(self) -> str | None:
        """What finds the names, for reports."""
        return self.model.name if self.model else None


_LOAD_LOCK = threading.Lock()


def unlisted_names(package: str = DEFAULT_NAME_MODEL) -> Unlisted:
    """The process's finder with the entity model of `package` and the lexicon, loaded once
    (concurrent callers wait for that one load)."""
    with _LOAD_LOCK:
        return _unlisted_names(package)


def lexicon_finder() -> Unlisted:
    """The process's finder without the entity model: the lexicon and the context rules only
    (the editor's quick scan). Its `model` is None; `problem` says why it cannot run."""
    with _LOAD_LOCK:
        return _lexicon_finder()


@cache
def _lexicon_finder() -> Unlisted:
    try:
        lexicon = load_lexicon()
    except (OSError, ValueError, ImportError) as exc:
        return Unlisted(None, None, f"the names lexicon cannot load: {exc}")
    return Unlisted(PersonFinder(lexicon), None)


@cache
def _unlisted_names(package: str) -> Unlisted:
    try:
        model = name_model(package)
        lexicon = load_lexicon()
    except NameModelError as exc:
        return Unlisted(None, None, str(exc))
    except (OSError, ValueError, ImportError) as exc:
        return Unlisted(None, None, f"the names lexicon cannot load: {exc}")
    return Unlisted(PersonFinder(lexicon), model)


def _words(text: str) -> list[_Word]:
    """The words of `text`; a pseudonym already in it (`CN_…`, `⟦TKN:…⟧`) stands as one word
    that is a name, so its neighbours read as they did next to the name it replaced."""
    tokens = (
        [(m.start(), m.end()) for m in TOKEN.finditer(text)] if "_" in text or "⟦" in text else []
    )
    out: list[_Word] = []
    append = out.append
    ahead = 0  # tokens before this one end before the current word (both are in text order)
    for m in _WORD.finditer(text):
        start, end = m.span()
        if tokens:
            while ahead < len(tokens) and tokens[ahead][1] <= start:
                ahead += 1
            if ahead < len(tokens) and tokens[ahead][0] <= start:
                a, b = tokens[ahead]
                if not out or out[-1].start != a:
                    out.append(_Word(a, b, text[a:b], "", True, False, True, True, token=True))
                continue
        word = m.group()
        if "'" in word or "’" in word:  # most words have no apostrophe: skip both tests
            if len(word) > 3 and word[1] in "'’" and word[0] in "lLdD":
                word, start = word[2:], start + 2  # French elision: "L'adresse"
            if word.endswith(("'s", "’s")) and len(word) > 2:
                word, end = word[:-2], end - 2
        folded = word.lower() if word.isascii() else fold(word)  # `fold`, inlined for ASCII
        capital = word[0].isupper()
        append(_Word(start, end, word, folded, capital, capital and _sentence_start(text, start)))
    return out


def _sentence_start(text: str, start: int) -> bool:
    """True when the word at `start` begins a sentence: nothing but blanks, quotes and
    brackets since the text's start or a sentence's end."""
    before = text[start - BEFORE_WINDOW if start > BEFORE_WINDOW else 0 : start].rstrip(
        _BEFORE_STRIP
    )
    if len(before) < 2:  # near the start, or after many blanks: look further back
        before = _before(text, start)
    return not before or before[-1] in ".!?:\n;•…" or before.endswith("- ")


def _before(text: str, start: int) -> str:
    """The end of `text[:start]` without trailing blanks, quotes and brackets (at least its
    last two characters when there are that many): what tells a sentence start."""
    window = BEFORE_WINDOW
    while True:
        lo = max(0, start - window)
        before = text[lo:start].rstrip(_BEFORE_STRIP)
        if lo == 0 or len(before) >= 2:
            return before
        window *= 4


def _not_a_person(w: _Word) -> None:
    w.entity = True
    if not w.strong:
        w.name = False


def _separated(text: str, words: list[_Word], j: int) -> bool:
    """`words[j]` joins a list: "and", "&", or it follows a comma."""
    return words[j].folded in ("and", "&") or text[words[j - 1].end : words[j].start].strip() == ","


def _sentence(text: str, position: int) -> tuple[int, int]:
    """The sentence (or line) around `position`."""
    start = max(text.rfind(". ", 0, position) + 2, _line_start(text, position))
    ends = [i for i in (text.find(". ", position), text.find("\n", position)) if i >= 0]
    return start, min(ends) + 1 if ends else len(text)


def _line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _gap_ok(gap: str, *, dots: bool = False) -> bool:
    """The gap between two words of one name: spaces, or `. ` after an initial or title."""
    stripped = gap.strip(" \t")
    return bool(gap) and "\n" not in gap and (stripped == "" or (dots and stripped == "."))


def _ends_clause(text: str, w: _Word, words: list[_Word]) -> bool:
    """After a greeting, a name is followed by punctuation, the line's end, or another
    capitalised word ("Hi Klaus,", "Hey Anna Schmidt")."""
    rest = text[w.end : w.end + 2]
    if not rest or rest[0] in ",!.:;\n)—–-":
        return True
    following = [x for x in words if x.start >= w.end][:1]
    return rest[0] == " " and (
        (bool(following) and following[0].capital) or rest[1:2] in ("", "\n", "-", "—")
    )


def _code_like(text: str) -> bool:
    return _CODE.search(text) is not None


def _findings(text: str, words: list[_Word]) -> list[Finding]:
    """Runs of adjacent name words, each one person; a lone first name or surname of a full
    name in the same text takes that person's key."""
    runs: list[list[_Word]] = []
    for prev, w in zip([None, *words], words, strict=False):
        if not w.name or w.token:
            continue
        joined = (
            runs
            and prev is runs[-1][-1]
            and _gap_ok(text[prev.end : w.start], dots=True)
            and len(runs[-1]) < MAX_NAME_WORDS
        )
        if joined:
            runs[-1].append(w)
        else:
            runs.append([w])
    keys = [person_key(" ".join(w.text for w in run if w.folded not in PARTICLES)) for run in runs]
    full: dict[str, str] = {}
    for key in keys:
        parts = key.split()
        if len(parts) > 1:
            full.setdefault(parts[0], key)
            full.setdefault(parts[-1], key)
    out = []
    for run, key in zip(runs, keys, strict=True):
        if key:
            start, end = run[0].start, run[-1].end
            out.append(Finding(start, end, "name", text[start:end], full.get(key, key)))
    return out
