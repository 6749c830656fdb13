"""Discord (DiscordChatExporter) JSON and CSV parsers: the corpus sample, hand-made fixtures
for what it lacks, and property tests that damaged input never crashes the parser."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatx.ingest import extract, extract_text
from chatx.ingest.common import stable_id
from chatx.ingest.discord import (
    PLATFORM,
    looks_like_discord,
    looks_like_discord_csv,
    parse_discord,
    parse_discord_csv,
)
from chatx.ingest.jsonpos import PositionedJSON
from chatx.ingest.textio import split_lines
from chatx.problems import ChatxError

SAMPLE = "discord/chatpackcli_dce_guild_minimal.json"
PROPERTY = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def parse_text(text: str, source: str = "d.json") -> Any:  # an Extracted
    return parse_discord(PositionedJSON(text, source), source)


def sample_text(corpus: Path) -> str:
    return (corpus / SAMPLE).read_text(encoding="utf-8")


# ---------------------------------------------------------------- corpus


def test_corpus_sample_messages(corpus: Path) -> None:
    text = sample_text(corpus)
    assert looks_like_discord(json.loads(text))
    result = parse_text(text, SAMPLE)
    messages = result.messages
    assert result.format == "discord"
    assert result.problems == []
    assert len(messages) == 7
    assert [m.sender for m in messages] == ["Alice", "Bob", "Alice", "Alice", "Bob", "Alice", "Bob"]
    assert [m.sender_id for m in messages] == ["111", "222", "111", "111", "222", "111", "222"]
    assert [m.timestamp for m in messages] == [
        datetime(2024, 1, 15, 10, 30, 0, tzinfo=UTC),
        datetime(2024, 1, 15, 10, 30, 15, tzinfo=UTC),
        datetime(2024, 1, 15, 10, 30, 30, tzinfo=UTC),
        datetime(2024, 1, 15, 10, 30, 31, tzinfo=UTC),
        datetime(2024, 1, 15, 10, 31, 0, tzinfo=UTC),
        datetime(2024, 2, 20, 14, 0, 0, tzinfo=UTC),
        datetime(2024, 3, 10, 9, 15, 0, tzinfo=UTC),
    ]
    assert all(
        m.timestamp is not None and m.timestamp.utcoffset() == timedelta(0) for m in messages
    )
    assert messages[1].text == "Hi Alice! I'm doing great, thanks for asking."
    assert messages[6].text == "And this one is from March"
    assert {m.conv_id for m in messages} == {stable_id(PLATFORM, "987654321")}
    assert [m.msg_id for m in messages] == [
        stable_id(PLATFORM, "987654321", str(n)) for n in range(1001, 1008)
    ]
    assert [m.source_ref.guid for m in messages] == [str(n) for n in range(1001, 1008)]
    assert all(m.platform == "discord" and not m.is_me for m in messages)
    assert all(not m.reactions and not m.attachments for m in messages)


def test_corpus_reply_edit_conversation_and_lines(corpus: Path) -> None:
    text = sample_text(corpus)
    messages = parse_text(text, SAMPLE).messages
    replies = [(m.source_ref.guid, m.reply_to_msg_id) for m in messages if m.reply_to_msg_id]
    assert replies == [("1005", messages[3].msg_id)]
    assert [m.source_meta.get("edited") for m in messages] == [None] * 6 + [
        "2024-03-10T09:20:00+00:00"
    ]
    assert messages[0].source_meta == {"conversation": "Test Server / #general"}
    assert all("conversation" not in m.source_meta for m in messages[1:])
    lines = split_lines(text)
    spans = [(m.source_ref.line, m.source_ref.line_end) for m in messages]
    assert spans[0] == (12, 23)
    assert spans[-1] == (87, 99)
    for message, (line, line_end) in zip(messages, spans, strict=True):
        assert f'"id": "{message.source_ref.guid}"' in lines[line]  # the line after "{"
        assert lines[line_end - 1].strip() in ("}", "},")


def test_detected_through_the_ingest_entry_point(corpus: Path) -> None:
    result = extract(corpus / SAMPLE, SAMPLE)
    assert (result.format, len(result.messages)) == ("discord", 7)
    csv_result = extract_text(CSV_NEW, "dc.csv", UTC, suffix=".csv")
    assert (csv_result.format, len(csv_result.messages)) == ("discord", 3)


# ---------------------------------------------------------------- hand-made JSON fixtures


def _user(uid: str, name: str, nickname: str | None = None, bot: bool = False) -> dict[str, Any]:
    return {"id": uid, "name": name, "discriminator": "0000", "nickname": nickname, "isBot": bot}


def _message(mid: str, content: object = "", **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": mid,
        "type": "Default",
        "timestamp": "2021-05-01T12:00:00.123+02:00",
        "timestampEdited": None,
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": content,
        "author": _user("1", "ann", "Ann"),
        "attachments": [],
        "embeds": [],
        "stickers": [],
        "reactions": [],
        "mentions": [],
    }
    record.update(fields)
    return record


def _export(*messages: dict[str, Any], channel_type: str = "GuildTextChat") -> dict[str, Any]:
    return {
        "guild": {"id": "10", "name": "Hand Made", "iconUrl": ""},
        "channel": {"id": "20", "type": channel_type, "name": "lab", "topic": None},
        "dateRange": {"after": None, "before": None},
        "messages": list(messages),
        "messageCount": len(messages),
    }


RICH = _export(
    _message(
        "1",
        "see <@2> and <@!3>",
        isPinned=True,
        timestampEdited="2021-05-01T12:05:00+02:00",
        attachments=[
            {
                "id": "a1",
                "url": "https://cdn/x/cat.PNG?ex=1",
                "fileName": "cat.PNG",
                "fileSizeBytes": 5,
            },
            {
                "id": "a2",
                "url": "https://cdn/x/clip.mp4",
                "fileName": "clip.mp4",
                "fileSizeBytes": 9,
            },
            {
                "id": "a3",
                "url": "https://cdn/x/song.ogg",
                "fileName": "song.ogg",
                "fileSizeBytes": 9,
            },
            {
                "id": "a4",
                "url": "https://cdn/x/notes.pdf",
                "fileName": "notes.pdf",
                "fileSizeBytes": 9,
            },
        ],
        stickers=[{"id": "s1", "name": "Wave", "format": "Lottie", "sourceUrl": "x.json"}],
        reactions=[
            {
                "emoji": {"id": "", "name": "👍", "code": "thumbsup", "isAnimated": False},
                "count": 2,
                "users": [_user("2", "bob", "Bobby"), _user("3", "cy")],
            },
            {"emoji": {"id": "777", "name": "pepe", "code": "pepe"}, "count": 3},
            {"emoji": {"id": None, "name": "🎉", "code": "tada"}, "count": 500, "users": []},
        ],
        mentions=[_user("2", "bob", "Bobby"), _user("3", "cy")],
    ),
    _message(
        "2",
        "",
        author=_user("9", "Hooky", bot=True),
        embeds=[
            {
                "title": "Release 1.2",
                "url": "https://example.com/r/1.2",
                "description": "Faster *everything*.",
                "author": {"name": "Build Bot"},
                "fields": [{"name": "Changes", "value": "12", "isInline": True}],
                "footer": {"text": "ci #42"},
            },
            {"title": "", "description": "second embed", "fields": []},
        ],
        reference={"type": "Default", "messageId": "1", "channelId": "20", "guildId": "10"},
    ),
    _message("3", "Joined the server.", type="GuildMemberJoin", author=_user("4", "newbie")),
    _message("4", "look", type="Reply", reference={"messageId": "55", "channelId": "21"}),
    _message(
        "5",
        "",
        reference={"type": "Forward", "messageId": "66", "channelId": "22"},
        forwardedMessage={"timestamp": "2021-04-30T10:00:00+00:00", "content": "forwarded words"},
    ),
)


def rich_messages() -> Any:
    result = parse_text(json.dumps(RICH, indent=2, ensure_ascii=False))
    assert result.problems == []
    return result.messages


def test_attachments_stickers_mentions_pinned_edited() -> None:
    first = rich_messages()[0]
    assert first.text == "see @Bobby and @cy"
    assert first.timestamp == datetime(2021, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert [(a.kind, a.name, a.mime) for a in first.attachments] == [
        ("image", "cat.PNG", None),
        ("video", "clip.mp4", None),
        ("audio", "song.ogg", None),
        ("document", "notes.pdf", None),
        ("sticker", "Wave", None),
    ]
    assert first.source_meta == {
        "conversation": "Hand Made / #lab",
        "edited": "2021-05-01T12:05:00+02:00",
        "pinned": True,
    }
    assert first.sender == "Ann"


def test_reactions_with_users_custom_emoji_and_capped_counts() -> None:
    reactions = [(r.emoji, r.sender) for r in rich_messages()[0].reactions]
    assert reactions[:2] == [("👍", "Bobby"), ("👍", "cy")]
    assert reactions[2:5] == [(":pepe:", None)] * 3
    assert reactions[5:] == [("🎉", None)] * 20


def test_embeds_bot_and_reply() -> None:
    messages = rich_messages()
    bot = messages[1]
    assert bot.text == (
        "Build Bot\nRelease 1.2\nFaster *everything*.\nChanges: 12\nci #42\n\nsecond embed"
    )
    assert bot.attachments[0].model_dump() == {
        "kind": "link",
        "name": "https://example.com/r/1.2",
        "mime": None,
    }
    assert bot.source_meta == {"bot": True}
    assert (bot.sender, bot.sender_id) == ("Hooky", "9")
    assert bot.reply_to_msg_id == messages[0].msg_id


def test_system_type_is_no_ones_message_and_names_its_actor() -> None:
    joined = rich_messages()[2]
    assert (joined.sender, joined.sender_id, joined.text) == (None, "4", "Joined the server.")
    assert joined.source_meta == {"type": "GuildMemberJoin", "system": True, "actor": "newbie"}


def test_cross_channel_reply_and_forward() -> None:
    messages = rich_messages()
    assert messages[3].reply_to_msg_id == stable_id(PLATFORM, "21", "55")
    assert messages[3].source_meta == {"type": "Reply"}
    forward = messages[4]
    assert forward.reply_to_msg_id is None
    assert forward.text == "forwarded words"
    assert forward.source_meta == {"forwarded": True}


def test_direct_messages_conversation_name() -> None:
    export = _export(_message("1", "hi"), channel_type="DirectTextChat")
    export["guild"]["name"] = "Direct Messages"
    export["channel"]["name"] = "bob"
    first = parse_text(json.dumps(export)).messages[0]
    assert first.source_meta["conversation"] == "Direct Messages / bob"


def test_bad_records_become_problems_and_the_rest_parses() -> None:
    export = _export(
        _message("1", "fine"),
        "not a message",  # type: ignore[arg-type]
        _message("3", "bad author", author="ann"),
        _message("4", content=7),
        _message("5", "bad parts", attachments="x.png", reactions=[3]),
        _message("6", "bad time", timestamp="yesterday"),
        {"content": "no id, no time"},
    )
    result = parse_text(json.dumps(export, indent=2), "bad.json")
    assert [m.source_ref.guid for m in result.messages] == ["1", "5", "6"]
    assert result.messages[2].timestamp is None
    details = [p.detail for p in result.problems]
    assert details == [
        "message #2: is a string, expected an object",
        "message 3: 'author' is a string, expected an object",
        "message 4: 'content' is a number, expected a string",
        "message 5: 'attachments' (a string), reaction 0 (a number) left out",
        "message 6: timestamp 'yesterday' is not a time; kept without one",
        "message #7: has no 'id' and no 'timestamp'",
    ]
    assert all(p.instance and p.instance.startswith("bad.json:") for p in result.problems)


def test_not_an_export_raises_parse_error() -> None:
    with pytest.raises(ChatxError):
        parse_text("[1, 2]")
    with pytest.raises(ChatxError):
        parse_text('{"guild": {}, "channel": {}, "messages": 3}')


def test_looks_like_discord() -> None:
    assert looks_like_discord(RICH)
    assert looks_like_discord(_export())
    assert not looks_like_discord([RICH])
    assert not looks_like_discord({"messages": RICH["messages"]})
    assert not looks_like_discord({**RICH, "messages": [{"id": "1", "text": "x"}]})


# ---------------------------------------------------------------- CSV

CSV_NEW = (
    "\ufeffAuthorID,Author,Date,Content,Attachments,Reactions\r\n"
    '"111","Alice#0001","2020-07-21T13:49:47.617+02:00","Hello","",""\r\n'
    '"222","Bob","2020-07-21T13:50:00.000+02:00","two\r\nlines, and ""quotes""",'
    '"https://cdn/a/cat.png,https://cdn/a/doc.txt","👍 (2),🎉 (1),pepe (30)"\r\n'
    '"111","Alice#0001","2020-07-21T13:51:00+02:00","","https://cdn/a/v.mp4",""\r\n'
)


def test_csv_new_format() -> None:
    assert looks_like_discord_csv(split_lines(CSV_NEW))
    result = parse_discord_csv(CSV_NEW, "dc.csv", None)
    assert (result.format, result.problems) == ("discord", [])
    messages = result.messages
    assert [m.sender for m in messages] == ["Alice", "Bob", "Alice"]
    assert [m.sender_id for m in messages] == ["111", "222", "111"]
    assert messages[0].timestamp == datetime(2020, 7, 21, 11, 49, 47, 617000, tzinfo=UTC)
    assert messages[0].timestamp.utcoffset() == timedelta(hours=2)
    assert messages[1].text == 'two\nlines, and "quotes"'
    assert [(m.source_ref.line, m.source_ref.line_end) for m in messages] == [
        (2, 2),
        (3, 4),
        (5, 5),
    ]
    assert [(a.kind, a.name) for a in messages[1].attachments] == [
        ("image", "https://cdn/a/cat.png"),
        ("document", "https://cdn/a/doc.txt"),
    ]
    emojis = [r.emoji for r in messages[1].reactions]
    assert emojis == ["👍", "👍", "🎉", *[":pepe:"] * 20]
    assert all(r.sender is None for r in messages[1].reactions)
    assert (messages[2].text, messages[2].attachments[0].kind) == ("", "video")
    assert len({m.msg_id for m in messages}) == 3
    assert {m.conv_id for m in messages} == {stable_id(PLATFORM, "file:dc.csv")}


CSV_OLD = (
    "AuthorID,Author,Date,Content,Attachments,Reactions\n"
    '"111","Alice#0001","21-Jul-20 01:49 PM","afternoon","",""\n'
    '"111","Alice#0001","7/22/2020 9:05 AM","us layout","",""\n'
    '"111","Alice#0001","23/07/2020 18:30","gb layout","",""\n'
    '"111","Alice#0001","not a date","kept","",""\n'
    "\n"
    '"111","Alice#0001","21-Jul-20 01:49 PM","afternoon","",""\n'
)


def test_csv_old_local_dates_and_bad_date() -> None:
    zone = timezone(timedelta(hours=-5))
    result = parse_discord_csv(CSV_OLD, "old.csv", zone)
    stamps = [m.timestamp for m in result.messages]
    assert stamps == [
        datetime(2020, 7, 21, 13, 49, tzinfo=zone),
        datetime(2020, 7, 22, 9, 5, tzinfo=zone),
        datetime(2020, 7, 23, 18, 30, tzinfo=zone),
        None,
        datetime(2020, 7, 21, 13, 49, tzinfo=zone),
    ]
    assert [p.instance for p in result.problems] == ["old.csv:5"]
    assert result.messages[-1].source_ref.line == 7
    assert result.messages[0].msg_id != result.messages[-1].msg_id  # same record twice


def test_csv_header_detection() -> None:
    assert looks_like_discord_csv(
        ['"AuthorID","Author","Date","Content","Attachments","Reactions"']
    )
    assert looks_like_discord_csv(["", "\ufeffAuthorID,Author,Date,Content,Attachments,Reactions"])
    assert not looks_like_discord_csv(["AuthorID,Author,Date,Content"])
    assert not looks_like_discord_csv(['"unterminated'])
    assert not looks_like_discord_csv([])
    with pytest.raises(ChatxError):
        parse_discord_csv("a,b,c\n1,2,3\n", "x.csv", None)


def test_csv_short_rows_and_unreadable_records() -> None:
    huge = '"444","Dee","2020-07-21T14:00:00Z","' + "x" * 140_000 + '","",""\r\n'
    tail = '"333","Cy"\r\n"111","Alice","2020-07-21T14:00:00Z","end","",""\r\n'
    result = parse_discord_csv(CSV_NEW + huge + tail, "big.csv", None)
    assert [(m.sender, m.text, m.source_ref.line) for m in result.messages][3:] == [
        ("Cy", "", 7),
        ("Alice", "end", 8),
    ]
    assert [(p.detail, p.instance) for p in result.problems] == [
        (
            "line 6: unreadable CSV record (field larger than field limit (131072))",
            "big.csv:6",
        ),
        ("line 7: date '' is not a time; message kept without one", "big.csv:7"),
    ]


# ---------------------------------------------------------------- properties


def _never_crashes_json(text: str) -> None:
    try:
        doc = PositionedJSON(text, "t.json")
    except (json.JSONDecodeError, RecursionError):
        return  # the ingest entry point turns these into a PARSE_ERROR
    with contextlib.suppress(ChatxError):
        parse_discord(doc, "t.json")


@PROPERTY
@given(data=st.data())
def test_truncated_or_flipped_corpus_json_never_crashes(corpus: Path, data: st.DataObject) -> None:
    text = sample_text(corpus)
    cut = data.draw(st.integers(0, len(text)))
    text = text[:cut]
    for _ in range(data.draw(st.integers(0, 3))):
        if text:
            at = data.draw(st.integers(0, len(text) - 1))
            text = text[:at] + data.draw(st.characters()) + text[at + 1 :]
    _never_crashes_json(text)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "Reply", "GuildMemberJoin", "Forward", "2021-01-01T00:00:00Z"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "name", "count", "users", "emoji", "url"]), children, max_size=3
        )
    ),
    max_leaves=8,
)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of a JSON value, depth first."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        keys = (
            list(item)
            if isinstance(item, dict)
            else range(len(item))
            if isinstance(item, list)
            else []
        )
        for key in keys:
            found.append((item, key))
            stack.append(item[key])
    return found


@PROPERTY
@given(data=st.data())
def test_mutated_values_never_crash(corpus: Path, data: st.DataObject) -> None:
    base = json.dumps(RICH) if data.draw(st.booleans()) else sample_text(corpus)
    doc = PositionedJSON(base, "m.json")
    value = doc.value
    for _ in range(data.draw(st.integers(1, 6))):
        slots = _slots(value)
        if not slots:
            break
        container, key = data.draw(st.sampled_from(slots))
        if isinstance(container, dict) and data.draw(st.booleans()):
            del container[key]
        else:
            container[key] = copy.deepcopy(data.draw(JSON_VALUES))
    try:
        result = parse_discord(doc, "m.json")
    except ChatxError:
        return
    assert all(m.platform == PLATFORM for m in result.messages)
    # a wrong type is that record's problem, said plainly: never a parser error caught by guard
    assert not [p.detail for p in result.problems if "malformed record" in p.detail]


@PROPERTY
@given(data=st.data())
def test_truncated_or_flipped_csv_never_crashes(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from([CSV_NEW, CSV_OLD]))
    text = text[: data.draw(st.integers(0, len(text)))]
    for _ in range(data.draw(st.integers(0, 3))):
        if text:
            at = data.draw(st.integers(0, len(text) - 1))
            text = (
                text[:at]
                + data.draw(st.sampled_from(['"', ",", "\n", "\r", "\x00", "é", "("]))
                + text[at + 1 :]
            )
    looks_like_discord_csv(split_lines(text))
    with contextlib.suppress(ChatxError):
        parse_discord_csv(text, "t.csv", UTC)
