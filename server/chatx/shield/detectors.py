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

# Kinds a redaction replaces; `name` and `me` come from names.py.
KINDS = (
    "name",
    "me",
    "email",
    "phone",
    "card",
    "iban",
    "ip",
    "url",
    "secret",
    "address",
    "postcode",
    "attachment",
    "label",
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
_PHONE_CANDIDATE = re.compile(r"(?<![\w.\-/])(?:\+|\b|\()\d[\d \t().\-/]{5,22}\d\b")
_NOT_PHONE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T\-]\d{1,4})?|\d{1,2}[./]\d{1,2}[./]\d{2,4}(?: \d{1,2})?"
    r"|\d{1,3}(?:\.\d{1,3}){3}|\d{1,4}(?:\.\d{1,3}){1,2}"
)
MIN_PHONE_DIGITS = 7
MAX_NATIONAL_DIGITS = 12  # longer digit runs are card, account or order numbers
MAX_E164_DIGITS = 15
DEFAULT_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU")


def phone_detector(
    regions: Sequence[str] = DEFAULT_REGIONS,
    leniency: int = phonenumbers.Leniency.VALID,
) -> Detector:
    """Phone numbers in international format, or in the national format of one of `regions`."""
    regions = tuple(r.upper() for r in regions) or ("US",)

    def phones(text: str) -> Iterator[Finding]:
        for candidate in _PHONE_CANDIDATE.finditer(text):
            raw = candidate.group()
            international = raw.startswith("+")
            digits = sum(c.isdigit() for c in raw)
            too_long = digits > (MAX_E164_DIGITS if international else MAX_NATIONAL_DIGITS)
            if digits < MIN_PHONE_DIGITS or too_long or _NOT_PHONE.fullmatch(raw.strip("()")):
                continue
            # Widen by a few characters so the matcher sees the context it checks.
            lo = max(0, candidate.start() - 1)
            window = text[lo : candidate.end() + 1]
            # A `+` and a country code make a phone number even if its range is unallocated.
            level = min(leniency, phonenumbers.Leniency.POSSIBLE) if international else leniency
            for region in regions[:1] if international else regions:
                found = list(phonenumbers.PhoneNumberMatcher(window, region, level))
                if found:
                    for match in found:
                        if sum(c.isdigit() for c in match.raw_string) < MIN_PHONE_DIGITS:
                            continue
                        e164 = phonenumbers.format_number(
                            match.number, phonenumbers.PhoneNumberFormat.E164
                        )
                        yield Finding(
                            lo + match.start, lo + match.end, "phone", match.raw_string, e164
                        )
                    break

    return phones


# --- payment cards and IBANs ---------------------------------------------------------------
_CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")


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
_IPV4 = re.compile(r"(?<![\w.-])(?:\d{1,3}\.){3}\d{1,3}(?![\w-]|\.\d)")
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
_EXTRA_KEYS = (
    r"sk-ant-[A-Za-z0-9_-]{20,}",
    r"sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}",
    r"github_pat_[A-Za-z0-9_]{22,}",
    r"AIza[0-9A-Za-z_-]{35}",
    r"hf_[A-Za-z0-9]{30,}",
    r"npm_[A-Za-z0-9]{36}",
    r"xapp-\d-[A-Za-z0-9-]{20,}",
    r"(?:r|s|p)k_(?:live|test)_[0-9a-zA-Z]{16,}",
    r"glpat-[A-Za-z0-9_-]{20}",
    r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",  # JWT, signature included
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
def _known_key_patterns() -> tuple[re.Pattern[str], ...]:
    patterns: list[re.Pattern[str]] = []
    plugins: list[type[object]] = list(get_mapping_from_secret_type_to_class().values())
    for plugin in plugins:
        if issubclass(plugin, RegexBasedDetector) and plugin.__name__ not in _SKIPPED_PLUGINS:
            detector: RegexBasedDetector = plugin()
            patterns.extend(detector.denylist)
    patterns.extend(re.compile(rf"(?<![\w-]){p}") for p in _EXTRA_KEYS)
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
        for pattern in _known_key_patterns():
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


# --- street addresses and postcodes --------------------------------------------------------
_ADDRESSES = (
    # US / UK / AU style: "221B Baker Street", "1600 Pennsylvania Ave NW, Washington, DC 20500"
    re.compile(
        r"\b\d{1,5}[A-Za-z]?(?:[ ]+[A-Z][a-z]+\.?){1,3}[ ]+"
        r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
        r"|Terrace|Close|Square|Sq|Crescent|Parkway|Pkwy|Highway|Hwy|Loop|Circle|Cir|Trail|Mews"
        r"|Grove|Gardens|Row)\b\.?"
        r"(?:[ ]+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
        r"(?:,?[ ]+(?:Apt|Suite|Unit|Flat|#)\.?[ ]*[\w-]+)?"
        r"(?:,[ ]*[A-Z][a-z]+(?:[ ][A-Z][a-z]+)*,?[ ]+[A-Z]{2}[ ]+\d{5}(?:-\d{4})?)?"
    ),
    # German / Austrian / Swiss: "Musterstraße 12a, 10115 Berlin"
    re.compile(
        r"\b[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*"
        r"(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer)[ ]+\d{1,4}[a-z]?\b"
        r"(?:,?[ ]+\d{4,5}[ ]+[A-ZÄÖÜ][a-zäöüß]+(?:[ ][a-zäöüß]+[ ][A-ZÄÖÜ][a-zäöüß]+)?)?"
    ),
    # French: "12 rue de la Paix, 75002 Paris"
    re.compile(
        r"\b\d{1,4}(?:[ ]?(?:bis|ter))?,?[ ]+"
        r"(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route)"
        r"(?:[ ]+(?:de|du|des|la|le|les|l'|d')?[ ]*[A-ZÉÈ][\w'-]+){1,4}"
        r"(?:,?[ ]+\d{5}[ ]+[A-ZÉÈ][\w-]+)?",
        re.I,
    ),
)
_UK_POSTCODE = re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR)[ ]?\d[ABD-HJLNP-UW-Z]{2}\b")


def addresses(text: str) -> Iterator[Finding]:
    """Street addresses in US/UK, German and French forms, with their postcode and town."""
    for pattern in _ADDRESSES:
        for m in pattern.finditer(text):
            yield Finding(
                m.start(), m.end(), "address", m.group(), " ".join(m.group().split()).casefold()
            )
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
