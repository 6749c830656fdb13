"""How a question's candidates become its citations (ADR 0016).

The store's hybrid search ranks chunks by their words and meaning. A question then asks more:
its subject (a participant it names) should be the one speaking, its words should meet in one
turn rather than across a window, a date it pins should match the message times, and windows
that overlap should be one citation, not two slots holding the same turns. Pure: the caller
passes the search to run.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from chatx.index.store import RRF_K, Filters, Hit
from chatx.index.terms import first_name

CANDIDATES = 30  # fused hits re-ranked; more only add far-down windows
TURN_WEIGHT = 0.5  # the best-turn ranking against the store's words ranking (1.0)
PERIOD_WEIGHT = 1.0  # the ranking of hits inside a date the question pins
OTHER_SPEAKER = 0.5  # a turn by someone other than the question's subject counts this much
MAX_CITATION_LINES = 8  # overlapping windows merge into one citation up to this many lines

# The frame of a question: they say what is asked, not about what.
_FRAME = """
what when where who whom whose which why how did does do done doing has have had having is are
was were be been being am would could should shall will can may might must likely kind sort type
many much ever the and but for with from into about that this these those any some her his hers
him she he they them their theirs its you your yours our ours
"""
QUESTION_WORDS = frozenset(_FRAME.split())
_WORD = re.compile(r"\w+")
_MONTHS = {name.casefold(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.casefold(): n for n, name in enumerate(calendar.month_abbr) if name}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s*((?:19|20)\d\d))?"
_DAY_MONTH = re.compile(rf"(?i)\b{_DAY}\s+(?:of\s+)?({_MONTH})\b\.?{_YEAR}")
_MONTH_DAY = re.compile(rf"(?i)\b({_MONTH})\.?\s+{_DAY}\b{_YEAR}")
_IN_MONTH = re.compile(rf"(?i)\b(?:in|during|of|this|last)\s+({_MONTH})\b\.?{_YEAR}")
_IN_YEAR = re.compile(r"(?i)\b(?:in|during)\s+((?:19|20)\d\d)\b")


@dataclass(frozen=True)
class Period:
    """A date a question pins: a year, a month (of any year when `year` is None) or a day."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    def holds(self, when: date) -> bool:
        """Whether `when` falls in the period."""
        return (
            (self.year is None or when.year == self.year)
            and (self.month is None or when.month == self.month)
            and (self.day is None or when.day == self.day)
        )

    def bounds(self) -> tuple[date, date] | None:
        """First and last day, when the period has a year (a month alone recurs)."""
        if self.year is None:
            return None
        if self.month is None:
            return date(self.year, 1, 1), date(self.year, 12, 31)
        last = calendar.monthrange(self.year, self.month)[1]
        first_day, last_day = (self.day, self.day) if self.day else (1, last)
        return date(self.year, self.month, first_day), date(self.year, self.month, last_day)


def period_of(question: str) -> Period | None:
    """The date `question` pins ("on 13 October, 2023", "in June", "in 2023"), if any."""
    for pattern, day_first in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        if found := pattern.search(question):
            day, month = (found[1], found[2]) if day_first else (found[2], found[1])
            if 1 <= int(day) <= 31:
                year = int(found[3]) if found[3] else None
                return Period(year, _MONTHS[month.casefold()], int(day))
    if found := _IN_MONTH.search(question):
        return Period(int(found[2]) if found[2] else None, _MONTHS[found[1].casefold()])
    if found := _IN_YEAR.search(question):
        return Period(int(found[1]))
    return None


def pinned_filters(period: Period | None, filters: Filters) -> Filters | None:
    """`filters` narrowed to the period's days, when it has a year and they leave any."""
    bounds = period.bounds() if period else None
    if bounds is None:
        return None
    since = max(bounds[0], filters.since) if filters.since else bounds[0]
    until = min(bounds[1], filters.until) if filters.until else bounds[1]
    return replace(filters, since=since, until=until) if since <= until else None


def answer_hits(
    question: str, search: Callable[[Filters, int], list[Hit]], filters: Filters, k: int
) -> list[Hit]:
    """The top-`k` hits for `question`: `search(filters, n)` is the store's hybrid search."""
    hits = search(filters, max(CANDIDATES, 3 * k))
    period = period_of(question)
    if (pinned := pinned_filters(period, filters)) is not None:
        seen = {hit.chunk_id for hit in hits}
        hits += [hit for hit in search(pinned, k) if hit.chunk_id not in seen]
    return cite(rescored(question, hits, period), k)


def rescored(question: str, hits: list[Hit], period: Period | None) -> list[Hit]:
    """`hits` ordered by their fused score plus two rankings: by the best single turn's match
    to the question's words (its subject's turns first), and inside the pinned period."""
    scores = {hit.chunk_id: hit.score for hit in hits}
    by_turn = turn_scores(question, hits)
    ranked = sorted(
        (h for h in hits if by_turn[h.chunk_id] > 0), key=lambda h: -by_turn[h.chunk_id]
    )
    _add_ranking(scores, ranked, TURN_WEIGHT)
    if period is not None:
        inside = [hit for hit in hits if any(period.holds(d) for d in _days(hit))]
        _add_ranking(scores, inside, PERIOD_WEIGHT)
    ordered = sorted(hits, key=lambda hit: (-scores[hit.chunk_id], hit.chunk_id))
    return [replace(hit, score=scores[hit.chunk_id]) for hit in ordered]


def _add_ranking(scores: dict[str, float], ranked: Iterable[Hit], weight: float) -> None:
    for rank, hit in enumerate(ranked, start=1):
        scores[hit.chunk_id] += weight / (RRF_K + rank)


def turn_scores(question: str, hits: list[Hit]) -> dict[str, float]:
    """Each hit's best turn: the rarity-weighted question words it holds (rarity among the
    candidates' turns); a turn not by the question's subject counts `OTHER_SPEAKER`."""
    names = participant_names(hits)
    said = [name for word in _WORD.findall(question) if (name := names.get(word.casefold()))]
    subject = said[0] if said else None
    wanted = words(question) - QUESTION_WORDS - set(names)
    turns = {hit.chunk_id: [(s, words(t) & wanted) for s, t in turns_of(hit)] for hit in hits}
    counts = Counter(word for found in turns.values() for _, held in found for word in held)
    total = sum(len(found) for found in turns.values())
    rarity = {word: math.log(1 + total / n) for word, n in counts.items()}
    return {
        chunk_id: max(
            (
                sum(rarity[w] for w in held) * (1.0 if subject in (None, sender) else OTHER_SPEAKER)
                for sender, held in found
            ),
            default=0.0,
        )
        for chunk_id, found in turns.items()
    }


def participant_names(hits: list[Hit]) -> dict[str, str]:
    """The candidates' participants by their casefolded name and first name."""
    names: dict[str, str] = {}
    for hit in hits:
        for person in hit.participants:
            names[person.casefold()] = person
            if first := first_name(person):
                names.setdefault(first.casefold(), person)
    return names


def words(text: str) -> set[str]:
    """The casefolded words of `text` longer than two characters."""
    return {word.casefold() for word in _WORD.findall(text) if len(word) > 2}


def turns_of(hit: Hit) -> list[tuple[str | None, str]]:
    """`(sender, text)` of each turn of a chat chunk (`sender: text` lines, chunking.turn_line);
    a doc chunk is one turn with no sender."""
    if hit.kind != "chat":
        return [(None, hit.text)]
    senders = {*hit.participants, "system"}
    turns: list[tuple[str | None, str]] = []
    for line in hit.text.splitlines():
        sender, colon, text = line.partition(": ")
        if colon and sender in senders:
            turns.append((sender, text))
        elif turns:  # a message of several lines
            turns[-1] = (turns[-1][0], f"{turns[-1][1]}\n{line}")
        else:
            turns.append((None, line))
    return turns


def _days(hit: Hit) -> list[date]:
    return [
        datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        for value in (hit.date_start, hit.date_end)
        if value
    ]


def cite(hits: list[Hit], k: int) -> list[Hit]:
    """The first `k` citations of `hits`, best first. A chat window that shares turns with a
    better one joins it (its line range grows to cover both) while the two span at most
    `MAX_CITATION_LINES` lines; past that it stays a citation of its own."""
    kept: list[Hit] = []
    for hit in hits:
        twin = next((c for c in kept if _shares_turns(c, hit)), None)
        if twin is not None and _span(twin, hit) <= MAX_CITATION_LINES:
            kept[kept.index(twin)] = joined(twin, hit)
        else:
            kept.append(hit)
    return kept[:k]


def _shares_turns(a: Hit, b: Hit) -> bool:
    return (
        a.source == b.source and a.anchor == b.anchor and not set(a.msg_ids).isdisjoint(b.msg_ids)
    )


def _span(a: Hit, b: Hit) -> int:
    return max(a.line_end, b.line_end) - min(a.line_start, b.line_start) + 1


def joined(best: Hit, other: Hit) -> Hit:
    """`best` grown to cover `other`'s turns too (its id and score stay)."""
    before = other.line_start < best.line_start
    mine = best.text.splitlines()
    extra = [line for line in other.text.splitlines() if line not in mine]
    first, last = (other, best) if before else (best, other)
    ids = [*first.msg_ids, *(i for i in last.msg_ids if i not in first.msg_ids)]
    return replace(
        best,
        text="\n".join([*extra, *mine] if before else [*mine, *extra]),
        line_start=min(best.line_start, other.line_start),
        line_end=max(best.line_end, other.line_end),
        msg_ids=ids,
        date_start=min(filter(None, (best.date_start, other.date_start)), default=None),
        date_end=max(filter(None, (best.date_end, other.date_end)), default=None),
        participants=sorted({*best.participants, *other.participants}),
    )
