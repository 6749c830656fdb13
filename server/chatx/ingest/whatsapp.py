"""WhatsApp `.txt` exports: Android and iOS layouts, any date order, 12/24 h, localized am/pm."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, tzinfo

from chatx.ingest.common import Extracted, localize, stable_id
from chatx.models import Attachment, Message, SourceRef

PLATFORM = "whatsapp"
SIGNAL = "signal"
_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"
_SPACE = r"[ \u00a0\u202f\u2009]"

HEADER = re.compile(
    rf"^[{_MARKS}]*\[?{_SPACE}*"
    r"(?P<a>\d{1,4})[./\-]" + _SPACE + r"?(?P<b>\d{1,4})[./\-]" + _SPACE + r"?(?P<c>\d{1,4})\.?"
    rf",?{_SPACE}*(?:klo{_SPACE}+)?"
    r"(?P<hh>\d{1,2})[:.](?P<mm>\d{2})(?:[:.](?P<ss>\d{2}))?"
    rf"(?:[{_SPACE[1:-1]}_]*(?P<ampm>[aApP])\.?{_SPACE}?[mM]\.?)?"
    rf"{_SPACE}*\]?{_SPACE}*(?:[-:]{_SPACE}+|(?=\S))"
    rf"(?:~{_SPACE}*)?(?P<rest>.*)$"
)
# No seconds: WhatsApp's bracketed (iOS) layout always has them.
_SIGNAL_HEADER = re.compile(r"^\[\d{4}-\d{2}-\d{2},? \d{1,2}:\d{2}\] ")
_AUTHOR = re.compile(r"^(?P<sender>[^:\n]{1,80}?):(?:[ \u00a0](?P<text>.*)|$)", re.DOTALL)

_OMITTED = re.compile(
    r"^<?(?P<kind>image|video|audio|sticker|GIF|document|Contact card|Media)"
    r" omitted>?$",
    re.IGNORECASE,
)
_ATTACHED = (
    re.compile(r"^<\s*attached:\s*(?P<name>[^>]+?)\s*>$"),
    re.compile(r"^(?P<name>\S.*?)\s*<\s*attached\s*>$"),
    re.compile(
        r"^(?P<name>\S+\.\w{2,5})\s*\((?:file attached|Datei angehängt|archivo adjunto"
        r"|fichier joint|file allegato|arquivo anexado|bestand bijgevoegd)\)$"
    ),
)
_PLACEHOLDER_MAX = 500  # attachment placeholders are a file name long; longer lines are text
_KIND_BY_HINT = (
    ("image", ("PHOTO", "IMG", ".jpg", ".jpeg", ".png", ".webp", ".gif")),
    ("video", ("VIDEO", "VID", ".mp4", ".mov")),
    ("audio", ("AUDIO", "PTT", ".opus", ".mp3", ".m4a", ".ogg")),
)


@dataclass(frozen=True)
class _Header:
    line_no: int
    a: int
    b: int
    c: int
    time: tuple[int, int, int]
    ampm: str | None
    raw_stamp: str
    rest: str
    dotted: bool


def looks_like_whatsapp(lines: list[str]) -> bool:
    """True when most of the first non-empty lines that start a message match a header."""
    sample = [line for line in lines[:40] if line.strip()]
    if not sample:
        return False
    hits = sum(1 for line in sample if HEADER.match(line))
    return HEADER.match(sample[0]) is not None and hits * 2 >= min(len(sample), 10)


def looks_like_signal(lines: list[str]) -> bool:
    """True for signal-export's text layout: `[2019-12-24, 12:23] Jane: …`, year first with
    dashes, a layout WhatsApp never writes."""
    first = next((line for line in lines[:40] if line.strip()), "")
    return _SIGNAL_HEADER.match(first) is not None


def parse_whatsapp(
    lines: list[str], source: str, zone: tzinfo | None, platform: str = PLATFORM
) -> Extracted:
    """Parse the lines of a WhatsApp export (or Signal's, which shares its layout) into
    canonical messages."""
    result = Extracted(format=platform, kind="chat")
    blocks: list[tuple[_Header, list[str]]] = []
    for number, line in enumerate(lines, start=1):
        header = _match_header(line, number)
        if header is not None:
            blocks.append((header, [header.rest]))
        elif blocks:
            blocks[-1][1].append(line)
    day_first = _infer_day_first([header for header, _ in blocks])
    conv_id = stable_id(platform, source)
    seen: Counter[tuple[str, str | None, str]] = Counter()
    for header, body in blocks:
        while len(body) > 1 and not body[-1].strip():
            body.pop()
        where = f"{source}:{header.line_no}"
        timestamp, bad_date = _timestamp(header, day_first, zone)
        if bad_date:
            result.add_problem(
                f"line {header.line_no}: date '{header.raw_stamp}' {bad_date}; "
                "message kept without a time",
                where,
            )
        message = result.guard(
            where,
            f"line {header.line_no}",
            _to_message,
            header,
            body,
            timestamp,
            conv_id,
            source,
            seen,
            platform,
        )
        if message is not None:
            result.messages.append(message)
    return result


def _match_header(line: str, number: int) -> _Header | None:
    match = HEADER.match(line)
    if match is None:
        return None
    a, b, c = (int(match[name]) for name in ("a", "b", "c"))
    stamp_end = match.start("rest")
    return _Header(
        line_no=number,
        a=a,
        b=b,
        c=c,
        time=(int(match["hh"]), int(match["mm"]), int(match["ss"] or 0)),
        ampm=match["ampm"].lower() if match["ampm"] else None,
        raw_stamp=line[:stamp_end].strip(_MARKS + " []-~\u00a0\u202f").rstrip(":"),
        rest=match["rest"],
        dotted="." in line[match.start("a") : match.end("c")],
    )


def _infer_day_first(headers: list[_Header]) -> bool:
    """Day-first or month-first, decided once per file from all of its dates."""
    pairs = [(h.a, h.b) for h in headers if h.a <= 31 and h.b <= 31]
    if any(a > 12 for a, _ in pairs):
        return True
    if any(b > 12 for _, b in pairs):
        return False
    changes_a = sum(1 for (a1, _), (a2, _) in itertools.pairwise(pairs) if a1 != a2)
    changes_b = sum(1 for (_, b1), (_, b2) in itertools.pairwise(pairs) if b1 != b2)
    if changes_a != changes_b:
        return changes_a > changes_b
    uses_ampm = any(h.ampm for h in headers)
    dotted = any(h.dotted for h in headers)
    return dotted or not uses_ampm


def _to_datetime(header: _Header, day_first: bool) -> datetime | None:
    a, b, c = header.a, header.b, header.c
    if a > 31:
        year, candidates = a, [(b, c)]
    elif b > 31:
        year, candidates = b, [(a, c), (c, a)]
    else:
        year = c
        candidates = [(b, a), (a, b)] if day_first else [(a, b), (b, a)]
    if year < 100:
        year += 2000
    hour, minute, second = header.time
    if header.ampm == "a" and hour == 12:
        hour = 0
    elif header.ampm == "p" and hour < 12:
        hour += 12
    for month, day in candidates:
        try:
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            continue
    return None


def _timestamp(
    header: _Header, day_first: bool, zone: tzinfo | None
) -> tuple[datetime | None, str | None]:
    """The message time, or None and why the stamp is no time."""
    naive = _to_datetime(header, day_first)
    if naive is None:
        return None, "is not a valid date and time"
    local = localize(naive, zone)
    if local is None:
        return None, "is out of range"
    return local, None


def _to_message(
    header: _Header,
    body: list[str],
    timestamp: datetime | None,
    conv_id: str,
    source: str,
    seen: Counter[tuple[str, str | None, str]],
    platform: str,
) -> Message:
    author = _AUTHOR.match("\n".join(body))
    sender = author["sender"].strip(_MARKS + " ") if author else None
    raw_text = (author["text"] or "") if author else "\n".join(body)
    text = raw_text.replace("\u200e", "").replace("\u200f", "").strip()
    key = (header.raw_stamp, sender, text)
    seen[key] += 1
    meta: dict[str, object] = {"timestamp_raw": header.raw_stamp}
    if sender is None:
        meta["system"] = True
    if text == "This message was deleted":
        meta["deleted"] = True
    return Message(
        msg_id=stable_id(platform, conv_id, *key, seen[key]),
        conv_id=conv_id,
        platform=platform,
        timestamp=timestamp,
        sender=sender,
        sender_id=sender,
        text=text,
        attachments=_attachments(text),
        source_ref=SourceRef(
            path=source, line=header.line_no, line_end=header.line_no + len(body) - 1
        ),
        source_meta=meta,
    )


def _attachments(text: str) -> list[Attachment]:
    first_line = text.split("\n", 1)[0].strip()
    if len(first_line) > _PLACEHOLDER_MAX:
        return []
    omitted = _OMITTED.match(first_line)
    if omitted:
        kind = omitted["kind"].lower()
        return [Attachment(kind={"gif": "image", "contact card": "contact"}.get(kind, kind))]
    for pattern in _ATTACHED:
        attached = pattern.match(first_line)
        if attached:
            name = attached["name"].strip()
            return [Attachment(kind=_kind_of(name), name=name)]
    if text.startswith("POLL:"):
        question = text.split("\n", 2)[1] if "\n" in text else None
        return [Attachment(kind="poll", name=question)]
    return []


def _kind_of(name: str) -> str:
    for kind, hints in _KIND_BY_HINT:
        if any(hint in name or hint in name.lower() for hint in hints):
            return kind
    return "document"
