"""The Policy Shield service: redact text and messages, measure coverage, run preflight.

Preflight redacts, then re-scans the redacted output (with the wider `paranoid` profile when
strict). Anything the re-scan still finds, and any hard-fail content (attachments, sensitivity
labels), blocks: the Problem it raises names kinds and counts, never values.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chatx.models import KindCoverage, Message, RedactionReport
from chatx.problems import ChatxError, ProblemCode
from chatx.shield.detectors import DEFAULT_REGIONS, HARD_FAIL, Finding
from chatx.shield.labelled import LabelledRecord
from chatx.shield.names import People, person_key
from chatx.shield.ner import DEFAULT_NAME_MODEL
from chatx.shield.pseudonyms import TOKEN, Pseudonymizer, RevealMap, load_salt
from chatx.shield.scanner import Scanner

if TYPE_CHECKING:
    from chatx.config import Settings

PERSON_KINDS = frozenset({"name", "me"})
SETTLE_ROUNDS = 3
BATCH = 512  # texts redacted together (the entity model runs over a batch at once)
THRESHOLD = 0.995
STRICT_THRESHOLD = 0.999
# What `Shield.from_settings` reads: a change to any of these rebuilds a `ShieldFactory`'s shield.
SHIELD_SETTINGS = ("names", "me", "regions", "locale", "name_model", "entities")


@dataclass(frozen=True)
class Redaction:
    """A redacted text, the findings it replaced and the token that replaced each."""

    text: str
    findings: list[Finding]
    tokens: list[str]


class Shield:
    """Redaction with deterministic pseudonyms for one set of people and phone regions."""

    def __init__(
        self,
        people: People,
        salt: bytes,
        regions: Sequence[str] = DEFAULT_REGIONS,
        reveal: RevealMap | None = None,
        *,
        names: str | None = DEFAULT_NAME_MODEL,
        entities: Sequence[str] = (),
    ) -> None:
        self.people = people
        self.regions = tuple(regions)
        self.names = names
        self.entities = tuple(entities)
        self.scanner = Scanner(people, self.regions, names=names, entities=entities)
        self._paranoid: Scanner | None = None
        self._quick: Scanner | None = None
        self._salt = salt
        self._pseudonyms = Pseudonymizer(salt)
        self.reveal = reveal

    def __repr__(self) -> str:
        return f"Shield(people={len(self.people.participants)}, regions={self.regions})"

    @classmethod
    def local(
        cls,
        people: People,
        regions: Sequence[str] = DEFAULT_REGIONS,
        folder: Path | None = None,
        *,
        names: str | None = DEFAULT_NAME_MODEL,
        entities: Sequence[str] = (),
    ) -> Shield:
        """A shield with this machine's salt, recording tokens in its local reveal map;
        `names` is the entity model that finds names nobody listed (None: off), `entities`
        the organisation and place kinds it also redacts."""
        return cls(
            people, load_salt(folder), regions, RevealMap(folder), names=names, entities=entities
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, participants: Iterable[str] = (), me: Iterable[str] = ()
    ) -> Shield:
        """This machine's shield as the settings configure it: the people are `participants`
        and `me` plus the names (and the user's own) the settings list; phone regions led by
        the user's locale; the name model and the entity kinds."""
        people = people_from(participants, settings.shield.names, [*settings.shield.me, *me])
        return cls.local(
            people,
            locale_regions(settings.shield.locale, settings.shield.regions),
            names=settings.shield.name_model or None,
            entities=settings.shield.entities,
        )

    def with_people(self, people: People) -> Shield:
        """The same salt and reveal map for another set of people."""
        return Shield(
            people,
            self._salt,
            self.regions,
            self.reveal,
            names=self.names,
            entities=self.entities,
        )

    @property
    def paranoid(self) -> Scanner:
        """The wider scanner a strict preflight re-scans with."""
        if self._paranoid is None:
            self._paranoid = Scanner(
                self.people,
                self.regions,
                paranoid=True,
                names=self.names,
                entities=self.entities,
            )
        return self._paranoid

    @property
    def quick(self) -> Scanner:
        """The editor's scanner for diagnostics: every detector, names nobody listed from the
        lexicon and context rules without the entity model (ADR 0007). Never for redaction."""
        if self._quick is None:
            self._quick = Scanner(self.people, self.regions, names=self.names, entity_model=False)
        return self._quick

    # -- redaction -----------------------------------------------------------
    def scan(self, text: str) -> list[Finding]:
        """The spans of `text` a redaction would replace."""
        return self.scanner.scan(text)

    def quick_scan(self, text: str) -> list[Finding]:
        """The spans of `text` the editor's diagnostics show: `scan` without the entity
        model, so some names nobody listed are missed; what is sent is redacted by `scan`."""
        return self.quick.scan(text)

    def token(self, finding: Finding) -> str:
        """The pseudonym of one finding."""
        return self._pseudonyms.token(finding)

    def redact(self, text: str) -> Redaction:
        """`text` with every finding replaced by its pseudonym (recorded in the reveal map)."""
        return self.redact_many([text])[0]

    def redact_many(self, texts: Sequence[str]) -> list[Redaction]:
        """`redact` of each text; the entity model runs over them in batches."""
        results = [
            self._apply(text, findings)
            for text, findings in zip(texts, self.scanner.scan_many(texts), strict=True)
        ]
        if self.reveal is not None:
            self.reveal.record(
                pair for r in results for pair in zip(r.tokens, r.findings, strict=True)
            )
        return results

    def _apply(self, text: str, findings: list[Finding]) -> Redaction:
        if not findings:
            return Redaction(text, [], [])
        tokens = [self._pseudonyms.token(f) for f in findings]
        parts: list[str] = []
        last = 0
        for finding, token in zip(findings, tokens, strict=True):
            parts.append(text[last : finding.start])
            parts.append(token)
            last = finding.end
        parts.append(text[last:])
        return Redaction("".join(parts), findings, tokens)

    def redact_message(self, message: Message) -> Message:
        """A message with its sender, ids, text, reactions and path redacted; attachments keep
        only their kind and the source's own metadata is dropped."""
        sender = message.sender
        if sender is not None:
            sender = self._redact_name(sender, me=message.is_me)
        return message.model_copy(
            update={
                "sender": sender,
                "sender_id": self._redact_id(message.sender_id),
                "text": self.redact(message.text).text,
                "reactions": [
                    r.model_copy(update={"sender": r.sender and self._redact_name(r.sender)})
                    for r in message.reactions
                ],
                "attachments": [
                    a.model_copy(update={"name": None, "mime": None}) for a in message.attachments
                ],
                "source_ref": message.source_ref.model_copy(
                    update={"path": self.redact(message.source_ref.path).text}
                ),
                "source_meta": {},
            }
        )

    def _redact_name(self, name: str, *, me: bool = False) -> str:
        if me or name in self.people.me:
            return "ME"
        if name in self.people.participants:
            return self._pseudonyms.token(Finding(0, len(name), "name", name, person_key(name)))
        redacted = self.redact(name).text
        if redacted == name and name.strip():  # a sender the people list does not know yet
            return self._pseudonyms.token(Finding(0, len(name), "name", name, person_key(name)))
        return redacted

    def _redact_id(self, value: str | None) -> str | None:
        if not value:
            return value
        redacted = self.redact(value).text
        if redacted == value:
            return self._pseudonyms.token(Finding(0, len(value), "id", value, value))
        return redacted

    # -- local reveal --------------------------------------------------------
    def reveal_token(self, token: str) -> tuple[str, str] | None:
        """`(kind, value)` a pseudonym stands for, from this machine's own records only."""
        if token == "ME":
            return ("me", ", ".join(sorted(self.people.me))) if self.people.me else None
        if token.startswith("CN_"):
            for name in sorted(self.people.participants):
                finding = Finding(0, len(name), "name", name, person_key(name))
                if self._pseudonyms.token(finding) == token:
                    return ("name", name)
        return self.reveal.lookup(token) if self.reveal is not None else None

    def reveal_text(self, text: str) -> str:
        """`text` with every pseudonym this machine knows replaced by what it stands for
        (`ME` stays): for the user's own view of a cloud answer, never for what is sent."""

        def real(match: re.Match[str]) -> str:
            token = match.group(0)
            found = None if token == "ME" else self.reveal_token(token)
            return found[1] if found else token

        return TOKEN.sub(real, text)

    # -- preflight -----------------------------------------------------------
    def preflight(
        self,
        texts: Iterable[str],
        *,
        strict: bool = False,
        source: str | None = None,
        attachments: int = 0,
    ) -> tuple[list[str], RedactionReport]:
        """Redact `texts`, re-scan the output and report; `attachments` counts attached files
        that travel with the texts (they never pass)."""
        tally = _Tally(rescan=self.paranoid if strict else self.scanner)
        tally.hard["attachment"] += attachments
        outputs: list[str] = []
        pending = list(texts)
        for lo in range(0, len(pending), BATCH):
            batch = pending[lo : lo + BATCH]
            results, rescans = self._checked(batch, strict=strict)
            outputs.extend(r.text for r in results)
            tally.add(batch, results, rescans)
        redacted, residual = tally.redacted, tally.residual
        by_kind = {
            kind: _coverage(redacted[kind] + residual[kind], redacted[kind])
            for kind in sorted(set(redacted) | set(residual))
        }
        return outputs, tally.report(source, "rescan", strict, by_kind)

    def _checked(
        self, texts: Sequence[str], *, strict: bool
    ) -> tuple[list[Redaction], list[list[Finding]]]:
        """`texts` redacted and settled, with what the (strict or default) re-scan finds."""
        results, rescans = self._settle(self.redact_many(texts))
        if strict:
            rescans = self.paranoid.scan_many([r.text for r in results])
        return results, rescans

    def _settle(self, results: list[Redaction]) -> tuple[list[Redaction], list[list[Finding]]]:
        """Names are read from their context, and another reading of a redacted text can see
        one the first missed ("CN_… Stumpf"): replace those too, up to `SETTLE_ROUNDS` times.
        The texts with their re-scan findings (texts re-scanned only where something changed)."""
        rescans = self.scanner.scan_many([r.text for r in results])
        pending = list(range(len(results)))
        for _ in range(SETTLE_ROUNDS):
            changed = []
            for index in pending:
                names = [f for f in rescans[index] if f.kind in PERSON_KINDS]
                if names:
                    results[index] = self._extend(results[index], names)
                    changed.append(index)
            if not changed:
                break
            found = self.scanner.scan_many([results[i].text for i in changed])
            for index, rescan in zip(changed, found, strict=True):
                rescans[index] = rescan
            pending = changed
        return results, rescans

    def _extend(self, result: Redaction, names: list[Finding]) -> Redaction:
        """`result` with `names` (found in its redacted text) replaced too."""
        again = self._apply(result.text, names)
        if self.reveal is not None:
            self.reveal.record(zip(again.tokens, again.findings, strict=True))
        return Redaction(again.text, result.findings + again.findings, result.tokens + again.tokens)

    def coverage(
        self, records: Sequence[LabelledRecord], *, strict: bool = False, source: str | None = None
    ) -> RedactionReport:
        """Coverage against labelled spans: a label counts as removed when every letter and
        digit of it lies inside a replaced span. Each record's own people are added."""
        tally = _Tally(rescan=self.scanner)
        expected: Counter[str] = Counter()
        removed: Counter[str] = Counter()
        over = 0
        for record in records:
            shield = self._for_record(record)
            results, rescans = shield._checked([record.text], strict=strict)
            result = results[0]
            tally.rescan = shield.paranoid if strict else shield.scanner
            tally.add([record.text], results, rescans)
            covered = _covered(record.text, result.findings)
            for label in record.labels:
                expected[label.kind] += 1
                if all(covered[i] for i in range(label.start, label.end)):
                    removed[label.kind] += 1
            over += sum(
                not any(f.start < lab.end and lab.start < f.end for lab in record.labels)
                for f in result.findings
            )
        by_kind = {kind: _coverage(expected[kind], removed[kind]) for kind in sorted(expected)}
        return tally.report(source, "labelled", strict, by_kind, over_redacted=over)

    def _for_record(self, record: LabelledRecord) -> Shield:
        if not record.participants and not record.me:
            return self
        people = People(set(self.people.participants), set(self.people.me))
        people.add(record.participants)
        people.add(record.me, me=True)
        return self.with_people(people)


class ShieldFactory:
    """The shield of one set of participants under some settings, built on first use and
    rebuilt when either changes (`SHIELD_SETTINGS`); safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: tuple[tuple[object, ...], Shield] | None = None

    def get(self, settings: Settings, participants: Iterable[str] = ()) -> Shield:
        """`Shield.from_settings(settings, participants)`, reused while neither changes. It
        may read the salt file: call it from a worker thread."""
        names = tuple(participants)
        key = (names, *(getattr(settings.shield, name) for name in SHIELD_SETTINGS))
        with self._lock:
            if self._built is None or self._built[0] != key:
                self._built = (key, Shield.from_settings(settings, names))
            return self._built[1]


def locale_regions(locale: str | None, regions: Sequence[str]) -> list[str]:
    """`regions` with the locale's region first (`de_DE.UTF-8` -> DE); no locale setting
    falls back to `LC_ALL`, then `LANG`."""
    locale = locale or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    match = re.match(r"[a-z]{2,3}[_-]([A-Z]{2})\b", locale)
    first = [match.group(1)] if match else []
    return list(dict.fromkeys([*first, *(r.upper() for r in regions)]))


def people_from(
    participants: Iterable[str] = (), names: Iterable[str] = (), me: Iterable[str] = ()
) -> People:
    """People from chat participants, the names the user configured, and the user's own."""
    people = People()
    people.add(participants)
    people.add(names)
    people.add(me, me=True)
    return people


def require_pass(report: RedactionReport) -> None:
    """Raise POLICY_SHIELD_FAILURE unless the report passed; the detail has kinds and counts."""
    if report.passed:
        return
    reasons = []
    if report.hard_fail:
        reasons.append(f"content that never leaves the machine: {_counts(report.hard_fail)}")
    if report.residual:
        reasons.append(f"still found after redaction: {_counts(report.residual)}")
    reasons.extend(report.unavailable)
    if report.coverage < report.threshold:
        reasons.append(f"coverage {report.coverage:.4f} is below {report.threshold}")
    raise ChatxError.of(
        ProblemCode.POLICY_SHIELD_FAILURE,
        "preflight blocked: " + "; ".join(reasons),
        report.source,
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} x{n}" for kind, n in sorted(counts.items()))


def _hard_fail_tokens(text: str) -> Iterable[str]:
    if "⟦" not in text:
        return ()
    return [m.group(1) for m in TOKEN.finditer(text) if m.group(1) in HARD_FAIL]


def _covered(text: str, findings: Iterable[Finding]) -> list[bool]:
    """Per character: inside a finding, or not a letter or digit (so it needs no removing)."""
    covered = [not c.isalnum() for c in text]
    for finding in findings:
        covered[finding.start : finding.end] = [True] * finding.length
    return covered


def _coverage(expected: int, removed: int) -> KindCoverage:
    return KindCoverage(
        expected=expected, removed=removed, coverage=removed / expected if expected else 1.0
    )


@dataclass
class _Tally:
    """What a preflight or coverage run counted, turned into its report at the end."""

    rescan: Scanner
    redacted: Counter[str] = field(default_factory=Counter)
    residual: Counter[str] = field(default_factory=Counter)
    hard: Counter[str] = field(default_factory=Counter)
    records: int = 0
    characters: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(
        self,
        originals: Sequence[str],
        results: Sequence[Redaction],
        rescans: Sequence[list[Finding]],
    ) -> None:
        """Count redacted texts and what their re-scan still found."""
        self.records += len(originals)
        self.characters += sum(len(text) for text in originals)
        for result, rescan in zip(results, rescans, strict=True):
            self.redacted.update(f.kind for f in result.findings)
            self.residual.update(f.kind for f in rescan)
            self.hard.update(_hard_fail_tokens(result.text))

    def report(
        self,
        source: str | None,
        mode: str,
        strict: bool,
        by_kind: dict[str, KindCoverage],
        over_redacted: int | None = None,
    ) -> RedactionReport:
        """The report; it passes when coverage clears the threshold and nothing is left."""
        expected = sum(k.expected for k in by_kind.values())
        removed = sum(k.removed for k in by_kind.values())
        coverage = removed / expected if expected else 1.0
        threshold = STRICT_THRESHOLD if strict else THRESHOLD
        hard = {k: n for k, n in sorted(self.hard.items()) if n}
        problem = self.rescan.problem
        unavailable = [problem] if problem else []
        return RedactionReport.model_validate(
            {
                "source": source,
                "mode": mode,
                "strict": strict,
                "threshold": threshold,
                "records": self.records,
                "characters": self.characters,
                "redacted": dict(sorted(self.redacted.items())),
                "residual": dict(sorted(self.residual.items())),
                "hard_fail": hard,
                "by_kind": by_kind,
                "coverage": round(coverage, 6),
                "over_redacted": over_redacted,
                "name_model": self.rescan.name_model,
                "unavailable": unavailable,
                "passed": coverage >= threshold
                and not self.residual
                and not hard
                and not unavailable,
                "took_ms": round((time.perf_counter() - self.started) * 1000, 3),
            }
        )
