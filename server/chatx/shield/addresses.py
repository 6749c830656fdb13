"""Street addresses in the forms of the countries whose chats we read.

An address is found from an anchor, then grown over its neighbouring parts:
- anchors: a street with its house number in one of the national word orders ("221B Baker
  Street", "12, rue de la Paix", "Via Roma 12", "Musterstraße 12a", "ul. Kwiatowa 12/3"), a
  post-office box, a US military address, or a postcode that a street line precedes;
- parts it grows over, separated by a comma, spaces or a line break: flat, suite and unit
  designators, the postcode and town in the country's order ("75002 Paris", "1234 AB
  Amsterdam", "00-950 Warszawa", "Springfield, IL 62704", "SW1A 1AA"), and the lines of
  short capitalised words between a street and a postcode (locality, town).
The street types are the national lists (USPS Publication 28 suffixes for the US and UK;
the common street words of France, Spain, Italy, Portugal, Poland, Germany, the Netherlands,
the Nordic countries and the Czech Republic), not the output of any one generator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from chatx.shield.detectors import Finding, line_windows

# fmt: off
_EN_SUFFIXES = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
    "|Terrace|Ter|Close|Square|Sq|Crescent|Cres|Parkway|Pkwy|Highway|Hwy|Loop|Circle|Cir"
    "|Trail|Trl|Mews|Grove|Gardens|Gdns|Row|Alley|Aly|Arcade|Bypass|Byp|Canyon|Cape|Causeway"
    "|Center|Centre|Ctr|Club|Common|Commons|Corner|Corners|Course|Cove|Creek|Crest|Crossing"
    "|Xing|Dale|Dam|Divide|Estate|Estates|Expressway|Expy|Extension|Ext|Falls|Ferry|Field"
    "|Fields|Flat|Flats|Ford|Fords|Forest|Forge|Forges|Fork|Forks|Fort|Freeway|Fwy|Garden"
    "|Gateway|Glen|Glens|Green|Greens|Harbor|Harbors|Harbour|Haven|Heights|Hts|Hill|Hills"
    "|Hollow|Inlet|Island|Islands|Isle|Junction|Junctions|Jct|Key|Keys|Knoll|Knolls|Lake"
    "|Lakes|Land|Landing|Light|Lights|Lock|Locks|Lodge|Manor|Manors|Meadow|Meadows|Mill"
    "|Mills|Mission|Motorway|Mount|Mountain|Mountains|Mtn|Neck|Orchard|Oval|Overpass|Park"
    "|Parks|Pass|Passage|Path|Pike|Pine|Pines|Plain|Plains|Plaza|Point|Points|Port|Ports"
    "|Prairie|Radial|Ramp|Ranch|Rapid|Rapids|Rest|Ridge|Ridges|River|Route|Rte|Run|Shoal"
    "|Shoals|Shore|Shores|Skyway|Spring|Springs|Spur|Spurs|Station|Sta|Stravenue|Stream"
    "|Summit|Throughway|Trace|Track|Trafficway|Tunnel|Turnpike|Underpass|Union|Unions"
    "|Valley|Valleys|Viaduct|View|Views|Village|Villages|Ville|Vista|Walk|Walks|Wall|Well"
    "|Wells|Wharf|Yard|Yards|Parade|Quay|Rise|Vale|Hey|Approach|Broadway|Circus|Drove|End"
    "|Gate|Hall|Side|Wynd|Loaf|Camp|Bluff|Bluffs|Bottom|Branch|Bridge|Brook|Brooks|Burg|Burgs"
    "|Crossroad|Curve|Fall|Hollows|Mall|Mount|Pikes|Plaza|Squares|Terr|Tpke|Trak|Trce|Via"
)
_PREFIX_TYPES = (
    "rue|avenue|av|boulevard|bd|bld|place|pl|chemin|ch|allée|allee|impasse|imp|quai|route|rte"
    "|cours|square|passage|voie|faubourg|fbg|sentier|montée|rond-point|lieu-dit|hameau"
    "|calle|c|c/|avenida|avda|av|paseo|pº|plaza|pza|camino|carretera|ctra|ronda|travesía"
    "|travesia|glorieta|callejón|callejon|cuesta|urbanización|urbanizacion|urb|pasaje|rambla"
    "|carrer|alameda|vial|acceso|cañada|sector|parque|polígono|partida|senda|vereda"
    "|via|viale|v\\.le|piazza|p\\.zza|piazzale|corso|c\\.so|largo|vicolo|vico|strada|contrada"
    "|borgo|rotonda|incrocio|canale|galleria|lungomare|lungotevere|salita|stretto|traversa"
    "|rua|r|travessa|tv|praça|praca|pç|estrada|beco|calçada|calcada|rotunda|viela|azinhaga"
    "|ul|ulica|al|aleja|aleje|pl|plac|os|osiedle|rynek|skwer|bulwar"
    "|náměstí|namesti|nám|třída|trida|nábřeží|nabrezi"
)
_COMPOUND_SUFFIXES = (
    "straße|strasse|str\\.|str|weg|gasse|allee|platz|ring|damm|ufer|pfad|steig|chaussee"
    "|markt|hof|berg|graben|wall|tor|grund|feld|park|promenade|kamp|busch|dorf|heide|stieg"
    "|straat|laan|plein|gracht|kade|singel|dreef|pad|steeg|dijk|hof|wal|markt|baan|veld|park"
    "|gade|vej|allé|plads|stræde|torv|have|bakke|gatan|gata|vägen|väg|gränd|torget|backe|stigen"
    "|allén|leden|veien|gate|gata|vegen|plassen|tie|katu|polku"
)
_DE_LEADS = (
    "Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Zum|Zur|Unter den|Hinter der|Alte|Alter"
    "|Neue|Neuer|Große|Großer|Kleine|Kleiner|Lange|Hohe|Obere|Untere|Vor dem|Bei der|Op de|Op"
    "|De|Het|Oude|Nieuwe|Lange|Korte"
)
_UNITS = (
    "Apt|Apartment|Apartament|Suite|Ste|Unit|Flat|Studio|Room|Rm|Floor|Fl|Building|Bldg|Block"
    "|Lot|Box|#|No|Nr|Nº|n°|Appartamento|App|Int|Interno|Scala|Piano|Piso|Puerta|Pta|Escalera"
    "|Esc|Bajo|Wohnung|Whg|Etage|Stock|Étage|Bâtiment|Bât|Bat|Porte|Appartement|Lok|Lokal|m"
    "|Andar|Fração|Dto|Esq|Bus|Postbus"
)
# fmt: on
_CAP = r"[A-ZÀ-ÖØ-ÞĀ-ſ]"  # an upper-case letter, Latin scripts
_WORDCH = r"[\w'’.-]"
_LINKS = (
    "de|la|le|les|du|des|del|della|di|dei|da|dos|das|do|von|van|der|den|am|an|upon|on|in|sur"
    "|en|y|l'|d'"
)
# A word of a street or town name: capitalised, an ordinal, or a linking particle.
_NAME_WORD = rf"(?:{_CAP}{_WORDCH}*|\d+(?:st|nd|rd|th)|(?:{_LINKS})(?=[ ]))"
_NUMBER = r"(?:\d{1,5}[A-Za-z]?(?:[ ]?[/-][ ]?\d{1,4}[A-Za-z]?)?|S/N)"

# The street types `_NO_NUMBER` starts with: these in any case, and those only capitalised
# ("Av" also as "Av."); `_may_name_street_type` looks for them before the regex runs.
_NO_NUMBER_TYPES = (
    "rue", "avenue", "boulevard", "chemin", "allée", "impasse", "quai", "calle", "avenida",
    "paseo", "camino", "carrer", "rambla", "viale", "piazza", "piazzale", "vicolo", "rua",
    "travessa", "praça", "alameda", "ulica", "aleja", "ul.", "al.",
)  # fmt: skip
_NO_NUMBER_CAPITALISED = ("Via", "Largo", "Corso", "Plaza", "Av")
# "rue Gabriel Ruiz", "Alameda Azevedo, S/N": a street type no other word shares
_NO_NUMBER = re.compile(
    rf"(?<![\w])(?:(?i:{'|'.join(map(re.escape, _NO_NUMBER_TYPES))})"
    rf"|{'|'.join(_NO_NUMBER_CAPITALISED)}\.?)(?:[ ]+{_NAME_WORD}){{1,4}}"
    r"(?:,?[ ]+S/N\b)?"
)
_STREETS = (
    # (`\d(?<!\w\d)` is `\b\d` with the digit first: see `detectors._DIGIT_LINE`)
    # "221B Baker Street", "857 Bell Stream Suite 735", "1600 Pennsylvania Ave NW"
    re.compile(
        rf"\d(?<!\w\d)\d{{0,4}}[A-Za-z]?(?:-\d{{1,5}})?,?(?:[ ]+{_NAME_WORD}){{1,4}}"
        rf"[ ]+(?:{_EN_SUFFIXES})s?\b\.?(?:[ ]+(?:NW|NE|SW|SE|N|S|E|W)\b\.?)?"
    ),
    # "12, rue de la Paix", "98 boulevard Margot Vaillant", "7 bis avenue Foch"
    re.compile(
        rf"\d(?<!\w\d)\d{{0,3}}(?:[ ]?(?:bis|ter|[A-Za-z]))?,?[ ]+(?i:{_PREFIX_TYPES})\.?"
        rf"(?:[ ]+{_NAME_WORD}){{1,5}}"
    ),
    # "Via Roma 12", "Plaza Gabriel Morcillo 92", "ul. Norwida 02/5", "Largo Ivo Brito, 68"
    re.compile(
        rf"(?<![\w])(?i:{_PREFIX_TYPES})\.?(?:[ ]+{_NAME_WORD}){{1,5}},?[ ]+"
        rf"(?:n[º°.]?[ ]?)?{_NUMBER}\b"
    ),
    # "Musterstraße 12a", "Wähnerstr. 69/85", "Kerkstraat 12", "Ottiliavej 98"
    re.compile(
        rf"\b(?:{_CAP}[\w'’-]*[ ])?{_CAP}[\w'’-]*?(?i:{_COMPOUND_SUFFIXES})\.?,?[ ]+"
        rf"{_NUMBER}\b"
    ),
    # "Byglands Allé 12", "Lange Voorhout 5": the street type as a word of its own
    re.compile(
        rf"\b{_CAP}[\w'’-]+(?:[ ]{_CAP}[\w'’-]+)?[ ](?i:allé|alle|vej|gade|plads|vei|gate|gata"
        rf"|vägen|väg|straße|strasse|straat|laan|weg|platz|ring|gracht|kade|plein)[ ]+{_NUMBER}\b"
    ),
    _NO_NUMBER,
    # "Alte Straße 5", "Am Markt 3", "Hans-Böckler-Straße 7"
    re.compile(rf"\b(?:{_DE_LEADS})[ ]+{_CAP}[\w'’.-]+(?:[ ]+{_CAP}[\w'’.-]+)?[ ]+{_NUMBER}\b"),
    # PO boxes and US military addresses
    re.compile(
        r"(?i:\bP\.?[ ]?O\.?[ ]?Box|\bPost[ ]Office[ ]Box|\bPostfach|\bBo[iî]te[ ]postale"
        r"|\bB\.?P\.?|\bApartado(?:[ ]de[ ]correos)?|\bCasella[ ]postale|\bPostbus"
        r"|\bSkrytka[ ]pocztowa)"
        r"[ ]*\d{1,6}\b"
    ),
    re.compile(r"\b(?:PSC|Unit|CMR)[ ]\d{3,5},?[ ]Box[ ]\d{3,5}\b|\bUS[NS]{1,2}[ ][A-Z][a-z]+\b"),
)
_UNIT = rf"(?:{_UNITS})\.?[ ]*[#]?[\w-]{{1,6}}"  # Apt 5, Suite 735, Flat 2
_UNIT_PART = re.compile(_UNIT)
_L = r"[^\W\d_]"
_TOWN_WORD = rf"{_CAP}(?![A-Z\d])(?:{_L}|['’])*"
# Lower-case words inside a town's name: "Saint Alex-les-Bains", "Lipník nad Bečvou".
_TOWN_LINKS = "sur|sous|les|lès|le|la|de|del|della|di|do|da|dos|das|am|nad|pod|upon|aan|den|op|ter"
_TOWN_WORDS = (
    rf"(?:'s-)?{_TOWN_WORD}(?:(?:[ -]|[ -](?:{_TOWN_LINKS})[ -]){_TOWN_WORD}){{0,4}}"
    r"(?:[ ]\([A-Z]{2}\))?"
)
_STREETS_WITHOUT_NUMBER = (_NO_NUMBER,)
_POSTCODE_TOWN = (
    r"(?:\d{5}|\d{4}[ ]?[A-Z]{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{3}[ ]\d{2}|[A-Z]{1,2}-?\d{4,5}|\d{4})"
    rf",?[ ]+{_TOWN_WORDS}"
)
_TAILS = re.compile(
    "|".join(
        (
            _UNIT,
            _POSTCODE_TOWN,  # 75002 Paris, 1234 AB Amsterdam, 00-950 Warszawa
            # Springfield, IL 62704
            rf"{_TOWN_WORD}(?:[ ]{_TOWN_WORD}){{0,3}},?[ ]+[A-Z]{{2}}[ ]+\d{{5}}(?:-\d{{4}})?",
            r"[A-Z]{2}[ ]+\d{5}(?:-\d{4})?",  # ", IL 62704"
            r"(?:APO|FPO|DPO)[ ][A-Z]{2}[ ]\d{5}",
            rf"{_TOWN_WORD}(?:[ ]{_TOWN_WORD}){{0,3}},?[ ]+\d{{4,5}}\b",  # Málaga, 45202
            r"(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR)[ ]?\d[ABD-HJLNP-UW-Z]{2}",  # UK postcode
            r"\d{4}[ ]?[A-Z]{2}",  # NL postcode alone on its line
        )
    )
)
_TOWN = re.compile(_TOWN_WORDS)
_POSTCODE_ANCHORS = re.compile(
    r"(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR)[ ]\d[ABD-HJLNP-UW-Z]{2}\b"  # UK
    r"|(?<![\d-])(?:\d{5}|\d{4}[ ][A-Z]{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{3}[ ]\d{2})"
    rf",?[ ]+{_TOWN_WORDS}"
)
_BARE_POSTCODE = re.compile(r"(?:\d{4}[ ]?[A-Z]{2}|\d{4,5}|[A-Z]\d[A-Z\d]?[ ]\d[A-Z]{2})$")
_SEPARATOR = re.compile(r",?[ \t]+|,?[ \t]*\n[ \t]*|,")
_PREVIOUS_LINE = re.compile(
    rf"(?:{_UNIT}|(?:{_NAME_WORD}|{_NUMBER})(?:,?[ ]+(?:{_NAME_WORD}|{_NUMBER})){{0,5}})"
)
_NUMBERED_LINE = re.compile(r"^.*(?:\d|S/N|US[NS]).*\n?", re.M)
MAX_PARTS = 4


def addresses(text: str) -> Iterator[Finding]:
    """Street addresses with their units, postcode and town, across commas and lines."""
    digits = any(map(str.isdigit, text))
    # Anchors never span lines, and all but the streets without a number hold a digit (or
    # "S/N", "USS"): they are searched on the lines that have one only.
    windows = line_windows(text, _NUMBERED_LINE) if digits else []
    spans: list[tuple[int, int]] = []
    for pattern in _STREETS if digits else _STREETS_WITHOUT_NUMBER:
        if pattern is _NO_NUMBER:
            if not _may_name_street_type(text):
                continue
            found: Iterator[re.Match[str]] = pattern.finditer(text)
        else:
            found = (m for lo, hi in windows for m in pattern.finditer(text, lo, hi))
        for m in found:
            start = _grow_left(text, m.start(), units_only=True)
            spans.append((start, _grow_right(text, m.end())))
    anchors = (m for lo, hi in windows for m in _POSTCODE_ANCHORS.finditer(text, lo, hi))
    for m in anchors:
        start = _grow_left(text, m.start(), units_only=False)
        if start < m.start():
            spans.append((start, _grow_right(text, m.end())))
    for start, end in _merge(spans):
        value = text[start:end]
        yield Finding(start, end, "address", value, " ".join(value.split()).casefold())


def _may_name_street_type(text: str) -> bool:
    """False when `text` holds none of the street types `_NO_NUMBER` starts with (a quick
    substring test that spares the regex most texts). Only ASCII text is tested: there
    lower-casing is exactly what a case-insensitive match compares; other text may."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(t in lowered for t in _NO_NUMBER_TYPES) or any(
        t in text for t in _NO_NUMBER_CAPITALISED
    )


def _grow_right(text: str, end: int) -> int:
    """Extend over unit, postcode and town parts; town-only parts count when a postcode
    follows them."""
    best = end
    position = end
    pending = 0  # town-like parts waiting for a postcode
    for _ in range(MAX_PARTS + 2):
        gap = _SEPARATOR.match(text, position)
        if gap is None:
            break
        if "\n" in gap.group() and gap.group().count("\n") > 1:
            break
        after = gap.end()
        tail = _TAILS.match(text, after)
        if tail is not None and _boundary(text, tail.end()):
            position = best = tail.end()
            pending = 0
            continue
        town = _TOWN.match(text, after)
        if town is None or pending >= 2 or not _boundary(text, town.end()):
            break
        position = town.end()
        pending += 1
    if text[best : best + 1] == "\n" and _BARE_POSTCODE.search(text, max(0, best - 8), best):
        town = _TOWN.match(text, best + 1)
        if town is not None and _line_end(text, town.end()):
            return town.end()  # a town alone on the line after its postcode ("7572 TV\nSpankeren")
    return best


def _grow_left(text: str, start: int, *, units_only: bool) -> int:
    """Extend over the lines or comma parts before an anchor: unit parts ("Flat 1"), and for a
    postcode also the street and locality parts that precede it. A part that starts in prose
    ("the address is Studio 9") contributes its address-like end and stops the growth."""
    position = start
    for _ in range(MAX_PARTS):
        before = text[:position]
        stripped = before.rstrip(" \t,\n")
        gap = before[len(stripped) :]
        if (
            not stripped
            or gap.count("\n") > 1
            or gap.count(",") > 1
            or ("\n" not in gap and "," not in gap)
        ):
            break
        line_start = max(stripped.rfind("\n"), stripped.rfind(","), stripped.rfind(":")) + 1
        part = stripped[line_start:]
        suffix = _address_suffix(part)
        if suffix is None:
            break
        is_unit = _UNIT_PART.fullmatch(suffix) is not None
        if units_only and not is_unit:
            break
        position = line_start + len(part) - len(suffix)
        if len(suffix) < len(part.strip()):
            break  # the part began in prose
    return position


def _address_suffix(part: str) -> str | None:
    """The longest end of `part` (at most six words) that reads as an address line."""
    starts = [m.start() for m in re.finditer(r"\S+", part)]
    for start in starts[-6:]:
        candidate = part[start:].strip()
        if len(candidate) <= 48 and _PREVIOUS_LINE.fullmatch(candidate):
            return candidate
    return None


def _boundary(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] == "@")


def _line_end(text: str, end: int) -> bool:
    rest = text[end : end + 2]
    return not rest or rest[0] in "\n,.;"


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
