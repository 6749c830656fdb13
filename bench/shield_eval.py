"""Policy Shield recall and precision on a generated, labelled development set.

    .venv/bin/python bench/shield_eval.py [--records N] [--seed S] [--misses KIND]
        [--fixture PATH] [--regions US,GB,...] [--write PATH] [--json]

The data: `shield_eval_data.py` fills the templates of `shield_eval_templates.py` (chat
lines `Sender Name: message` and document/e-mail prose in English, German, French, Spanish,
Italian and Dutch) with values from Faker's locale providers: en_US, en_GB, de_DE, fr_FR,
es_ES, it_IT, nl_NL, pl_PL, pt_PT, da_DK, sv_SE and cs_CZ for names, addresses, phone
numbers, IBANs, cards, e-mails, IPs and national ids, plus names from twenty other locales
(Czech, Vietnamese, Hungarian, Turkish, Icelandic ...). Every value is validated like a real
one (phonenumbers, Luhn, IBAN checksum, python-stdnum for national ids) and drawn again when
it fails. Templates also carry what must survive: companies, cities, products, code
identifiers, paths, dates, times, versions, ticket numbers and amounts. It is generated in
memory, deterministically (`--seed`, default 7; same seed and Faker version, same bytes), and
`--write` dumps it as labelled JSONL. It is a development set: the detectors are tuned
against it, so it measures progress, not how they do on text nobody has seen.

The measure uses the production API only: `Shield(people_from(participants, me=me), salt,
regions).scan(text)` per record. A label counts as removed when every letter and digit of it
lies inside some finding, of any kind (the rule of `Shield.coverage`). Recall is per label
kind; precision is per finding kind (`name`/`me` count as person, `address`/`postcode` as
address): a finding is correct when it overlaps any label. F2 weighs recall four times as much
as precision. "Plain words kept" is the share of lower-case words outside any label that no
finding touches. The same figures are printed for the hand-written coverage fixture
(`tests/fixtures/shield/labelled.jsonl`, `--fixture`).

`--misses KIND` prints up to 40 missed labels of a kind with their context and the findings
that covered part of them; `--misses fp:KIND` prints findings of a kind that overlap no label.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from rich.table import Table

from chatx.shield.detectors import DEFAULT_REGIONS, Finding
from chatx.shield.labelled import LabelledRecord, load_labelled
from chatx.shield.service import Shield, people_from
from shield_eval_data import LABEL_KINDS, Stats, generate, to_jsonl
from shield_eval_templates import LOCALES

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "shield" / "labelled.jsonl"
SALT = bytes(range(32))
DEFAULT_RECORDS = 440
DEFAULT_SEED = 7
TARGETS = {"weighted_recall": 0.95, "person_recall": 0.90, "plain_words_kept": 0.97}
MAX_EXAMPLES = 40
CONTEXT = 60
# Finding and fixture kinds under the label kind they count as; any other kind is itself.
KIND_OF = {"name": "person", "me": "person", "postcode": "address"}
_WORD = re.compile(r"\w+")
# The kinds of the production mark syntax are `[a-z]+`: `national_id` needs `_` as well.


def label_kind(kind: str) -> str:
    """The label kind a finding or fixture kind counts as."""
    return KIND_OF.get(kind, kind)


@dataclass
class KindScore:
    """Labels and findings of one kind."""

    labels: int = 0
    removed: int = 0
    findings: int = 0
    correct: int = 0

    @property
    def recall(self) -> float | None:
        return self.removed / self.labels if self.labels else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.findings if self.findings else None

    @property
    def f2(self) -> float | None:
        recall, precision = self.recall, self.precision
        if recall is None or precision is None:
            return None
        return 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0


@dataclass
class Example:
    """A missed label or a false-positive finding, with where it stands."""

    record: str
    kind: str
    text: str
    start: int
    end: int
    note: str = ""


@dataclass
class Result:
    """What one labelled set scored."""

    name: str
    records: int = 0
    characters: int = 0
    seconds: float = 0.0
    kinds: dict[str, KindScore] = field(default_factory=lambda: defaultdict(KindScore))
    by_group: dict[str, dict[str, KindScore]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(KindScore))
    )
    lower_words: int = 0
    lower_kept: int = 0
    capitalised_words: int = 0
    capitalised_kept: int = 0
    misses: list[Example] = field(default_factory=list)
    false_positives: list[Example] = field(default_factory=list)

    def recall_over(self, kinds: Iterable[str]) -> float | None:
        """Recall over all labels of `kinds` together (weighted by their label counts)."""
        labels = sum(self.kinds[k].labels for k in kinds if k in self.kinds)
        removed = sum(self.kinds[k].removed for k in kinds if k in self.kinds)
        return removed / labels if labels else None

    def summary(self) -> dict[str, float | None]:
        """The headline figures."""
        return {
            "weighted_recall": self.recall_over(LABEL_KINDS),
            "person_recall": self.kinds["person"].recall if "person" in self.kinds else None,
            "plain_words_kept": _share(self.lower_kept, self.lower_words),
            "capitalised_words_kept": _share(self.capitalised_kept, self.capitalised_words),
            "records_per_s": self.records / self.seconds if self.seconds else None,
        }

    def to_json(self) -> dict[str, object]:
        """Everything measured, as plain data."""
        return {
            "records": self.records,
            "characters": self.characters,
            "labels": sum(s.labels for s in self.kinds.values()),
            **self.summary(),
            "plain_words": self.lower_words,
            "capitalised_words": self.capitalised_words,
            "kinds": {kind: _score_json(s) for kind, s in sorted(self.kinds.items())},
            "by_locale": {
                group: {kind: _score_json(s) for kind, s in sorted(scores.items())}
                for group, scores in sorted(self.by_group.items())
            },
        }


# --- loading ----------------------------------------------------------------------------------
def load(jsonl: str, source: str) -> tuple[list[LabelledRecord], list[str]]:
    """Labelled records (parsed by `chatx.shield.labelled`) and their locales (`-` when a
    record has none) from JSONL text."""
    records = load_labelled(jsonl, source)
    raws = [json.loads(line) for line in jsonl.splitlines() if line.strip()]
    return records, [str(raw.get("locale", "-")) for raw in raws]


# --- measuring --------------------------------------------------------------------------------
def evaluate(
    name: str,
    records: Sequence[LabelledRecord],
    groups: Sequence[str],
    regions: Sequence[str],
) -> Result:
    """Scan every record with a shield for its own people and score the findings."""
    result = Result(name)
    base = Shield(people_from(), SALT, regions)
    base.scan("warm up: alice@example.com, +44 20 7946 0958, 10.0.0.1")
    shields: dict[tuple[tuple[str, ...], tuple[str, ...]], Shield] = {}
    scanned: list[list[Finding]] = []
    began = time.perf_counter()
    for record in records:
        shield = base
        if record.participants or record.me:
            people = (tuple(record.participants), tuple(record.me))
            if people not in shields:
                shields[people] = Shield(people_from(people[0], me=people[1]), SALT, regions)
            shield = shields[people]
        scanned.append(shield.scan(record.text))
    result.seconds = time.perf_counter() - began
    for record, group, findings in zip(records, groups, scanned, strict=True):
        _score(result, record, group, findings)
    return result


def _score(result: Result, record: LabelledRecord, group: str, findings: list[Finding]) -> None:
    text = record.text
    result.records += 1
    result.characters += len(text)
    covered = [not c.isalnum() for c in text]
    touched = [False] * len(text)
    for f in findings:
        covered[f.start : f.end] = [True] * (f.end - f.start)
        touched[f.start : f.end] = [True] * (f.end - f.start)
    in_label = [False] * len(text)
    for label in record.labels:
        kind = label_kind(label.kind)
        removed = all(covered[label.start : label.end])
        for scores in (result.kinds, result.by_group[group]):
            scores[kind].labels += 1
            scores[kind].removed += removed
        in_label[label.start : label.end] = [True] * (label.end - label.start)
        if not removed:
            partly = [
                f"{f.kind} {f.value!r}"
                for f in findings
                if f.start < label.end and label.start < f.end
            ]
            note = "partly: " + ", ".join(partly) if partly else ""
            result.misses.append(Example(record.id, kind, text, label.start, label.end, note))
    for f in findings:
        kind = label_kind(f.kind)
        correct = any(f.start < lab.end and lab.start < f.end for lab in record.labels)
        for scores in (result.kinds, result.by_group[group]):
            scores[kind].findings += 1
            scores[kind].correct += correct
        if not correct:
            result.false_positives.append(
                Example(record.id, kind, text, f.start, f.end, f"finding kind {f.kind}")
            )
    for m in _WORD.finditer(text):
        word = m.group()
        if not word.isalpha() or any(in_label[m.start() : m.end()]):
            continue
        kept = not any(touched[m.start() : m.end()])
        if word.islower():
            result.lower_words += 1
            result.lower_kept += kept
        elif word[0].isupper() and (len(word) == 1 or word[1:].islower()):
            result.capitalised_words += 1
            result.capitalised_kept += kept


# --- printing ---------------------------------------------------------------------------------
def print_result(console: Console, result: Result, kinds: Sequence[str]) -> None:
    """The per-kind table and the headline figures beside their targets."""
    table = Table(title=result.name, title_justify="left")
    for column in ("kind", "labels", "removed", "recall", "findings", "precision", "F2"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    ordered = [k for k in kinds if k in result.kinds] + sorted(set(result.kinds) - set(kinds))
    for kind in ordered:
        s = result.kinds[kind]
        table.add_row(
            kind,
            str(s.labels),
            str(s.removed),
            _pct(s.recall),
            str(s.findings),
            _pct(s.precision),
            _pct(s.f2),
        )
    console.print(table)
    summary = result.summary()
    rows = (
        ("weighted recall (8 kinds)", "weighted_recall"),
        ("person recall", "person_recall"),
        ("plain words kept", "plain_words_kept"),
    )
    for label, key in rows:
        value, target = summary[key], TARGETS[key]
        verdict = "" if value is None else ("ok" if value >= target else "below")
        console.print(f"  {label:<34} {_pct(value):>7}   target >= {target:.2f} {verdict}")
    console.print(
        f"  {'capitalised words kept (info)':<34} {_pct(summary['capitalised_words_kept']):>7}"
    )
    console.print(
        f"  {'throughput':<34} {summary['records_per_s'] or 0:>7,.0f} records/s "
        f"({result.characters / max(result.seconds, 1e-9) / 1e6:.2f} MB/s, "
        f"{result.records} records, {sum(s.labels for s in result.kinds.values())} labels)"
    )


def print_locales(console: Console, result: Result) -> None:
    """Labels and recall per locale and kind."""
    table = Table(title="generated set: labels / recall by locale", title_justify="left")
    table.add_column("locale")
    for kind in LABEL_KINDS:
        table.add_column(kind, justify="right")
    for group in [code for code, *_ in LOCALES if code in result.by_group]:
        scores = result.by_group[group]
        table.add_row(
            group,
            *(
                f"{scores[k].labels} {_pct(scores[k].recall, 0)}" if scores[k].labels else "-"
                for k in LABEL_KINDS
            ),
        )
    console.print(table)


def print_examples(result: Result, what: str) -> None:
    """Missed labels of a kind (`person`), or false positives of one (`fp:person`)."""
    false_positive = what.startswith("fp:")
    kind = what.removeprefix("fp:")
    pool = result.false_positives if false_positive else result.misses
    chosen = [e for e in pool if e.kind == kind]
    title = "false positives" if false_positive else "missed labels"
    print(f"\n{title} of kind {kind}: {len(chosen)} (showing up to {MAX_EXAMPLES})")
    for e in chosen[:MAX_EXAMPLES]:
        before = e.text[max(0, e.start - CONTEXT) : e.start]
        after = e.text[e.end : e.end + CONTEXT]
        snippet = f"{before}»{e.text[e.start : e.end]}«{after}".replace("\n", "⏎")
        print(f"- {e.record}: {snippet}")
        if e.note:
            print(f"    {e.note}")


def _pct(value: float | None, places: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{places}f}%"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _score_json(score: KindScore) -> dict[str, object]:
    return {
        "labels": score.labels,
        "removed": score.removed,
        "recall": score.recall,
        "findings": score.findings,
        "correct": score.correct,
        "precision": score.precision,
        "f2": score.f2,
    }


def _dataset_json(stats: Stats) -> dict[str, object]:
    by_locale: dict[str, dict[str, int]] = defaultdict(dict)
    for (locale, kind), count in sorted(stats.labels.items()):
        by_locale[locale][kind] = count
    return {"labels_by_locale": by_locale, "redrawn": dict(sorted(stats.rejected.items()))}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--misses", metavar="KIND", help="print missed labels (fp:KIND: findings)")
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument(
        "--regions",
        default=",".join(region for _, _, region, _ in LOCALES),
        help="phone regions of the shield ('default': the daemon's default setting)",
    )
    parser.add_argument("--write", type=Path, metavar="PATH", help="write the generated JSONL")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    regions = (
        list(DEFAULT_REGIONS)
        if args.regions == "default"
        else [r.strip().upper() for r in args.regions.split(",") if r.strip()]
    )

    generated, stats = generate(args.records, args.seed)
    jsonl = to_jsonl(generated)
    if args.write:
        args.write.write_text(jsonl, encoding="utf-8")
    records, locales = load(jsonl, "generated")
    result = evaluate("generated set", records, locales, regions)
    fixture_records, _ = load(args.fixture.read_text(encoding="utf-8"), str(args.fixture))
    fixture = evaluate(
        f"fixture {args.fixture.name}", fixture_records, ["-"] * len(fixture_records), regions
    )

    if args.json:
        print(
            json.dumps(
                {
                    "seed": args.seed,
                    "regions": regions,
                    "targets": TARGETS,
                    "generated": result.to_json(),
                    "dataset": _dataset_json(stats),
                    "fixture": fixture.to_json(),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    console = Console(width=120, highlight=False, markup=False)
    console.print(
        f"shield eval: {args.records} generated records (seed {args.seed}, "
        f"{len(LOCALES)} locales), regions {','.join(regions)}"
    )
    print_result(console, result, LABEL_KINDS)
    print_locales(console, result)
    console.print()
    print_result(console, fixture, LABEL_KINDS)
    if args.misses:
        print_examples(result, args.misses)


if __name__ == "__main__":
    main()
