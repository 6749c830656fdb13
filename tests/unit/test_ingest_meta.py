"""Instagram / Facebook Messenger `message_N.json` over ../shared/corpus/instagram_messenger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatx.ingest.common import Extracted, stable_id
from chatx.ingest.jsonpos import PositionedJSON
from chatx.ingest.meta import (
    PLATFORM_INSTAGRAM,
    PLATFORM_MESSENGER,
    looks_like_meta,
    parse_meta,
    thread_key,
)
from chatx.models import Attachment, Reaction
from chatx.problems import ChatxError

FOLDER = "instagram_messenger"
SAMPLES = ("chatminer_instagram_message.json", "langchain_facebook_messenger.json")


def parse_text(text: str, source: str) -> Extracted:
    return parse_meta(PositionedJSON(text, source), source)


def parse_value(value: dict[str, Any], source: str = "inbox/t/message_1.json") -> Extracted:
    return parse_text(json.dumps(value, indent=1), source)


def sample(corpus: Path, name: str) -> tuple[str, Extracted]:
    text = (corpus / FOLDER / name).read_text(encoding="utf-8")
    return text, parse_text(text, f"{FOLDER}/{name}")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def test_chatminer_instagram_sample(corpus: Path) -> None:
    text, result = sample(corpus, SAMPLES[0])
    assert (result.format, result.kind, result.problems) == ("instagram", "chat", [])
    messages = result.messages
    assert [(m.sender, m.text, m.timestamp) for m in messages] == [
        ("Jane Doe", "Hello John!", utc(2019, 12, 24, 11, 23)),
        ("John Doe", "Hello Jane!", utc(2020, 1, 17, 20, 49)),
    ]
    # chat-miner's InstagramJsonParser reads author=sender_name, message=content and the
    # time from timestamp_ms; the same records come out, oldest first.
    raw = json.loads(text)["messages"]
    assert [
        (int(m.timestamp.timestamp() * 1000), m.sender, m.text) for m in messages if m.timestamp
    ] == [(r["timestamp_ms"], r["sender_name"], r["content"]) for r in reversed(raw)]
    assert all(m.platform == PLATFORM_INSTAGRAM and not m.is_me for m in messages)
    assert [(m.source_ref.line, m.source_ref.line_end) for m in messages] == [(8, 8), (3, 7)]
    assert messages[0].source_ref.path == f"{FOLDER}/{SAMPLES[0]}"
    # No thread_path, title or participants: the file itself keys the thread.
    conv = stable_id("instagram", f"file:{FOLDER}/{SAMPLES[0]}")
    assert {m.conv_id for m in messages} == {conv}
    assert all(m.source_meta == {} for m in messages)


def test_langchain_messenger_sample(corpus: Path) -> None:
    _, result = sample(corpus, SAMPLES[1])
    assert (result.format, result.problems) == (PLATFORM_MESSENGER, [])
    messages = result.messages
    assert len(messages) == 11
    assert [m.sender for m in messages].count("User 1") == 5
    assert [m.sender for m in messages].count("User 2") == 6
    assert messages[0].timestamp == utc(2023, 2, 4, 22, 17, 2, 673000)
    assert messages[0].text.startswith("Hi! Im interested in your bag. Im offering $50.")
    assert (messages[-1].sender, messages[-1].text) == ("User 2", "Bye!")
    assert messages[-1].timestamp == utc(2023, 2, 5, 11, 46, 11, 851000)
    stamps = [m.timestamp for m in messages if m.timestamp]
    assert stamps == sorted(stamps) and len(set(stamps)) == 11
    photo = messages[4]
    assert (photo.sender, photo.text) == ("User 2", "")
    assert photo.attachments == [Attachment(kind="image", name="url_of_some_picture.jpg")]
    assert photo.timestamp == utc(2023, 2, 5, 11, 4, 20, 730000)
    assert (photo.source_ref.line, photo.source_ref.line_end) == (30, 36)
    assert sum(len(m.attachments) for m in messages) == 1
    conv = stable_id("messenger", "inbox/User 1 and User 2 chat")
    assert {m.conv_id for m in messages} == {conv}
    assert all(m.source_meta["title"] == "User 1 and User 2 chat" for m in messages)
    assert messages[0].source_meta["participants"] == ["User 1", "User 2"]
    assert all("participants" not in m.source_meta for m in messages[1:])
    assert len({m.msg_id for m in messages}) == 11
    assert (messages[-1].source_ref.line, messages[0].source_ref.line) == (4, 52)


def test_real_mojibake_fragments(corpus: Path) -> None:
    """The verbatim 2018 fragments: seconds in `timestamp`, UTF-8 read as Latin-1."""
    lines = (
        (corpus / FOLDER / "stackoverflow_real_mojibake_fragments.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    keys = [line for line in lines if line.startswith('  "')]
    literal = next(line for line in lines if line.startswith('"nejni'))
    text = (
        '{"participants": [{"name": "Rados\\u00c5\\u0082aw"}, {"name": "Jen"}],\n'
        ' "messages": [\n'
        '  {"sender_name": "Jen", "timestamp": 1524558100,\n'
        f'   "content": {literal}}},\n'
        "  {\n" + "\n".join(keys) + "\n  }\n"
        ' ],\n "title": "Rados\\u00c5\\u0082aw", "thread_path": "inbox/radoslaw_1"}\n'
    )
    result = parse_text(text, "messages/inbox/radoslaw_1/message_1.json")
    assert result.problems == []
    first, second = result.messages
    assert (first.sender, first.text) == ("Radosław", "No to trzeba ostatnie treningi zrobić xD")
    assert first.timestamp == utc(2018, 4, 24, 8, 21, 29)
    assert first.timestamp.isoformat() == "2018-04-24T08:21:29+00:00"
    # The last record of a file ends at its last nested object known to PositionedJSON.
    assert (first.source_ref.line, first.source_ref.line_end) == (5, 5)
    assert (second.source_ref.line, second.source_ref.line_end) == (3, 4)
    assert second.text == "nejnižší bod: 0 mnm Benátky\n"
    assert first.source_meta == {
        "title": "Radosław",
        "participants": ["Radosław", "Jen"],
    }
    assert "type" not in second.source_meta  # "Generic" is a plain message


INBOX = "messages/inbox/bob_1/message_1.json"
IG_LINK = {"joinable_mode": {"link": "https://ig.me/j/X/"}}
M_LINK = {"joinable_mode": {"link": "https://m.me/j/X/"}}
SHARED_BY_BOTH = {"magic_words": [], "joinable_mode": {"mode": 1, "link": ""}}


@pytest.mark.parametrize(
    ("source", "extra", "platform"),
    [
        ("instagram_messenger/langchain_facebook_messenger.json", {}, "messenger"),
        ("instagram_messenger/chatminer_instagram_message.json", {}, "instagram"),
        ("x/your_instagram_activity/messages/inbox/bob_1/message_1.json", {}, "instagram"),
        ("instagram-bob-2024/messages/inbox/facebookfan_17/message_1.json", {}, "instagram"),
        (
            "your_activity_across_facebook/messages/inbox/instagram_1/message_1.json",
            {},
            "messenger",
        ),
        (INBOX, {}, "messenger"),
        (INBOX, IG_LINK, "instagram"),
        (INBOX, M_LINK, "messenger"),
        (INBOX, SHARED_BY_BOTH, "messenger"),
        (INBOX, {"shared": True}, "instagram"),
    ],
)
def test_platform_rule(source: str, extra: dict[str, Any], platform: str) -> None:
    message: dict[str, Any] = {"sender_name": "Bob", "timestamp_ms": 1, "content": "hi"}
    extra = dict(extra)
    if extra.pop("shared", False):
        message["share"] = {"link": "https://x.test/p/1", "original_content_owner": "bob"}
    result = parse_value({"messages": [message], "thread_path": "inbox/bob_1", **extra}, source)
    assert result.format == platform
    assert result.messages[0].platform == platform
    assert result.messages[0].conv_id == stable_id(platform, "inbox/bob_1")


THREAD = {"title": "Trip", "thread_path": "inbox/trip_42", "participants": [{"name": "A"}]}


def part(*messages: tuple[str, int, str]) -> dict[str, Any]:
    """A thread file of (sender, timestamp_ms, content) records, newest first as Meta writes."""
    records = [{"sender_name": s, "timestamp_ms": t, "content": c} for s, t, c in messages]
    return {**THREAD, "messages": records}


def test_parts_of_one_thread_share_conv_id_and_keep_msg_ids() -> None:
    newer = part(("A", 3000, "third"), ("B", 2000, "second"))
    older = part(("B", 2000, "second"), ("A", 1000, "first"))  # a straddling duplicate
    alone = parse_value(newer, "ig/inbox/trip_42/message_1.json").messages
    one = parse_value(newer, "moved/inbox/trip_42/message_1.json").messages
    two = parse_value(older, "moved/inbox/trip_42/message_2.json").messages
    assert [m.msg_id for m in one] == [m.msg_id for m in alone]
    assert {m.conv_id for m in one + two} == {stable_id("messenger", "inbox/trip_42")}
    assert len({m.msg_id for m in one + two}) == 3  # the record in both files is one message
    assert [m.text for m in two + one] == ["first", "second", "second", "third"]
    assert thread_key(newer) == "inbox/trip_42"


def test_thread_key_without_thread_path() -> None:
    value = {"title": "Gr\u00c3\u00bcn", "participants": [{"name": "Zed"}, {"name": "Amy"}, 5]}
    assert thread_key(value) == "Grün\x1fAmy\x1fZed"
    assert thread_key({"participants": ["b", "a"]}) == "\x1fa\x1fb"
    assert thread_key({"messages": []}) == ""
    bare = {"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "x"}]}
    one = parse_value(bare, "t/inbox/x_1/message_1.json").messages[0]
    two = parse_value(bare, "t/inbox/x_1/message_2.json").messages[0]
    assert one.conv_id == two.conv_id == stable_id("messenger", "folder:t/inbox/x_1")


def test_time_order_ties_and_duplicates() -> None:
    value = part(("A", 5000, "later"), ("B", 1000, "tie 2"), ("B", 1000, "tie 1"), ("A", 1000, "x"))
    value["messages"].insert(0, {"sender_name": "A", "timestamp_ms": 1000, "content": "x"})
    messages = parse_value(value).messages
    assert [m.text for m in messages] == ["x", "tie 1", "tie 2", "x", "later"]
    assert len({m.msg_id for m in messages}) == 5


def test_every_kind_of_record() -> None:
    heart = "\u00e2\u009d\u00a4\u00ef\u00b8\u008f"  # ❤️ as Meta writes it
    laugh = "\u00f0\u009f\u0098\u0086"  # 😆
    cafe = "caf\u00c3\u00a9"  # café
    records: list[dict[str, Any]] = [
        {"sender_name": "B", "timestamp_ms": 9, "is_unsent": True},
        {"sender_name": "B", "timestamp_ms": 8, "type": "Call", "content": "B called you.",
         "call_duration": 0, "missed": True},
        {"sender_name": "A", "timestamp_ms": 7, "type": "Subscribe", "content": "A added C.",
         "users": [{"name": "C"}]},
        {"sender_name": "A", "timestamp_ms": 6, "sticker": {"uri": "stickers/1.png"}},
        {"sender_name": "A", "timestamp_ms": 5, "gifs": [{"uri": "gifs/g.gif"}],
         "files": [{"uri": "files/f.pdf"}], "audio_files": [{"uri": "audio/a.mp4"}]},
        {"sender_name": "B", "timestamp_ms": 4, "videos": [{"uri": "videos/v.mp4"}],
         "reactions": [{"reaction": heart, "actor": f"J{heart}hn"}, {"reaction": laugh}]},
        {"sender_name": "B", "timestamp_ms": 3,
         "share": {"link": "https://x.test/p", "share_text": cafe}},
        {"sender_name": "B", "timestamp_ms": 2, "content": "see this",
         "share": {"link": "https://y.test"}},
    ]  # fmt: skip
    messages = parse_value({"messages": records}).messages
    by_time = {round(m.timestamp.timestamp() * 1000): m for m in messages if m.timestamp}
    assert [k for k in by_time] == list(range(2, 10))
    assert (by_time[2].text, by_time[2].attachments) == (
        "see this",
        [Attachment(kind="link", name="https://y.test")],
    )
    assert (by_time[3].text, by_time[3].attachments[0].name) == ("café", "https://x.test/p")
    assert by_time[4].reactions == [Reaction(emoji="❤️", sender="J❤️hn"), Reaction(emoji="😆")]
    assert by_time[4].attachments == [Attachment(kind="video", name="videos/v.mp4")]
    assert [(a.kind, a.name) for a in by_time[5].attachments] == [
        ("audio", "audio/a.mp4"),
        ("image", "gifs/g.gif"),
        ("file", "files/f.pdf"),
    ]
    assert by_time[6].attachments == [Attachment(kind="sticker", name="stickers/1.png")]
    assert by_time[7].sender is None
    assert by_time[7].source_meta == {
        "type": "Subscribe",
        "users": ["C"],
        "system": True,
        "actor": "A",
    }
    assert by_time[8].source_meta == {"type": "Call", "call_duration": 0, "missed": True}
    assert (by_time[9].text, by_time[9].source_meta) == ("", {"unsent": True})


def test_bad_records_become_problems_at_their_lines() -> None:
    text = """{
 "messages": [
  {"sender_name": "A", "timestamp_ms": 4000, "content": "ok"},
  "not a record",
  {"sender_name": 5, "timestamp_ms": 3000, "content": "bad sender"},
  {"sender_name": "A", "timestamp_ms": 2000, "content": ["bad", "content"]},
  {"sender_name": "A", "timestamp_ms": "soon", "content": "no time",
   "photos": "p.jpg", "reactions": [7, {"reaction": "x"}], "sticker": {}},
  {"sender_name": "A", "timestamp_ms": 1e400, "videos": [{"uri": "v.mp4"}, 3]}
 ],
 "thread_path": "inbox/x"
}"""
    result = parse_text(text, "inbox/x/message_1.json")
    assert [m.text for m in result.messages] == ["", "no time", "ok"]
    details = [(p.instance, p.detail) for p in result.problems]
    where = "inbox/x/message_1.json"
    assert details == [
        (f"{where}:9", "message 5: timestamp inf is not a time; kept without one"),
        (f"{where}:9", "message 5: videos 1 (a number without a 'uri') left out"),
        (f"{where}:7", "message 4: timestamp 'soon' is not a time; kept without one"),
        (
            f"{where}:7",
            "message 4: 'photos' (a string), 'sticker' (an object without a 'uri'), "
            "reaction 0 (a number without a 'reaction') left out",
        ),
        (f"{where}:6", "message 3: 'content' is an array, expected a string"),
        (f"{where}:5", "message 2: 'sender_name' is a number, expected a string"),
        # a record that is no object has no position of its own: its predecessor's line
        (f"{where}:3", "message 1: is a string, expected an object"),
    ]
    no_time = result.messages[1]
    assert no_time.timestamp is None and no_time.reactions == [Reaction(emoji="x")]
    assert (no_time.source_ref.line, no_time.source_ref.line_end) == (7, 8)


@pytest.mark.parametrize("value", [[], "x", {"messages": {}}, {"participants": []}])
def test_not_a_thread_file_is_a_file_problem(value: object) -> None:
    with pytest.raises(ChatxError) as caught:
        parse_text(json.dumps(value), "a.json")
    assert caught.value.problem.code == "PARSE_ERROR"
    assert caught.value.problem.instance == "a.json"


def test_looks_like_meta(corpus: Path) -> None:
    for name in SAMPLES:
        assert looks_like_meta(json.loads((corpus / FOLDER / name).read_text(encoding="utf-8")))
    assert looks_like_meta({"messages": ["x", {"sender_name": "a", "timestamp": 1}]})
    assert not looks_like_meta({"messages": []})
    assert not looks_like_meta({"messages": [{"from": "a", "date": "2020"}]})
    assert not looks_like_meta({"messages": [{"sender_name": "a"}]})
    assert not looks_like_meta([{"sender_name": "a", "timestamp_ms": 1}])
    assert not looks_like_meta({"messages": "x"})


def parse_damaged(text: str) -> None:
    """Parse `text` if it still loads as JSON; only ChatxError may come out of the parser."""
    try:
        doc = PositionedJSON(text, "d.json", salvage=True)
    except json.JSONDecodeError:
        return  # the parent reports "invalid JSON at line N"
    try:
        result = parse_meta(doc, "inbox/d/message_1.json")
    except ChatxError:
        return
    # a wrong type is that record's problem, said plainly: never a parser error caught by guard
    assert not [p.detail for p in result.problems if "malformed record" in p.detail]


FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", SAMPLES)
@FUZZ
@given(data=st.data())
def test_truncated_or_flipped_samples_never_crash(
    corpus: Path, name: str, data: st.DataObject
) -> None:
    text = (corpus / FOLDER / name).read_text(encoding="utf-8")
    cut = data.draw(st.integers(0, len(text)), label="cut")
    parse_damaged(text[:cut])
    flips = data.draw(
        st.lists(st.tuples(st.integers(0, len(text) - 1), st.characters()), max_size=3)
    )
    chars = list(text)
    for index, char in flips:
        chars[index] = char
    parse_damaged("".join(chars))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    ["sender_name", "timestamp_ms", "timestamp", "content", "photos", "videos", "gifs",
     "files", "audio_files", "sticker", "share", "reactions", "users", "type", "is_unsent"]
)  # fmt: skip
RECORDS = st.dictionaries(FIELDS, JSON_VALUES, max_size=6) | JSON_VALUES


@FUZZ
@given(records=st.lists(RECORDS, max_size=5), top=st.dictionaries(st.sampled_from(
    ["participants", "title", "thread_path", "joinable_mode"]), JSON_VALUES))  # fmt: skip
def test_any_values_in_records_never_crash(records: list[Any], top: dict[str, Any]) -> None:
    parse_damaged(json.dumps({**top, "messages": records}, indent=1))
