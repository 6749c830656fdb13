"""No bad record sinks a file: every parser under random damage to every corpus sample.

Each sample of ../shared/corpus is truncated, has bytes flipped, and (for JSON) has one value
swapped for a value of another type. Whatever the damage, parsing raises nothing but
ChatxError (a file-level problem), and the records the damage did not touch come out the
same as before. Deterministic cases pin down each failure a robustness probe found.
"""

from __future__ import annotations

import codecs
import copy
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.exports import chatgpt_conv

from chatx.ingest import extract, extract_text
from chatx.ingest.common import MAX_PROBLEMS, Extracted
from chatx.ingest.textio import decode_bytes
from chatx.problems import ChatxError

SEED = 20240613
ROUNDS = 12  # per sample and kind of damage; about 5 s for the whole corpus

HUGE, NAN, DEEP, LONE = "@@huge@@", "@@nan@@", "@@deep@@", "@@lone@@"
SWAPS: tuple[Any, ...] = (
    "a string",
    "",
    ["a", 1],
    [],
    7,
    -1,
    {"k": "v"},
    {},
    None,
    True,
    1e20,
    HUGE,
    NAN,
    DEEP,
    LONE,
)
MARKERS = {
    json.dumps(HUGE): "9" * 5000,
    json.dumps(NAN): "NaN",
    json.dumps(DEEP): "[" * 5000 + "]" * 5000,
    json.dumps(LONE): '"lone \\ud800 surrogate"',
}

# (format, sample directory, glob, shape of the JSON: list, loglines or jsonl; None for text)
SAMPLES: list[tuple[str, str, str, str | None]] = [
    ("chatgpt", "chatgpt", "*.json", "list"),
    ("claude", "claude", "chatlore_claude_ai_conversations.json", "list"),
    ("claude-code", "claude", "*.jsonl", "jsonl"),
    ("claude-code", "claude", "simonw_claude_web_session_loglines.json", "loglines"),
    ("whatsapp", "whatsapp", "*.txt", None),
    ("markdown", "whatsapp/_reference_docs", "*.md", None),
]


def samples(corpus: Path, fmt: str) -> Iterator[tuple[Path, str | None]]:
    found = False
    for name, folder, pattern, shape in SAMPLES:
        if name == fmt:
            for path in sorted((corpus / folder).glob(pattern)):
                found = True
                yield path, shape
    if not found:
        pytest.skip(f"no {fmt} samples in {corpus}")


def parse(data: bytes | str, fmt: str = "auto", name: str = "sample") -> Extracted | None:
    """Parse bytes (through decoding) or text; None for a file-level problem, which is legal.

    Any other exception propagates and fails the test.
    """
    if isinstance(data, str):
        try:
            return extract_text(data, name, UTC, fmt)
        except ChatxError:
            return None
    try:
        return extract(Path(name), name, UTC, fmt, data=data)
    except ChatxError:
        return None


def keys(result: Extracted | None) -> Counter[tuple[object, ...]]:
    if result is None:
        return Counter()
    if result.kind == "doc":
        return Counter((s.heading_path, s.line_start, s.lines) for s in result.sections)
    # WhatsApp reads day/month order from the whole file, so damage may move other times
    timed = result.format != "whatsapp"
    return Counter(
        (m.conv_id, m.source_ref.guid, m.sender, m.text, m.timestamp if timed else None)
        for m in result.messages
    )


def assert_survive(expected: Extracted | None, actual: Extracted | None, what: str) -> None:
    missing = keys(expected) - keys(actual)
    assert not missing, f"{what}: lost {len(missing)} untouched records, e.g. {next(iter(missing))}"


def flip(data: bytes, rng: random.Random, start: int = 0, end: int | None = None) -> bytes:
    """`data` with one to three bytes in [start, end) replaced by random bytes (callers keep
    line ends out of the range: a flipped line end joins two lines, damaging both)."""
    end = len(data) if end is None else end
    mutable = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if end > start:
            mutable[rng.randrange(start, end)] = rng.randrange(256)
    return bytes(mutable)


# --- JSON shapes: one record per line, so records and lines map one to one ---------------------


def load_records(path: Path, shape: str) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    if shape == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()[:1] == "{"]
    value = json.loads(text)
    return value["loglines"] if shape == "loglines" else value


def render(records: list[Any], shape: str) -> str:
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    for marker, raw in MARKERS.items():
        lines = [line.replace(marker, raw) for line in lines]
    if shape == "jsonl":
        return "\n".join(lines) + "\n"
    body = "[\n" + ",\n".join(lines) + "\n]"
    return '{"loglines": ' + body + "}" if shape == "loglines" else body


def slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) inside `value`, for a swap of the value stored there."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            found.append((item, key))
            if isinstance(child, dict | list):
                stack.append(child)
    return found


def swap_one(record: Any, rng: random.Random) -> Any:
    """A copy of `record` with one value (or the record itself) replaced by another type."""
    holder = [copy.deepcopy(record)]
    container, key = rng.choice(slots(holder))
    original = container[key]
    choices = [v for v in SWAPS if type(v) is not type(original) or v == {} or v == []]
    container[key] = rng.choice(choices)
    return holder[0]


def json_rounds(
    path: Path, shape: str, rng: random.Random
) -> Iterator[tuple[str, bytes | str, str]]:
    """(label, damaged text or bytes, text whose records must all survive in the damaged)."""
    records = load_records(path, shape)
    if not records:
        return
    for _ in range(ROUNDS):
        index = rng.randrange(len(records))
        damaged = [*records[:index], swap_one(records[index], rng), *records[index + 1 :]]
        blanked = [*records[:index], None, *records[index + 1 :]]
        yield f"swap in record {index}", render(damaged, shape), render(blanked, shape)
    if shape == "loglines":
        return  # one JSON object: a cut or flip may fail the whole file, which is legal
    raw = render(records, shape).encode("utf-8")
    line_offsets = [0]
    for line in raw.split(b"\n"):  # one record per line; JSON strings hold no raw LF
        line_offsets.append(line_offsets[-1] + len(line) + 1)
    first = 1 if shape == "list" else 0
    for kind in ("cut", "flip"):
        for _ in range(ROUNDS):
            index = rng.randrange(len(records))
            start = line_offsets[first + index]
            end = line_offsets[first + index + 1] - 1  # the LF stays, so lines stay apart
            if shape == "list":
                end -= 1  # and so does the comma (or the last record's close)
            if kind == "cut":
                damaged = raw[: rng.randrange(start, end)]
            else:
                damaged = flip(raw, rng, start, end)
            if kind == "flip" and shape == "jsonl":  # a JSONL line breaks alone
                kept = [*records[:index], None, *records[index + 1 :]]
            else:  # a list is read up to the damage
                kept = records[:index]
            yield f"{kind} in record {index}", damaged, render(kept, shape) if kept else ""


@pytest.mark.parametrize("fmt", ["chatgpt", "claude", "claude-code"])
def test_damaged_json_exports_keep_their_untouched_records(corpus: Path, fmt: str) -> None:
    rng = random.Random(SEED)
    for path, shape in samples(corpus, fmt):
        assert shape is not None
        for label, damaged, intact in json_rounds(path, shape, rng):
            what = f"{path.name}: {label}"
            actual = parse(damaged, fmt)
            expected = parse(intact, fmt) if intact else None
            assert_survive(expected, actual, what)
            parse(damaged)  # auto-detection must not raise either


# --- Text formats: a damaged line touches its own message (or section) and the one before ------


def text_rounds(data: bytes, rng: random.Random) -> Iterator[tuple[str, bytes, int]]:
    """(label, damaged bytes, 1-based first damaged line)."""
    lines = data.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for kind in ("cut", "flip", "garbage"):
        for _ in range(ROUNDS):
            index = rng.randrange(len(lines))
            start, end = offsets[index], offsets[index] + len(lines[index].rstrip(b"\r\n"))
            if kind == "cut":
                damaged = data[: rng.randrange(start, end + 1)]
            elif kind == "flip":
                damaged = flip(data, rng, start, end)
            else:
                junk = rng.choice(
                    [
                        b"31/02/9999, 25:61 - X: impossible date",
                        b"13/13/24, 9:01 AM - Ben: month 13",
                        b"\xff\xfe\xfd not text \xc3",
                        b"bad \xff\xfe\xfd not text \xc3",
                        b"\x1b[31m coloured \x1b[0m",
                        b"# " + b" " * 20000 + b"x",
                    ]
                )
                damaged = data[:start] + junk + data[end:]
            yield f"{kind} in line {index + 1}", damaged, index + 1


def untouched(result: Extracted, line: int, cut: bool) -> Extracted:
    """The records of `result` that damage to `line` cannot have changed.

    A record runs until the next one starts (blank lines trimmed), so damage touches the
    record it falls in and, if it makes or breaks a heading, the one before. A heading can
    span up to three lines (an RST title with overline), and a damaged doc line can open a
    code fence that hides every later heading, so a doc keeps only what ends well before.
    """
    kept = Extracted(result.format, result.kind)
    if result.kind == "doc":
        starts = [s.line_start for s in result.sections]
        kept.sections = [
            s for s, nxt in zip(result.sections, starts[1:], strict=False) if nxt <= line - 3
        ]
        return kept
    starts = [m.source_ref.line or 0 for m in result.messages]
    for message, start, nxt in zip(result.messages, starts, [*starts[1:], None], strict=True):
        if (nxt is not None and nxt <= line - 1) or (not cut and start > line):
            kept.messages.append(message)
    return kept


@pytest.mark.parametrize("fmt", ["whatsapp", "markdown"])
def test_damaged_text_files_keep_their_untouched_records(corpus: Path, fmt: str) -> None:
    rng = random.Random(SEED)
    for path, _ in samples(corpus, fmt):
        data = path.read_bytes()
        original = parse(data, fmt, path.name)
        assert original is not None
        for label, damaged, line in text_rounds(data, rng):
            actual = parse(damaged, fmt, path.name)
            expected = untouched(original, line, cut=label.startswith("cut"))
            assert_survive(expected, actual, f"{path.name}: {label}")
            parse(damaged, "auto", path.name)


@pytest.mark.parametrize("fmt", ["chatgpt", "claude", "claude-code", "whatsapp", "markdown"])
def test_raw_bytes_damage_never_raises(corpus: Path, fmt: str) -> None:
    rng = random.Random(SEED)
    for path, _ in samples(corpus, fmt):
        data = path.read_bytes()
        for _ in range(ROUNDS):
            parse(data[: rng.randrange(1, len(data))], "auto", path.name)
            parse(flip(data, rng), "auto", path.name)
            parse(flip(data, rng), fmt, path.name)


# --- Deterministic cases -----------------------------------------------------------------------


def chatgpt_file(second: dict[str, Any]) -> str:
    """Three conversations, one per line; the middle one's reply is `second`."""
    convs = [chatgpt_conv(0), chatgpt_conv(1, second), chatgpt_conv(2)]
    return render(convs, "list")


@pytest.mark.parametrize(
    ("second", "messages", "details"),
    [
        ({"content": "plain text content"}, 6, ["'content' is a string"]),
        ({"content": {"content_type": "text", "parts": ["x", 5]}}, 6, ["part 1 (a number)"]),
        ({"content": {"content_type": "text", "parts": [None, {}]}}, 6, []),
        ({"content": {"content_type": "text", "parts": 5}}, 5, ["'parts' (a number)"]),
        ({"content": 42}, 5, ["'content' is a number"]),
        ({"author": "assistant", "metadata": [1]}, 6, []),
        ({"create_time": 1e20}, 6, ["create_time 1e+20 is not a time"]),
        ({"create_time": NAN}, 6, ["create_time nan is not a time"]),
        ({"create_time": HUGE}, 6, ["create_time inf is not a time"]),
        ({"create_time": "yesterday"}, 6, ["create_time 'yesterday' is not a time"]),
        ({"metadata": {"deep": DEEP}}, 6, ["nested deeper than 100 levels dropped"]),
        (
            {"content": {"content_type": "text", "parts": [DEEP]}},
            5,
            ["nested deeper than 100 levels dropped", "part 0 (an array) left out"],
        ),
        ({"id": ["not", "a", "string"]}, 6, []),
    ],
)
def test_chatgpt_bad_message_is_a_problem_with_a_line(
    second: dict[str, Any], messages: int, details: list[str]
) -> None:
    result = extract_text(chatgpt_file(second), "c.json")
    assert result.format == "chatgpt"
    assert len(result.messages) == messages
    assert {m.text for m in result.messages} >= {"question 0", "answer 0", "answer 2"}
    assert len(result.problems) == len(details), result.problems
    for problem, detail in zip(result.problems, details, strict=True):
        assert detail in problem.detail
        assert problem.instance == "c.json:3"  # the line of conversation 1


def test_chatgpt_out_of_range_time_keeps_the_message_without_one() -> None:
    result = extract_text(chatgpt_file({"create_time": 1e20}), "c.json")
    reply = next(m for m in result.messages if m.source_ref.guid == "b1")
    assert reply.timestamp is None and reply.text == "answer 1"


def test_chatgpt_conversation_of_the_wrong_type_is_skipped() -> None:
    convs = [chatgpt_conv(0), 17, chatgpt_conv(2), {"mapping": {"a": 5, "b": [1]}}]
    result = extract_text(render(convs, "list"), "c.json", fmt="chatgpt")
    assert len(result.messages) == 4
    assert [(p.instance, p.detail) for p in result.problems] == [
        ("c.json:3", "conversation 1 has no message tree ('mapping')")
    ]


def test_truncated_export_keeps_the_complete_conversations() -> None:
    text = render([chatgpt_conv(0), chatgpt_conv(1), chatgpt_conv(2)], "list")
    cut = text[: text.index('"conversation_id": "c2"')]
    result = extract_text(cut, "c.json")
    assert [m.text for m in result.messages] == ["question 0", "answer 0", "question 1", "answer 1"]
    assert len(result.problems) == 1
    assert result.problems[0].instance == "c.json:4"
    assert "the 2 records before it are kept" in result.problems[0].detail


def test_lone_surrogate_escape_is_repaired_at_read_time() -> None:
    text = chatgpt_file({"content": {"content_type": "text", "parts": [LONE]}})
    text = text.replace('"title": "t1"', '"title": "t\\udfff1", "\\ud800key": 1')
    result = extract_text(text, "c.json")
    reply = next(m for m in result.messages if m.source_ref.guid == "b1")
    assert reply.text == "lone \ufffd surrogate"
    assert reply.source_meta["title"] == "t\ufffd1"
    assert result.problems == []
    for message in result.messages:
        message.model_dump_json().encode("utf-8")  # strict: no surrogate left anywhere


def test_claude_ai_bad_messages_are_problems() -> None:
    def msg(uuid: Any, text: Any, created: Any = "2025-01-01T00:00:00Z") -> dict[str, Any]:
        return {"uuid": uuid, "sender": "human", "text": text, "created_at": created}

    convs = [
        {"uuid": "c0", "name": "ok", "chat_messages": [msg("m0", "hello"), msg("m1", "world")]},
        {
            "uuid": "c1",
            "name": {"not": "a name"},
            "chat_messages": [
                msg(["list"], "uuid is a list"),
                msg("m3", {"text": "is an object"}),
                msg("m4", "far future", "9999-12-31T23:00:00-05:00"),
                msg("m5", "bad date", "2024-02-31T00:00:00Z"),
                msg("m6", "content of the wrong type") | {"content": 5, "attachments": {}},
                7,
            ],
        },
        {"uuid": "c2", "name": "ok", "chat_messages": [msg("m9", "still here")]},
    ]
    result = extract_text(render(convs, "list"), "c.json")
    assert result.format == "claude"
    assert [m.text for m in result.messages] == [
        "hello",
        "world",
        "uuid is a list",
        "far future",
        "bad date",
        "content of the wrong type",
        "still here",
    ]
    assert all(p.instance == "c.json:3" for p in result.problems)
    assert [p.detail for p in result.problems] == [
        "conversation 1, message 5 is a number, expected an object",
        "conversation 1, message 'm3': 'text' is an object, expected a string",
        "conversation 1, message 'm4': created_at '9999-12-31T23:00:00-05:00' is not a time; "
        "kept without one",
        "conversation 1, message 'm5': created_at '2024-02-31T00:00:00Z' is not a time; "
        "kept without one",
    ]


def session_line(uuid: str, text: Any, **extra: Any) -> str:
    record = {
        "type": "user",
        "uuid": uuid,
        "sessionId": "s",
        "timestamp": "2025-01-01T00:00:00Z",
        "message": {"role": "user", "content": text},
    }
    record.update(extra)
    return json.dumps(record)


def test_claude_code_bad_lines_are_problems_with_their_line() -> None:
    lines = [
        session_line("u1", "first"),
        "not json at all",
        "[1, 2, 3]",
        session_line("u2", "deep").replace('"deep"', "[" * 100_000 + "]" * 100_000),
        session_line("u3", "x", message="a string"),
        session_line("u4", "far future", timestamp="9999-12-31T23:00:00-05:00"),
        session_line("u5", "", message={"role": ["user"], "content": [{"type": "text"}]}),
        session_line("u6", [{"type": "tool_use", "name": 5, "input": {"n": float("nan")}}]),
        session_line("u7", "lone \\ud800 surrogate").replace("\\\\ud800", "\\ud800"),
        session_line("u8", "huge", cwd=HUGE, gitBranch=["x"]).replace(json.dumps(HUGE), "9" * 5000),
        session_line("u9", "last"),
    ]
    result = extract_text("\n".join(lines) + "\n", "s.jsonl")
    assert result.format == "claude-code"
    assert [m.text for m in result.messages] == [
        "first",
        "far future",
        '[tool_use None] {"n": NaN}',
        "lone \ufffd surrogate",
        "huge",
        "last",
    ]
    assert [m.source_ref.line for m in result.messages] == [1, 6, 8, 9, 10, 11]
    assert [p.instance for p in result.problems] == [f"s.jsonl:{n}" for n in (2, 3, 4, 5, 6)]
    assert "nesting too deep" in result.problems[2].detail
    assert result.messages[1].timestamp is None
    assert "cwd" not in result.messages[4].source_meta
    assert "gitBranch" not in result.messages[4].source_meta


def test_a_damaged_first_line_does_not_hide_a_session_log() -> None:
    text = "{broken\n" + session_line("u1", "one") + "\n" + session_line("u2", "two") + "\n"
    result = extract_text(text, "s.jsonl")
    assert result.format == "claude-code"
    assert [m.text for m in result.messages] == ["one", "two"]
    assert [p.instance for p in result.problems] == ["s.jsonl:1"]


def test_problems_past_the_cap_are_counted_not_listed() -> None:
    text = session_line("u1", "kept") + "\n" + "not json\n" * 300
    result = extract_text(text, "s.jsonl")
    assert len(result.messages) == 1
    assert len(result.problems) == MAX_PROBLEMS + 1
    assert result.problems[-1].detail == "200 more problems in this file are not listed"


WHATSAPP = (
    "12/31/9999, 11:00 PM - Ana: the far future\n"
    "1/2/24, 9:00 AM - Ana: the deploy is green\n"
    "13/13/24, 9:01 AM - Ben: month thirteen\n"
    "2/31/24, 9:02 AM - Ben: the thirty-first of February\n"
    "1/3/24, 9:03 AM - Ben: rolling back anyway\n"
)


@pytest.mark.parametrize(
    ("zone", "far_future"),
    [(UTC, True), (ZoneInfo("America/New_York"), False), (ZoneInfo("Asia/Tokyo"), True)],
)
def test_whatsapp_impossible_dates_are_problems_and_messages_stay(
    zone: Any, far_future: bool
) -> None:
    result = extract_text(WHATSAPP, "chat.txt", zone)
    assert len(result.messages) == 5
    timed = [m.timestamp is not None for m in result.messages]
    assert timed == [far_future, True, False, False, True]
    problems = [(p.instance, p.detail.split("' ", 1)[1]) for p in result.problems]
    assert problems == [("chat.txt:1", "is out of range; message kept without a time")] * (
        not far_future
    ) + [
        ("chat.txt:3", "is not a valid date and time; message kept without a time"),
        ("chat.txt:4", "is not a valid date and time; message kept without a time"),
    ]


def test_pathological_markdown_heading_is_linear() -> None:
    text = "# a" + " " * 200_000 + "b\n\nbody\n"
    started = time.perf_counter()
    result = extract_text(text, "n.md")
    assert time.perf_counter() - started < 2
    assert result.sections[0].heading_path == ("a" + " " * 200_000 + "b",)


# --- Decoding ----------------------------------------------------------------------------------


def test_an_invalid_byte_leaves_every_other_line_exact() -> None:
    lines = ["café au lait", "naïve 😀 résumé", "plain ascii", "日本語のテキスト"]
    data = "\r\n".join(lines).encode("utf-8")
    broken = data.replace("😀".encode(), b"\xf0\x9f\x98", 1)  # a cut four-byte sequence
    decoded = decode_bytes(broken, "n.txt")
    got = decoded.text.split("\r\n")
    assert got[0] == lines[0] and got[2:] == lines[2:]
    assert got[1] == "naïve \ufffd résumé"
    assert decoded.replaced_lines == (2,) and decoded.legacy_lines == ()
    problem = decoded.problem("n.txt")
    assert problem is not None and problem.instance == "n.txt:2"
    assert problem.code == "PARSE_ERROR" and "U+FFFD" in problem.detail


def test_a_legacy_line_is_read_as_windows_1252_on_its_own() -> None:
    data = "résumé in UTF-8\n".encode() + "“quoted” café\n".encode("cp1252") + b"end\x81\n"
    decoded = decode_bytes(data, "n.txt")
    assert decoded.text == "résumé in UTF-8\n“quoted” café\nend\x81\n"
    assert decoded.legacy_lines == (2, 3)
    assert decoded.problem("n.txt").detail.startswith("lines 2, 3 are not UTF-8")  # type: ignore[union-attr]


def test_an_invalid_byte_in_a_whatsapp_export_breaks_only_its_message() -> None:
    text = "1/2/24, 9:00 AM - Ana: ça va\n1/2/24, 9:01 AM - Ben: très bien\n"
    data = text.encode("utf-8").replace("très".encode(), b"tr\xe8s")
    result = extract(Path("chat.txt"), "chat.txt", UTC, data=data)
    assert [m.text for m in result.messages] == ["ça va", "très bien"]
    assert [p.instance for p in result.problems] == ["chat.txt:2"]


def test_utf16_with_a_lone_surrogate_is_repaired() -> None:
    data = (
        codecs.BOM_UTF16_LE
        + "first line\nsecond ".encode("utf-16-le")
        + b"\x00\xd8"
        + " line\n".encode("utf-16-le")
    )
    decoded = decode_bytes(data, "u.txt")
    assert decoded.text == "first line\nsecond \ufffd line\n"
    assert decoded.replaced_lines == (2,)


def test_a_stray_nul_is_repaired_not_a_binary_verdict() -> None:
    data = b"# Notes\n\n" + b"some text " * 100 + b"\x00 more\n"
    decoded = decode_bytes(data, "n.md")
    assert "\x00" not in decoded.text and "\ufffd more" in decoded.text
    assert decoded.replaced_lines == (3,)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"x" * 100, "PNG image"),
        (b"\xff\xd8\xff\xe0" + b"x" * 100, "JPEG image"),
        (b"GIF89a" + b"x" * 100, "GIF image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (b"PK\x03\x04" + b"x" * 100, "ZIP archive"),
        (b"\x1f\x8b\x08" + b"x" * 100, "gzip archive"),
        (b"SQLite format 3\x00" + b"x" * 100, "SQLite database"),
        (b"\x7fELF\x02\x01\x01" + b"x" * 100, "ELF executable"),
        (b"\xcf\xfa\xed\xfe" + b"x" * 100, "Mach-O executable"),
        (b"MZ\x90\x00\x03" + b"x" * 100, "Windows executable"),
        (b"7z\xbc\xaf\x27\x1c" + b"x" * 100, "7-Zip archive"),
        (b"BZh91AY&SY" + b"x" * 100, "bzip2 archive"),
        (b"\xfd7zXZ\x00" + b"x" * 100, "xz archive"),
        (b"\x28\xb5\x2f\xfd" + b"x" * 100, "Zstandard archive"),
        (b"\x00asm\x01\x00\x00\x00", "WebAssembly module"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x34", "Java class or Mach-O universal binary"),
        (bytes(range(1, 32)) * 40, "control characters"),
        (random.Random(SEED).randbytes(20_000), "control characters"),
        (b"\x00\x01" * 100, "NUL bytes"),
    ],
)
def test_binary_files_are_refused(data: bytes, kind: str) -> None:
    with pytest.raises(ChatxError) as caught:
        decode_bytes(data, "blob.txt")
    assert caught.value.problem.code == "UNSUPPORTED_FORMAT"
    assert caught.value.problem.detail == f"binary file ({kind})"


@pytest.mark.parametrize(
    "text",
    [
        "MZ is how the notes start\n",
        "BZh is not an archive\n",
        "GIF is pronounced either way\n",
        "\x1b[31mred\x1b[0m build log\n" * 20,
        "Ελληνικά και русский текст\n" * 50,
    ],
)
def test_text_that_looks_a_little_binary_is_text(text: str) -> None:
    assert decode_bytes(text.encode("utf-8"), "n.txt").text == text


def test_a_legacy_cyrillic_file_is_not_binary() -> None:
    data = "Привет, как дела?\n".encode("cp1251") * 100
    decoded = decode_bytes(data, "n.txt")
    assert len(decoded.legacy_lines) == 100


def test_decoding_a_legacy_file_stays_linear() -> None:
    data = "Jos\u00e9: caf\u00e9\n".encode("cp1252") * 200_000
    started = time.perf_counter()
    decoded = decode_bytes(data, "n.txt")
    assert time.perf_counter() - started < 5
    assert len(decoded.legacy_lines) == 200_000
