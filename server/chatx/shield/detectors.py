"""Detectors of sensitive spans: contact data, payment data, network identifiers and secrets.

Each detector is a cheap pre-filter (a regex or a substring test) followed by the validation
of a maintained library where one exists: `phonenumbers` for phone numbers, `python-stdnum`
for Luhn and IBAN checksums, `detect-secrets` for known key formats and Shannon entropy, the
standard `ipaddress` module for IPs. People's names are matched in `names.py`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qsl, urlsplit

import phonenumbers
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from stdnum import iban, luhn

from chatx.config import DEFAULTS

# Kinds a redaction replaces; `name` and `me` come from names.py.
KINDS = (
    "name",
    "me",
    "email",
    "phone",
    "card",
    "iban",
    "national_id",
    "ip",
    "url",
    "secret",
    "address",
    "postcode",
    "attachment",
    "label",
    "org",
    "place",
)
# Content no redaction makes safe to send: preflight blocks on it whatever else it finds.
HARD_FAIL = frozenset({"attachment", "label"})


@dataclass(frozen=True, order=True)
class Finding:
    """A sensitive span of a text: `text[start:end]` is `value`."""

    start: int
    end: int
    kind: str
    value: str
    key: str  # the normalised value the pseudonym is derived from

    @property
    def length(self) -> int:
        """Characters the span covers."""
        return self.end - self.start


Detector = Callable[[str], Iterator[Finding]]

# --- where single-line patterns can match -----------------------------------------------------
_DIGIT_LINE = re.compile(r"^.*\d.*\n?", re.M)
# Patterns for numbers start with their first character's class and check the character
# before it with a lookbehind right after: `\d(?<![\d-]\d)\d{2}` matches what
# `(?<![\d-])\d{3}` matches, but the regex engine skips straight to the digits instead of
# trying the lookbehind at every position (several times faster on prose).
WINDOW_GAP = 32  # windows closer than this are searched as one (fewer, longer searches)
WINDOW_COST = 64  # one search call costs about as much as searching this many characters


def line_windows(text: str, lines: re.Pattern[str] = _DIGIT_LINE) -> list[tuple[int, int]]:
    """`(start, end)` of runs of lines of `text` holding every line that `lines` matches (by
    default those with a digit). A pattern that cannot match a line break and whose every match
    holds what `lines` looks for finds the same matches searched over these windows only
    (`finditer(text, start, end)`: lookbehinds still see the text before a window)."""
    windows: list[tuple[int, int]] = []
    for m in lines.finditer(text):
        if windows and m.start() - windows[-1][1] <= WINDOW_GAP:
            windows[-1] = (windows[-1][0], m.end())
        else:
            windows.append((m.start(), m.end()))
    inside = sum(end - start for start, end in windows)
    if windows and inside + WINDOW_COST * len(windows) >= len(text):
        return [(0, len(text))]  # as dear as one search of the whole text
    return windows


# --- e-mail -------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9](?:[\w.+%-]*[\w+%-])?@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)


def emails(text: str) -> Iterator[Finding]:
    """E-mail addresses, also inside angle brackets or `mailto:` links."""
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Finding(m.start(), m.end(), "email", m.group(), m.group().casefold())


# --- phone numbers ------------------------------------------------------------------------
_PHONE_CANDIDATE = re.compile(r"(?<![\w.\-/])(?:\+|\b|\()\d[\d \t().\-/]{5,22}\d(?!\d)(?![.,]\d)")
_NOT_PHONE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T\-]\d{1,4})?|\d{1,2}[./]\d{1,2}[./]\d{2,4}(?: \d{1,2})?"
    r"|\d{1,3}(?:\.\d{1,3}){3}|\d{1,4}(?:\.\d{1,3}){1,2}"
)
MIN_PHONE_DIGITS = 7
MAX_NATIONAL_DIGITS = 12  # longer digit runs are card, account or order numbers
MAX_E164_DIGITS = 15
MIN_SHAPED_DIGITS = 8  # a possible-only number needs this many digits in phone-like groups
DEFAULT_REGIONS = tuple(DEFAULTS.shield.regions)
# Tried after the configured regions, for numbers none of those finds valid.
EXTRA_REGIONS = (
    "PL", "PT", "DK", "SE", "NO", "FI", "CZ", "SK", "CH", "AT", "BE", "IE", "LU", "GR", "HU",
    "RO", "CA", "BR", "MX", "AR", "ZA", "JP", "SG", "VN",
)  # fmt: skip
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension|#|Durchwahl|poste|int\.)[ ]?\d{1,6}\b", re.I)
_PHONE_WORDS = re.compile(
    r"(?i)(?:\b(?:tel|tél|phone|telephone|fon|telefon|telefono|teléfono|téléphone|telefoon"
    r"|mobile|mobil|mob|cell|cellphone|cellulare|móvil|movil|portable|handy|gsm|whatsapp|fax"
    r"|call|ring|rufnummer|nummer|number|numéro|número|numero|nr|sms|text|reach|bel|ligue"
    r"|chiama|llama|zadzwoń|ring|tlf|puhelin|číslo|nummeret|contact|kontakt)\b|☎|📞|📱)"
)
_PHONE_SHAPE = re.compile(r"\+?\(?\d{1,5}\)?(?:[ .\-/]{1,2}\(?\d{1,5}\)?){1,5}")
_CURRENCY = re.compile(r"[$€£¥₹]|\b(?:EUR|USD|GBP|CHF|PLN|SEK|DKK|NOK|CZK|kr|zł|Kč)\b[ ]?", re.I)
_PHONE_CONTEXT = 32  # characters before a number searched for a phone word


def phone_detector(
    regions: Sequence[str] = DEFAULT_REGIONS,
    leniency: int = phonenumbers.Leniency.VALID,
) -> Detector:
    """Phone numbers in international format (`+` or `00`), or national ones valid in the
    regions of the text's own international numbers, in one of `regions`, or in one of
    `EXTRA_REGIONS`. A number valid nowhere still counts when it is possible
    somewhere and reads like one: grouped like a phone number, or after a phone word."""
    configured = len(tuple(dict.fromkeys(r.upper() for r in regions)))
    ordered = tuple(dict.fromkeys(r.upper() for r in (*regions, *EXTRA_REGIONS)))
    lenient = leniency == phonenumbers.Leniency.POSSIBLE

    def phones(text: str) -> Iterator[Finding]:
        candidates = []
        for candidate in _PHONE_CANDIDATE.finditer(text):
            raw = candidate.group()
            digits = sum(c.isdigit() for c in raw)
            if digits < MIN_PHONE_DIGITS or _NOT_PHONE.fullmatch(raw.strip("()")):
                continue
            start, end = candidate.start(), candidate.end()
            if raw.startswith("(") and ")" not in raw:
                raw, start = raw[1:], start + 1
            if _CURRENCY.search(text, max(0, start - 4), start) or _CURRENCY.match(text, end):
                continue
            parsed = _parse_international(raw) if _is_international(raw) else None
            candidates.append((start, end, raw, digits, parsed))
        # The text's own international numbers say where its national ones are from.
        hinted = [
            phonenumbers.region_code_for_number(number)
            for *_, number in candidates
            if number is not None
        ]
        trusted = tuple(dict.fromkeys(r for r in (*hinted, *ordered[:configured]) if r))
        regions = tuple(dict.fromkeys((*trusted, *ordered)))
        for start, end, raw, digits, parsed in candidates:
            if _is_international(raw):
                number = parsed if _accepted(parsed, digits) else None
            else:
                context = lenient or _phone_context(text, start)
                number = _national(raw, digits, len(trusted), regions, context)
            if number is None:
                continue
            extension = _EXTENSION.match(text, end)
            if extension is not None:
                end = extension.end()
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            yield Finding(start, end, "phone", text[start:end], e164)

    return phones


def _is_international(raw: str) -> bool:
    text = raw.strip()
    return text.startswith("+") or (text.startswith("00") and not text.startswith("000"))


def _parse_international(raw: str) -> phonenumbers.PhoneNumber | None:
    """A `+` or `00` number parsed (`00` read as `+`, a `(0)` trunk prefix dropped)."""
    text = raw.strip()
    text = "+" + text.lstrip("+")[2:] if text.startswith("00") else text
    return _parse(text.replace("(0)", ""), None)


def _accepted(number: phonenumbers.PhoneNumber | None, digits: int) -> bool:
    """An international number counts when valid, or possible with enough digits."""
    return (
        number is not None
        and digits <= MAX_E164_DIGITS + 2
        and (
            phonenumbers.is_valid_number(number)
            or (phonenumbers.is_possible_number(number) and digits >= MIN_SHAPED_DIGITS)
        )
    )


def _phone_context(text: str, start: int) -> bool:
    return _PHONE_WORDS.search(text, max(0, start - _PHONE_CONTEXT), start) is not None


def _national(
    raw: str, digits: int, configured: int, regions: Sequence[str], context: bool
) -> phonenumbers.PhoneNumber | None:
    """The national number `raw` stands for, or None when it is no phone number."""
    text = raw.strip()
    if digits > MAX_NATIONAL_DIGITS:
        return None
    prefix = re.match(r"\((\d{1,3})\)[ ]?", text)
    if (
        prefix is not None
        and phonenumbers.region_code_for_country_code(int(prefix.group(1))) != "ZZ"
    ):
        number = _parse(f"+{prefix.group(1)} {text[prefix.end() :]}", None)
        if number is not None and phonenumbers.is_valid_number(number):
            return number  # "(351) 919 825 979": a country code in brackets
    shaped = digits >= MIN_SHAPED_DIGITS and _PHONE_SHAPE.fullmatch(text) is not None
    possible = None
    for index, region in enumerate(regions):
        number = _parse(text, region)
        if number is None:
            continue
        # A region the user did not configure needs a phone-like shape or a phone word.
        if phonenumbers.is_valid_number(number) and (index < configured or shaped or context):
            return number
        if possible is None and phonenumbers.is_possible_number(number):
            possible = number
    return possible if possible is not None and (context or shaped) else None


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


# --- payment cards and IBANs ---------------------------------------------------------------
_CARD_CANDIDATE = re.compile(r"\d(?<![\d-]\d)(?:[ -]?\d){12,18}(?![\d])")


def cards(text: str) -> Iterator[Finding]:
    """Payment card numbers of 13-19 digits that pass the Luhn check (spaces or dashes allowed)."""
    for m in _CARD_CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if digits[0] in "23456" and luhn.is_valid(digits):
            yield Finding(m.start(), m.end(), "card", m.group(), digits)


_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")


def ibans(text: str) -> Iterator[Finding]:
    """IBANs (compact or in groups of four) whose country format and checksum are valid."""
    for m in _IBAN_CANDIDATE.finditer(text):
        raw = m.group()
        # The candidate may run into a following upper-case word: try shorter prefixes.
        for end in range(len(raw), 14, -1):
            if raw[end - 1] == " ":
                continue
            if (end == len(raw) or not raw[end].isalnum() or raw[end - 1] != " ") and (
                iban.is_valid(raw[:end])
            ):
                yield Finding(
                    m.start(), m.start() + end, "iban", raw[:end], iban.compact(raw[:end])
                )
                break


# --- IP addresses -------------------------------------------------------------------------
_IPV4 = re.compile(r"\d(?<![\w.-]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\w-]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_VERSION_CONTEXT = re.compile(
    r"(?:\bv|\bversion\s*|\bver\.?\s*|\brelease\s*|\bbuild\s*|[=@<>~^]=?\s*)$", re.I
)


def ips(text: str) -> Iterator[Finding]:
    """IPv4 and IPv6 addresses, except loopback/unspecified ones and version numbers."""
    if "." in text:
        for m in _IPV4.finditer(text):
            if _VERSION_CONTEXT.search(text[max(0, m.start() - 10) : m.start()]):
                continue
            yield from _ip(m.group(), m.start())
    if text.count(":") >= 2:
        for m in _IPV6.finditer(text):
            if any(c.isalnum() for c in m.group()):
                yield from _ip(m.group(), m.start())


def _ip(raw: str, start: int) -> Iterator[Finding]:
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return
    if not (address.is_loopback or address.is_unspecified):
        yield Finding(start, start + len(raw), "ip", raw, address.compressed)


# --- URLs with credentials ----------------------------------------------------------------
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s<>\"'`]+")
_SECRET_PARAM = re.compile(
    r"(?:^|[_-])(?:token|key|secret|password|passwd|pwd|pass|sig|signature|auth|code|"
    r"session|sessionid|credential|credentials|apikey|api_key|access_token|jwt)$",
    re.I,
)


def urls(text: str) -> Iterator[Finding]:
    """URLs that carry credentials (`user:password@`) or a token-like query parameter."""
    if "://" not in text:
        return
    for m in _URL.finditer(text):
        raw = m.group().rstrip(".,;:!?)]}")
        try:
            parts = urlsplit(raw)
            secret = parts.password is not None or any(
                _SECRET_PARAM.search(name) and value
                for name, value in parse_qsl(parts.query + "&" + parts.fragment)
            )
        except ValueError:
            secret = True  # a URL the parser rejects is not one to send
        if secret:
            yield Finding(m.start(), m.start() + len(raw), "url", raw, raw)


# --- secrets ------------------------------------------------------------------------------
# detect-secrets detectors whose patterns are precise enough for prose; its Artifactory
# patterns match ordinary upper-case words, and URLs/IPs have detectors of their own.
_SKIPPED_PLUGINS = {"ArtifactoryDetector", "BasicAuthDetector", "IPPublicDetector"}
# (what every match contains, pattern): a text without the former skips the pattern
_EXTRA_KEYS = (
    ("sk-ant-", r"sk-ant-[A-Za-z0-9_-]{20,}"),
    ("sk-", r"sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}"),
    ("github_pat_", r"github_pat_[A-Za-z0-9_]{22,}"),
    ("AIza", r"AIza[0-9A-Za-z_-]{35}"),
    ("hf_", r"hf_[A-Za-z0-9]{30,}"),
    ("npm_", r"npm_[A-Za-z0-9]{36}"),
    ("xapp-", r"xapp-\d-[A-Za-z0-9-]{20,}"),
    ("k_", r"(?:r|s|p)k_(?:live|test)_[0-9a-zA-Z]{16,}"),
    ("glpat-", r"glpat-[A-Za-z0-9_-]{20}"),
    ("eyJ", r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWT, signature too
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)",
    re.S,
)
_KEYWORD = re.compile(
    r"(?i)(?<![A-Za-z])(?:[A-Za-z0-9]+[_-])*"
    r"(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?token"
    r"|token|private[_-]?key|client[_-]?secret|credentials?)(?:[_-](?:key|token|value|hash))?"
    r"(?:\s+(?:for|of|to|on|at)(?:\s+[\w-]+){1,2})?"  # "the password for the wifi is ..."
    r"['\"]?\s*(?:=>|:=|=|:|\bis\b)\s*(?:[\"'`]([^\"'`\s]{4,})[\"'`]|([^\s\"'`,;()\[\]{}]{4,}))"
)
_KEYWORD_HINT = ("pass", "pwd", "secret", "key", "token", "credential")
_NOT_A_VALUE = re.compile(
    r"(?i)(?:none|null|true|false|undefined|str|string|int|bytes|optional\[.*|"
    r"[a-z_][\w.]*\(.*|self\.\w+|os\.environ.*|\$\{?\w+\}?|<[^>]*>|\*+|x+|\.{3,}|"
    r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|"  # a CONSTANT_NAME: a reference, not a value
    r"required|changeme|example|redacted|the|in|on|at|to|for|a|an)"
)
_TOKEN = re.compile(r"(?<![\w+/=.-])[A-Za-z0-9+/_\-]{20,}={0,2}(?![\w+/=-])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGEST_LENGTHS = (40, 64)
_ENTROPY = Base64HighEntropyString()
# Every known key format and every high-entropy token has a run of 16+ such characters:
# texts without one skip those patterns.
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=.:]{16,}")


@cache
def _known_key_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """`(literal, pattern)`: the known key formats, each with a literal its matches contain
    (empty: none known)."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    plugins: list[type[object]] = list(get_mapping_from_secret_type_to_class().values())
    for plugin in plugins:
        if issubclass(plugin, RegexBasedDetector) and plugin.__name__ not in _SKIPPED_PLUGINS:
            detector: RegexBasedDetector = plugin()
            patterns.extend(("", pattern) for pattern in detector.denylist)
    patterns.extend((hint, re.compile(rf"(?<![\w-]){p}")) for hint, p in _EXTRA_KEYS)
    return tuple(patterns)


def secret_detector(entropy_bits: float = 4.3, hex_bits: float = 3.0) -> Detector:
    """API keys and secrets: private key blocks, known key formats, `password = ...` style
    assignments and high-entropy tokens (Shannon entropy of at least `entropy_bits` per char,
    or `hex_bits` for hexadecimal tokens of 32+ characters)."""

    def secrets(text: str) -> Iterator[Finding]:
        if "PRIVATE KEY" in text:
            for m in _PRIVATE_KEY.finditer(text):
                yield _secret(m.start(), m.group())
        if not _LONG_TOKEN.search(text):
            yield from _keyword_secrets(text)
            return
        for hint, pattern in _known_key_patterns():
            if hint not in text:
                continue
            for m in pattern.finditer(text):
                group = 1 if m.re.groups and m.group(1) else 0
                yield _secret(m.start(group), m.group(group))
        yield from _keyword_secrets(text)
        for m in _TOKEN.finditer(text):
            token = m.group()
            if not (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)):
                continue
            if _UUID.fullmatch(token) or (len(token) in _DIGEST_LENGTHS and _HEX.fullmatch(token)):
                continue  # identifiers: UUIDs, git commits and SHA-256 digests
            bits = _ENTROPY.calculate_shannon_entropy(token)
            if bits >= entropy_bits or (
                len(token) >= 32 and _HEX.fullmatch(token) and bits >= hex_bits
            ):
                yield _secret(m.start(), token)

    return secrets


def _keyword_secrets(text: str) -> Iterator[Finding]:
    """Values assigned to, or said of, a password, token, key or secret."""
    lowered = text.lower()
    if any(hint in lowered for hint in _KEYWORD_HINT):
        for m in _KEYWORD.finditer(text):
            group = 1 if m.group(1) else 2
            value = m.group(group)
            if not _NOT_A_VALUE.fullmatch(value):
                yield _secret(m.start(group), value)


def _secret(start: int, value: str) -> Finding:
    # Patterns that anchor on a delimiter include it; the secret is what lies inside.
    stripped = value.strip(" \t\"'=:")
    offset = value.find(stripped)
    return Finding(start + offset, start + offset + len(stripped), "secret", stripped, stripped)


# --- postcodes (street addresses are in addresses.py) ------------------------------------
_UK_POSTCODE = re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR)[ ]?\d[ABD-HJLNP-UW-Z]{2}\b")


def postcodes(text: str) -> Iterator[Finding]:
    """UK postcodes with both halves (a postcode with its street is part of an address)."""
    for m in _UK_POSTCODE.finditer(text):
        if any(c.isdigit() for c in m.group()) and " " in m.group():
            yield Finding(m.start(), m.end(), "postcode", m.group(), m.group().replace(" ", ""))


# --- hard-fail content: attachments and sensitivity labels ---------------------------------
_ATTACHMENTS = re.compile(
    r"data:[\w.+-]+/[\w.+-]+(?:;[\w=-]+)*;base64,[A-Za-z0-9+/=\s]{16,}"
    r"|<attached: [^>\n]+>"
    r"|\b[\w-]+\.(?:jpe?g|png|gif|webp|heic|mp4|mov|opus|ogg|m4a|pdf|vcf|docx?|xlsx?)"
    r"[ ]\(file attached\)",
    re.I,
)
_LABELS = re.compile(
    r"(?im)(?:^|(?<=: ))[ \t#>*-]*"
    r"(?:classification|sensitivity|data[ _-]?class(?:ification)?|label)"
    r"[ \t]*[:=][ \t]*(?:strictly[ ]|highly[ ])?(?:confidential|restricted|secret|top[ ]secret|"
    r"internal[ ]only|private)\b.*$"
    r"|\[(?:CONFIDENTIAL|RESTRICTED|SECRET|TOP SECRET|INTERNAL ONLY|DO NOT (?:SHARE|FORWARD))\]"
)


def hard_fail(text: str) -> Iterator[Finding]:
    """Attachments (inline data, attachment markers) and sensitivity labels
    (`Classification: Confidential`, `[RESTRICTED]`): content that never leaves the machine."""
    if "data:" in text or "<attached: " in text or "(file attached)" in text:
        for m in _ATTACHMENTS.finditer(text):
            yield Finding(m.start(), m.end(), "attachment", m.group(), m.group())
    if ":" in text or "[" in text or "=" in text:
        for m in _LABELS.finditer(text):
            yield Finding(m.start(), m.end(), "label", m.group(), m.group().strip().casefold())


# --- national identity numbers -------------------------------------------------------------
@dataclass(frozen=True)
class _IdFormat:
    """One national id: a candidate pattern, its `python-stdnum` check, and whether a bare
    number needs a keyword before it (formats whose checksum passes too many random numbers)."""

    pattern: re.Pattern[str]
    valid: Callable[[str], bool]
    keywords: re.Pattern[str] | None = None


def _nino(value: str) -> bool:
    """A UK National Insurance number (no stdnum module): prefix and suffix rules of HMRC."""
    compact = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", compact):
        return False
    return compact[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _stdnum(module: str) -> Callable[[str], bool]:
    from importlib import import_module

    validator: Callable[[str], bool] = import_module(f"stdnum.{module}").is_valid
    return validator


_ID_CONTEXT = 48  # characters before a bare number searched for its keyword
MIN_ID_DIGITS = 6  # every format below has at least this many digits (a UK NINO has six)
# The lines that can hold a national id: no format spans lines, and each has six digits.
_ID_LINE = re.compile(rf"^(?:[^\d\n]*\d){{{MIN_ID_DIGITS}}}.*\n?", re.M)
_ID_FORMATS = (
    # US SSN: dashed or spaced; bare nine digits only after "SSN" / "social security"
    _IdFormat(re.compile(r"\d(?<![\d-]\d)\d{2}([- ])\d{2}\1\d{4}(?![\d-])"), _stdnum("us.ssn")),
    _IdFormat(
        re.compile(r"\d(?<!\d\d)\d{8}(?!\d)"),
        _stdnum("us.ssn"),
        re.compile(r"(?i)\b(?:ssn|social security|soc\.? sec)"),
    ),
    # UK National Insurance number
    _IdFormat(re.compile(r"\b[A-Z]{2}[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D]\b"), _nino),
    # NL BSN: eleven-proof passes 1 in 11 numbers, so only after a keyword or dotted
    _IdFormat(re.compile(r"\d(?<![\d.]\d)\d{3}\.\d{2}\.\d{3}(?![\d.])"), _stdnum("nl.bsn")),
    _IdFormat(
        re.compile(r"\d(?<![\d.-]\d)\d{7,8}(?![\d.-])"),
        _stdnum("nl.bsn"),
        re.compile(r"(?i)\b(?:bsn|burgerservicenummer|sofi-?nummer|sofinummer)"),
    ),
    # ES DNI and NIE: check letter
    _IdFormat(re.compile(r"\d(?<![\w-]\d)\d{7}[- ]?[A-Za-z](?![\w-])"), _stdnum("es.dni")),
    _IdFormat(
        re.compile(r"[XYZxyz](?<![\w-][XYZxyz])[- ]?\d{7}[- ]?[A-Za-z](?![\w-])"), _stdnum("es.nie")
    ),
    # DE tax id (IdNr): eleven digits, plain or grouped 2-3-3-3, after a keyword
    _IdFormat(
        re.compile(r"\d(?<!\d\d)(?<!\d \d)\d ?\d{3} ?\d{3} ?\d{3}(?!\d)"),
        _stdnum("de.idnr"),
        re.compile(
            r"(?i)(?:steuer|st\.?-?id|idnr|identifikationsnummer|tax[ -]?id|\btin\b|steuernummer)"
        ),
    ),
    # FR NIR (INSEE): 15 characters with a mod-97 key, plain or spaced
    _IdFormat(
        re.compile(
            r"[12](?<!\d[12])[ ]?\d{2}[ ]?(?:\d{2}|2[AB])[ ]?(?:\d{2}|2[AB])[ ]?\d{3}[ ]?\d{3}"
            r"[ ]?\d{2}(?![\d])"
        ),
        _stdnum("fr.nir"),
    ),
    # IT codice fiscale: 16 characters with a check letter
    _IdFormat(
        re.compile(r"\b[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z]\b"),
        _stdnum("it.codicefiscale"),
    ),
    # PL PESEL: eleven digits with a birth date and a checksum
    _IdFormat(re.compile(r"\d(?<!\d\d)\d{10}(?![\d])"), _stdnum("pl.pesel")),
    # DK CPR and SE personnummer: birth date, dash and serial
    _IdFormat(re.compile(r"\d(?<![\d-]\d)\d{5}-\d{4}(?![\d-])"), _stdnum("dk.cpr")),
    _IdFormat(
        re.compile(r"\d(?<![\d-]\d)(?:\d{2})?\d{5}[-+]\d{4}(?![\d-])"), _stdnum("se.personnummer")
    ),
    # FI HETU, BE national number, PT NIF, BR CPF, CA SIN, IN Aadhaar, CZ birth number
    _IdFormat(re.compile(r"\d(?<![\w-]\d)\d{5}[-+A]\d{3}[0-9A-Y](?![\w-])"), _stdnum("fi.hetu")),
    _IdFormat(
        re.compile(r"\d(?<![\d.]\d)\d\.\d{2}\.\d{2}-\d{3}\.\d{2}(?![\d.])"), _stdnum("be.nn")
    ),
    _IdFormat(
        re.compile(r"\d(?<!\d\d)\d{8}(?![\d])"),
        _stdnum("pt.nif"),
        re.compile(r"(?i)\b(?:nif|contribuinte|número fiscal|numero fiscal)"),
    ),
    _IdFormat(re.compile(r"\d(?<![\d.]\d)\d{2}\.\d{3}\.\d{3}-\d{2}(?![\d-])"), _stdnum("br.cpf")),
    _IdFormat(
        re.compile(r"\d(?<!\d\d)\d{2}[ -]?\d{3}[ -]?\d{3}(?![\d])"),
        _stdnum("ca.sin"),
        re.compile(r"(?i)\b(?:sin|social insurance)\b"),
    ),
    _IdFormat(
        re.compile(r"[2-9](?<!\d[2-9])\d{3} ?\d{4} ?\d{4}(?![\d])"),
        _stdnum("in_.aadhaar"),
        re.compile(r"(?i)\baadhaa?r\b|\buid\b"),
    ),
    _IdFormat(re.compile(r"\d(?<![\d/]\d)\d{5}/\d{3,4}(?![\d/])"), _stdnum("cz.rc")),
)


def _valid(check: Callable[[str], bool], value: str) -> bool:
    try:
        return check(value)
    except ValueError:  # stdnum's own errors are ValueErrors: a "no"
        return False


def national_ids(text: str) -> Iterator[Finding]:
    """National identity numbers whose `python-stdnum` checksum (or HMRC's rules) holds: US
    SSN, UK NINO, NL BSN, ES DNI/NIE, DE IdNr, FR NIR, IT codice fiscale, PL PESEL, DK CPR,
    SE personnummer, FI HETU, BE NN, PT NIF, BR CPF, CA SIN, IN Aadhaar, CZ rodné číslo.
    Formats a random number passes too often count only after their keyword."""
    if not any(map(str.isdigit, text)):
        return
    windows = line_windows(text, _ID_LINE)
    for form in _ID_FORMATS:
        for m in (m for lo, hi in windows for m in form.pattern.finditer(text, lo, hi)):
            keyword = form.keywords is None or form.keywords.search(
                text, max(0, m.start() - _ID_CONTEXT), m.start()
            )
            raw = m.group()
            if keyword and _valid(form.valid, raw):
                key = re.sub(r"[\s.\-/+]", "", raw).upper()
                yield Finding(m.start(), m.end(), "national_id", raw, key)
