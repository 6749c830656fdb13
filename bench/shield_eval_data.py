"""The generator of the Policy Shield evaluation set: templates filled with Faker values.

`generate(records, seed)` returns labelled JSONL records (the format of
`tests/fixtures/shield/labelled.jsonl`: `text` with inline `[[kind:value]]` marks, `source`,
optional `participants`/`me`, plus `id` and `locale`). Each record draws a locale from
`shield_eval_templates.LOCALES`; names, addresses, phone numbers, IBANs, e-mails and ids
come from that locale's Faker providers, and the templates from its language (English for
the locales without templates of their own). Every value is checked the way a real one
would pass: phone numbers with `phonenumbers` (valid in the locale's region), cards with
Luhn, IBANs with their checksum, national ids with `python-stdnum` (UK NINOs with the HMRC
format rules); a value that fails is drawn again, and the draws are counted in `rejected`.

Deterministic: one `random.Random(seed)` picks templates and formats, and every Faker
instance is seeded with `seed_instance` from it, so the same seed and the same Faker
version give byte-identical records.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import random
import string
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import phonenumbers
from faker import Faker
from stdnum import iban as iban_number
from stdnum import luhn
from stdnum.cz import rc
from stdnum.de import idnr
from stdnum.dk import cpr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.iso7064 import mod_11_10
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.pt import nif
from stdnum.se import personnummer
from stdnum.us import ssn

import shield_eval_templates as t

LABEL_KINDS = ("person", "email", "phone", "card", "iban", "ip", "national_id", "address")
CHAT_SHARE = 0.55  # the rest are prose records (documents and e-mails)
PARTICIPANTS_SHARE = 0.15  # chat records whose senders are given as participants
MAX_DRAWS = 200
# Faker en_US puts an extension ("x4321") on about a third of its numbers: keep a few of them.
EXTENSION_SHARE = 0.3

# Card types Faker draws from, with weights: what people paste in chats and forms.
_CARD_TYPES = (
    ("visa16", 35),
    ("mastercard", 27),
    ("amex", 12),
    ("discover", 7),
    ("jcb16", 6),
    ("diners", 6),
    ("visa19", 3),
)
# Letters HMRC never uses in National Insurance number prefixes.
_NINO_FIRST = [c for c in string.ascii_uppercase if c not in "DFIQUV"]
_NINO_SECOND = [c for c in string.ascii_uppercase if c not in "DFIOQUV"]
_NINO_NOT_ALLOCATED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
# Letters NFKD does not take apart, for e-mail local parts made from names.
_ASCII = str.maketrans({"ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "đ": "d", "ı": "i", "œ": "oe"})


def nino_is_valid(number: str) -> bool:
    """A UK National Insurance number in HMRC's format (no stdnum module exists for it):
    two prefix letters (not D, F, I, Q, U, V; the second not O; not BG, GB, KN, NK, NT, TN,
    ZZ), six digits and a suffix A-D; spaces are allowed."""
    compact = number.replace(" ", "").upper()
    return (
        len(compact) == 9
        and compact[0] in _NINO_FIRST
        and compact[1] in _NINO_SECOND
        and compact[:2] not in _NINO_NOT_ALLOCATED
        and compact[2:8].isdigit()
        and compact[8] in "ABCD"
    )


@dataclass
class Stats:
    """What the generator drew: labels by locale and kind, and values drawn again."""

    labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)


class Filler:
    """Fills template placeholders for one locale, returning text with `[[kind:value]]` marks."""

    def __init__(
        self,
        locale: str,
        lang: str,
        region: str,
        rng: random.Random,
        foreign: list[Faker],
        stats: Stats,
    ) -> None:
        self.locale = locale
        self.lang = t.LANGUAGES[lang]
        self.region = region
        self.rng = rng
        self.fake = seeded(locale, rng)
        self.foreign = foreign
        self.stats = stats
        self.senders: list[str] = []  # first names of the chat's senders, for mentions
        self._fields: dict[str, Callable[[], str]] = {
            "person": lambda: self.mark("person", self.full_name()),
            "first": lambda: self.mark("person", self._mention()),
            "first_lc": lambda: self.mark("person", self._mention().lower()),
            "last": lambda: self.mark("person", self.last_name(self.fake, self._female())),
            "Last": lambda: self.mark(
                "person", _capitalise(self.last_name(self.fake, self._female()))
            ),
            "mr": self._mr,
            "mr_full": self._mr_full,
            "short": self._short,
            "foreign": lambda: self.mark("person", self.full_name(self._foreign())),
            "foreign_first": lambda: self.mark(
                "person", self.first_name(self._foreign(), self._female())
            ),
            "foreign_last": lambda: self.mark(
                "person", self.last_name(self._foreign(), self._female())
            ),
            "names": self._names,
            "email": lambda: self.mark("email", self._email()),
            "phone": lambda: self.mark("phone", self._phone()[0]),
            "phone_intl": lambda: self.mark("phone", self._phone_intl()),
            "card": lambda: self.mark("card", self._card()),
            "iban": lambda: self.mark("iban", self._iban()),
            "ip": lambda: self.mark("ip", self._ipv4() if rng.random() < 0.7 else self._ipv6()),
            "ipv4": lambda: self.mark("ip", self._ipv4()),
            "ipv6": lambda: self.mark("ip", self._ipv6()),
            "national_id": lambda: self.mark("national_id", self._national_id()),
            "address": lambda: self.mark("address", ", ".join(self._address_lines())),
            "street": lambda: self.mark("address", self._street()),
            "address_block": lambda: self.mark("address", "\n".join(self._address_lines())),
            "pobox": lambda: self.mark("address", self._pobox()),
            # negatives: never labelled
            "company": self._company,
            "city": lambda: self.fake.city(),
            "country": lambda: self.fake.country(),
            "product": lambda: rng.choice(t.PRODUCTS),
            "ident": lambda: rng.choice(t.IDENTS),
            "path": lambda: rng.choice(t.PATHS),
            "date": self._date,
            "time": self._time,
            "version": self._version,
            "ticket": self._ticket,
            "amount": self._amount,
            "month": lambda: rng.choice(self.lang.months),
            "weekday": lambda: rng.choice(self.lang.weekdays),
            "num": lambda: str(rng.randint(1, 28)),
        }

    # -- templates -------------------------------------------------------------------------
    def fill(self, template: str) -> str:
        """The template with every placeholder replaced (labelled ones marked)."""
        out: list[str] = []
        for literal, name, _spec, _conversion in string.Formatter().parse(template):
            out.append(literal)
            if name is not None:
                out.append(self._fields[name]())
        return "".join(out)

    def mark(self, kind: str, value: str) -> str:
        self.stats.labels[self.locale, kind] += 1
        return f"[[{kind}:{value}]]"

    # -- people ----------------------------------------------------------------------------
    def _foreign(self) -> Faker:
        return self.rng.choice(self.foreign)

    def _female(self) -> bool:
        return self.rng.random() < 0.5

    def first_name(self, fake: Faker, female: bool) -> str:
        """A first name from `fake`'s locale."""
        return str(fake.first_name_female() if female else fake.first_name_male()).strip()

    def last_name(self, fake: Faker, female: bool) -> str:
        """A surname from `fake`'s locale (Czech -ová and Icelandic -dóttir for women)."""
        draw = fake.last_name_female if female else fake.last_name_male
        last = str(draw()).strip()
        if fake is self.fake and self.locale in ("es_ES", "pt_PT") and self.rng.random() < 0.4:
            last = f"{last} {str(draw()).strip()}"  # two surnames
        return last

    def full_name(self, fake: Faker | None = None) -> str:
        """A first name and surname from `fake` (this locale's, or now and then another's)."""
        if fake is None:
            fake = self._foreign() if self.rng.random() < 0.15 else self.fake
        female = self._female()
        return f"{self.first_name(fake, female)} {self.last_name(fake, female)}"

    def _mention(self) -> str:
        """A first name: one of the chat's senders now and then, else a new person."""
        if self.senders and self.rng.random() < 0.3:
            return self.rng.choice(self.senders)
        fake = self._foreign() if self.rng.random() < 0.15 else self.fake
        return self.first_name(fake, self._female())

    def _honorific(self, female: bool) -> str:
        if self.rng.random() < 0.3:
            return self.rng.choice(self.lang.neutral)
        return self.rng.choice(self.lang.female if female else self.lang.male)

    def _mr(self) -> str:
        female = self._female()
        name = self.last_name(self.fake, female)
        return f"{self._honorific(female)} {self.mark('person', name)}"

    def _mr_full(self) -> str:
        female = self._female()
        name = f"{self.first_name(self.fake, female)} {self.last_name(self.fake, female)}"
        return f"{self._honorific(female)} {self.mark('person', name)}"

    def _short(self) -> str:
        female = self._female()
        last = self.last_name(self.fake, female).split()[-1]
        return self.mark("person", f"{self.first_name(self.fake, female)} {last[0].upper()}.")

    def _names(self) -> str:
        count = self.rng.choice((2, 2, 3, 3, 4))
        fakes = [self._foreign() if self.rng.random() < 0.3 else self.fake for _ in range(count)]
        marks = [self.mark("person", self.first_name(fake, self._female())) for fake in fakes]
        return f"{', '.join(marks[:-1])} {self.lang.conj} {marks[-1]}"

    # -- contact data ----------------------------------------------------------------------
    def _email(self) -> str:
        if self.rng.random() < 0.45:
            return str(self.fake.email())
        female = self._female()
        first = _ascii(self.first_name(self.fake, female))
        last = _ascii(self.last_name(self.fake, female))
        if not first or not last:
            return str(self.fake.email())
        local = self.rng.choice(
            (
                f"{first}.{last}",
                f"{first}{last}",
                f"{first[0]}.{last}",
                f"{first}_{last}",
                f"{first}{self.rng.randint(1, 99)}",
                f"{last}.{first}",
            )
        )
        domain = (
            self.fake.free_email_domain() if self.rng.random() < 0.6 else self.fake.domain_name()
        )
        return f"{local}@{domain}"

    def _phone(self) -> tuple[str, phonenumbers.PhoneNumber]:
        """A number in one of Faker's formats for the locale that is valid in its region."""
        for _ in range(MAX_DRAWS):
            raw = str(self.fake.phone_number()).strip()
            try:
                number = phonenumbers.parse(raw, self.region)
            except phonenumbers.NumberParseException:
                number = None
            if number is None or not phonenumbers.is_valid_number(number):
                self.stats.rejected[f"{self.locale} phone"] += 1
            elif not number.extension or self.rng.random() < EXTENSION_SHARE:
                return raw, number
        raise RuntimeError(f"no valid phone number from Faker {self.locale}")

    def _phone_intl(self) -> str:
        raw, number = self._phone()
        international = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        choice = self.rng.random()
        if raw.startswith("+") and choice < 0.25:
            return raw  # Faker's own international form: "+49(0) 8836 85957"
        if choice < 0.65:
            return international
        if choice < 0.85:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return "00" + international[1:]

    def _card(self) -> str:
        kinds, weights = zip(*_CARD_TYPES, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        for _ in range(MAX_DRAWS):
            try:
                digits = str(self.fake.credit_card_number(card_type=kind))
            except KeyError:  # pt_PT has Portuguese visa, mastercard and maestro ranges only
                kind = "visa" if kind.startswith("visa") else "mastercard"
                digits = str(self.fake.credit_card_number(card_type=kind))
            if luhn.is_valid(digits):
                break
            self.stats.rejected[f"{self.locale} card"] += 1
        style = self.rng.random()
        if style < 0.4:
            return digits
        groups = {15: (4, 6, 5), 14: (4, 6, 4)}.get(len(digits), (4,) * (len(digits) // 4) + (3,))
        parts, at = [], 0
        for size in groups:
            if at < len(digits):
                parts.append(digits[at : at + size])
                at += size
        return ("-" if style > 0.8 else " ").join(parts)

    def _iban(self) -> str:
        for _ in range(MAX_DRAWS):
            value = str(self.fake.iban())
            if iban_number.is_valid(value):
                break
            self.stats.rejected[f"{self.locale} iban"] += 1
        return value if self.rng.random() < 0.45 else iban_number.format(value)

    def _ipv4(self) -> str:
        return str(self.fake.ipv4_public() if self.rng.random() < 0.6 else self.fake.ipv4_private())

    def _ipv6(self) -> str:
        value = str(self.fake.ipv6())
        return value if self.rng.random() < 0.6 else ipaddress.ip_address(value).compressed

    # -- national ids ----------------------------------------------------------------------
    def _national_id(self) -> str:
        make, valid = _NATIONAL_IDS[self.locale]
        for _ in range(MAX_DRAWS):
            value = make(self.fake, self.rng)
            if valid(value):
                return value
            self.stats.rejected[f"{self.locale} national_id"] += 1
        raise RuntimeError(f"no valid national id for {self.locale}")

    # -- addresses -------------------------------------------------------------------------
    def _address_lines(self) -> list[str]:
        return [line.strip() for line in str(self.fake.address()).splitlines() if line.strip()]

    def _street(self) -> str:
        # en_GB's street_address() is sometimes two lines: "Flat 9\nMartin Row".
        return ", ".join(line.strip() for line in str(self.fake.street_address()).splitlines())

    def _pobox(self) -> str:
        n = self.rng.randint(1, 9999)
        if self.locale == "en_US":
            return (
                f"PO Box {n}, {self.fake.city()}, {self.fake.state_abbr()} {self.fake.postcode()}"
            )
        return self.lang.pobox.format(n=n, postcode=self.fake.postcode(), city=self.fake.city())

    # -- negatives -------------------------------------------------------------------------
    def _company(self) -> str:
        """A company name; a bare surname ("Krebs", "Texier") gets its legal form."""
        company = str(self.fake.company())
        suffixes = t.COMPANY_SUFFIXES.get(self.locale)
        if suffixes and " " not in company:
            company = f"{company} {self.rng.choice(suffixes)}"
        return company

    def _date(self) -> str:
        month = self.rng.randint(1, 12)
        day = self.rng.randint(1, 28)
        return self.rng.choice(self.lang.date_formats).format(
            d=day,
            dd=f"{day:02d}",
            m=month,
            mm=f"{month:02d}",
            yyyy=self.rng.randint(2022, 2026),
            month=self.lang.months[month - 1],
        )

    def _time(self) -> str:
        hour = self.rng.randint(7, 20)
        return self.rng.choice(self.lang.time_formats).format(
            h=hour,
            hh=f"{hour:02d}",
            mi=self.rng.choice(("00", "15", "30", "45", "05")),
            h12=(hour - 1) % 12 + 1,
            ampm="am" if hour < 12 else "pm",
        )

    def _version(self) -> str:
        r = self.rng.randint
        return self.rng.choice(t.VERSION_FORMATS).format(
            a=r(0, 12), b=r(0, 30), c=r(0, 40), d=r(1, 9)
        )

    def _ticket(self) -> str:
        r = self.rng.randint
        return self.rng.choice(t.TICKET_FORMATS).format(
            n3=r(100, 999),
            n4=r(1000, 9999),
            n5=r(10000, 99999),
            n6=r(100000, 999999),
            yyyy=r(2022, 2026),
        )

    def _amount(self) -> str:
        whole = self.rng.choice((self.rng.randint(5, 99), self.rng.randint(100, 9999)))
        return self.rng.choice(self.lang.amount_formats).format(
            int=whole,
            frac=f"{self.rng.randint(0, 99):02d}",
            intdot=f"{whole:,}".replace(",", "."),
            intcomma=f"{whole:,}",
            intspace=f"{whole:,}".replace(",", "\u202f"),
        )


# --- national ids: how each locale's is drawn, and the validator it must pass ---------------
def _ssn(fake: Faker, rng: random.Random) -> str:
    value = str(fake.ssn())
    return value if rng.random() < 0.85 else value.replace("-", "")


def _nino(fake: Faker, rng: random.Random) -> str:
    # Faker en_GB's ssn() gives "ZZ 123456 T": ZZ is never allocated and T is no suffix.
    letters = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
    digits = f"{rng.randint(0, 999999):06d}"
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{letters} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return f"{letters}{digits}{suffix}"


def _steuer_idnr(fake: Faker, rng: random.Random) -> str:
    # Faker de_DE has no Steuer-IdNr: ten digits, first not 0, exactly one digit twice or
    # three times, then the ISO 7064 Mod 11,10 check digit.
    while True:
        digits = [str(rng.randint(1, 9))] + [str(rng.randint(0, 9)) for _ in range(9)]
        counts = Counter(digits)
        repeated = [n for n in counts.values() if n > 1]
        if len(repeated) == 1 and repeated[0] in (2, 3):
            break
    body = "".join(digits)
    value = body + mod_11_10.calc_check_digit(body)
    return value if rng.random() < 0.6 else idnr.format(value)


def _nir(fake: Faker, rng: random.Random) -> str:
    value = str(fake.ssn())
    return value if rng.random() < 0.5 else nir.format(value)


def _spanish_id(fake: Faker, rng: random.Random) -> str:
    value = str(fake.nif() if rng.random() < 0.8 else fake.nie())
    return value if rng.random() < 0.8 else f"{value[:-1]}-{value[-1]}"


def _bsn(fake: Faker, rng: random.Random) -> str:
    value = str(fake.ssn())
    return value if rng.random() < 0.7 else bsn.format(value)


def _pt_nif(fake: Faker, rng: random.Random) -> str:
    # Faker pt_PT's vat_id() mostly fails the NIF check digit (and ssn() is US-style).
    body = str(rng.randint(1, 2)) + f"{rng.randint(0, 9999999):07d}"
    value = body + nif.calc_check_digit(body)
    return value if rng.random() < 0.6 else f"{value[:3]} {value[3:6]} {value[6:]}"


def _cpr(fake: Faker, rng: random.Random) -> str:
    # Faker da_DK has no CPR: DDMMYY-SSSS, the 7th digit consistent with the century.
    born = _birth_date(rng)
    if born.year < 2000:
        seventh = rng.choice("0123") if born.year < 1937 else rng.choice("01234")
    else:
        seventh = "4"
    value = f"{born:%d%m%y}{seventh}{rng.randint(0, 999):03d}"
    return f"{value[:6]}-{value[6:]}" if rng.random() < 0.8 else value


def _personnummer(fake: Faker, rng: random.Random) -> str:
    # Faker sv_SE's ssn() dates back from today, which would make the set change by the day.
    body = f"{_birth_date(rng):%y%m%d}{rng.randint(0, 999):03d}"
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


def _pesel(fake: Faker, rng: random.Random) -> str:
    born = _birth_date(rng)
    return str(fake.pesel(date_of_birth=datetime.datetime(born.year, born.month, born.day)))


def _rodne_cislo(fake: Faker, rng: random.Random) -> str:
    # Faker cs_CZ's birth_number() also dates back from today. YYMMDD (+50 on the month for
    # women), three serial digits, a check digit that makes the number divisible by 11.
    born = _birth_date(rng)
    month = born.month + (50 if rng.random() < 0.5 else 0)
    body = f"{born:%y}{month:02d}{born:%d}{rng.randint(0, 999):03d}"
    return f"{body[:6]}/{body[6:]}{int(body) % 11 % 10}"


def _birth_date(rng: random.Random) -> datetime.date:
    return datetime.date(rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28))


_NATIONAL_IDS: dict[str, tuple[Callable[[Faker, random.Random], str], Callable[[str], bool]]] = {
    "en_US": (_ssn, ssn.is_valid),
    "en_GB": (_nino, nino_is_valid),
    "de_DE": (_steuer_idnr, idnr.is_valid),
    "fr_FR": (_nir, nir.is_valid),
    "es_ES": (_spanish_id, lambda v: dni.is_valid(v) or nie.is_valid(v)),
    "it_IT": (lambda fake, rng: str(fake.ssn()), codicefiscale.is_valid),
    "nl_NL": (_bsn, bsn.is_valid),
    "pl_PL": (_pesel, pesel.is_valid),
    "pt_PT": (_pt_nif, nif.is_valid),
    "da_DK": (_cpr, cpr.is_valid),
    "sv_SE": (_personnummer, personnummer.is_valid),
    "cs_CZ": (_rodne_cislo, rc.is_valid),
}


# --- records ----------------------------------------------------------------------------------
def seeded(locale: str, rng: random.Random) -> Faker:
    """A Faker for `locale` seeded from `rng`, its draws independent of the hash seed."""
    fake = Faker(locale)
    fake.seed_instance(rng.getrandbits(32))
    for provider in fake.providers:
        # it_IT builds its city list from a set, whose order changes with PYTHONHASHSEED.
        cities = getattr(provider, "cities", None)
        if isinstance(cities, list):
            provider.cities = sorted(cities)
    return fake


def generate(records: int, seed: int) -> tuple[list[dict[str, object]], Stats]:
    """`records` labelled records and what was drawn; the same seed gives the same records."""
    rng = random.Random(seed)
    stats = Stats()
    foreign = []
    for code in t.FOREIGN_LOCALES:
        foreign.append(seeded(code, rng))
    fillers = {
        code: Filler(code, lang, region, rng, foreign, stats)
        for code, lang, region, _weight in t.LOCALES
    }
    codes = [code for code, *_ in t.LOCALES]
    weights = [weight for *_, weight in t.LOCALES]
    out: list[dict[str, object]] = []
    for index in range(records):
        filler = fillers[rng.choices(codes, weights)[0]]
        lang = _lang(filler.locale)
        if rng.random() < CHAT_SHARE:
            record = _chat(filler, lang, rng)
        else:
            record = {"source": "doc", "text": _prose(filler, lang, rng)}
        out.append(
            {
                "id": f"gen-{index:04d}-{filler.locale}-{record['source']}",
                "locale": filler.locale,
                **record,
            }
        )
    return out, stats


def to_jsonl(records: list[dict[str, object]]) -> str:
    """The records as JSONL (the labelled-fixture format, one record a line)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# Placeholders of the kinds other than person, and how much each one weighs a template up:
# without this the set would be mostly names (chat senders alone are one label a line), and
# the rarer kinds (ids, cards) would have too few labels to measure.
_KIND_WEIGHTS = {
    "email": 4, "phone": 4, "phone_intl": 4, "ip": 4, "ipv4": 4, "ipv6": 4, "iban": 5,
    "card": 8, "national_id": 14, "address": 4, "street": 4, "address_block": 4, "pobox": 4,
}  # fmt: skip


def _pick(templates: tuple[str, ...], rng: random.Random) -> str:
    """A template, those with non-name labels weighted up."""
    return rng.choices(templates, _weights(templates))[0]


@cache
def _weights(templates: tuple[str, ...]) -> list[int]:
    return [
        1 + sum(_KIND_WEIGHTS.get(name or "", 0) for _, name, _, _ in string.Formatter().parse(x))
        for x in templates
    ]


def _lang(locale: str) -> str:
    return next(lang for code, lang, *_ in t.LOCALES if code == locale)


def _chat(filler: Filler, lang: str, rng: random.Random) -> dict[str, object]:
    senders: list[tuple[str, str]] = []  # (display name, first name)
    for _ in range(rng.choice((2, 2, 3, 3, 4))):
        fake = (
            filler.foreign[rng.randrange(len(filler.foreign))]
            if rng.random() < 0.2
            else filler.fake
        )
        female = rng.random() < 0.5
        first = filler.first_name(fake, female)
        display = f"{first} {filler.last_name(fake, female)}" if rng.random() < 0.8 else first
        senders.append((display, first))
    filler.senders = [first for _, first in senders]
    lines = []
    for _ in range(rng.randint(3, 6)):
        display, _first = rng.choice(senders)
        message = filler.fill(_pick(t.CHAT[lang], rng))
        lines.append(f"{filler.mark('person', display)}: {message}")
    filler.senders = []
    record: dict[str, object] = {"source": "chat"}
    if rng.random() < PARTICIPANTS_SHARE:
        names = list(dict.fromkeys(display for display, _ in senders))
        if rng.random() < 0.5:
            record["me"] = names[:1]
            names = names[1:]
        record["participants"] = names
    record["text"] = "\n".join(lines)
    return record


def _prose(filler: Filler, lang: str, rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.choice((1, 1, 2))):
        sentences: list[str] = []
        for _ in range(rng.randint(2, 4)):
            sentence = _pick(t.PROSE[lang], rng)
            if sentence not in sentences:
                sentences.append(sentence)
        paragraphs.append(" ".join(filler.fill(s) for s in sentences))
    body = "\n\n".join(paragraphs)
    style = rng.random()
    if style < 0.45:
        greeting = filler.fill(rng.choice(t.GREETINGS[lang]))
        signoff = filler.fill(rng.choice(t.SIGNOFFS[lang]))
        return f"{greeting}\n\n{body}\n\n{signoff}"
    if style < 0.75:
        return f"{filler.fill(rng.choice(t.HEADINGS[lang]))}\n\n{body}"
    return body


def _capitalise(name: str) -> str:
    return name[:1].upper() + name[1:]


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_ASCII))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c in ".-"))
