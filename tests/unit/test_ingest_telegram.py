"""Telegram Desktop parser (JSON and HTML) over ../shared/corpus/telegram, plus hand-made cases."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatx.ingest.common import Extracted, stable_id
from chatx.ingest.jsonpos import PositionedJSON
from chatx.ingest.telegram import (
    PLATFORM,
    looks_like_telegram,
    looks_like_telegram_html,
    parse_telegram,
    parse_telegram_html,
)
from chatx.models import Attachment, Reaction
from chatx.problems import ChatxError

JSON_SAMPLES = [
    "chatminer_single_export.json",
    "chatminer_batch_export.json",
    "langchain_personal_chat_result.json",
    "langchain_telegram_mojibake_names.json",
]
PLUS_TWO = timezone(timedelta(hours=2))


def read(corpus: Path, name: str) -> str:
    return (corpus / "telegram" / name).read_text(encoding="utf-8")


def parse_json(text: str, source: str = "result.json", zone: Any = UTC) -> Extracted:
    return parse_telegram(PositionedJSON(text, source, salvage=True), source, zone)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# corpus: JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["chatminer_single_export.json", "chatminer_batch_export.json"])
def test_chatminer_exports_match_upstream_target(corpus: Path, name: str) -> None:
    result = parse_json(read(corpus, name), f"telegram/{name}")
    target = json.loads(read(corpus, "chatminer_expected_target.json"))
    got = [
        {
            "timestamp": m.timestamp.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "author": m.sender,
            "message": m.text,
        }
        for m in result.messages
        if m.timestamp is not None
    ]
    assert got == target
    assert result.format == "telegram" and result.problems == []
    assert {m.platform for m in result.messages} == {PLATFORM}
    assert len({m.conv_id for m in result.messages}) == 1
    assert all(m.timestamp is not None and m.timestamp.tzinfo is UTC for m in result.messages)


def test_chatminer_line_numbers_and_chat_name(corpus: Path) -> None:
    single = parse_json(read(corpus, "chatminer_single_export.json"), "s.json")
    assert [(m.source_ref.line, m.source_ref.line_end) for m in single.messages] == [
        (3, 8),
        (9, 9),
    ]
    assert single.messages[0].source_meta == {}
    batch = parse_json(read(corpus, "chatminer_batch_export.json"), "b.json")
    assert [m.source_ref.line for m in batch.messages] == [7, 13]
    assert {m.source_meta["chat"] for m in batch.messages} == {"Chatname"}
    assert batch.messages[0].conv_id == stable_id(PLATFORM, "Chatname")


def test_personal_chat_result_json(corpus: Path) -> None:
    source = "telegram/langchain_personal_chat_result.json"
    result = parse_json(read(corpus, "langchain_personal_chat_result.json"), source)
    messages = result.messages
    assert result.problems == []
    assert [m.sender for m in messages] == [
        "Jimmeny Marvelton",
        "Batman & Robin",
        "Jimmeny Marvelton",
        "Jimmeny Marvelton",
    ]
    assert [m.sender_id for m in messages] == [
        "user123450513",
        "user6565661032",
        "user123450513",
        "user123450513",
    ]
    assert [m.text for m in messages] == [
        "i refuse to converse with you",
        "Hi nemesis",
        "we meet again",
        "you will not trick me this time",
    ]
    # date_unixtime wins over the zone-less local `date`
    assert [m.timestamp.isoformat() for m in messages if m.timestamp] == [
        "2023-08-23T20:11:23+00:00",
        "2023-08-23T20:13:20+00:00",
        "2023-08-23T20:15:35+00:00",
        "2023-08-23T20:15:53+00:00",
    ]
    assert [(m.source_ref.guid, m.source_ref.line) for m in messages] == [
        ("1", 6),
        ("2", 21),
        ("3", 36),
        ("4", 51),
    ]
    assert messages[0].source_ref.line_end == 20
    assert messages[0].msg_id == stable_id(PLATFORM, "5965280513", "1")
    assert {m.conv_id for m in messages} == {stable_id(PLATFORM, "5965280513")}
    assert not any(m.is_me for m in messages)
    assert messages[1].source_meta == {"chat": "Jimmeny", "chat_type": "personal_chat"}


def test_mojibake_names_and_numeric_from_id(corpus: Path) -> None:
    text = read(corpus, "langchain_telegram_mojibake_names.json")
    messages = parse_json(text, "m.json", PLUS_TWO).messages
    assert [m.sender for m in messages] == ["Henry", "Henry", "Grace 🧤 🍒"]
    assert [m.sender_id for m in messages] == ["4325636679", "4325636679", "4720225552"]
    assert {m.source_meta["chat"] for m in messages} == {"Grace 🧤"}
    # no date_unixtime: the local `date` is read in the configured zone
    assert [m.timestamp for m in messages] == [
        datetime(2020, 1, 1, 0, 0, second, tzinfo=PLUS_TWO) for second in (2, 4, 5)
    ]
    assert messages[2].text == "You're a minute late!"


def test_telethon_channel_dump_is_not_this_format(corpus: Path) -> None:
    text = read(corpus, "langchain_telethon_channel.json")
    assert not looks_like_telegram(json.loads(text))
    with pytest.raises(ChatxError):
        parse_json(text)


def test_other_platforms_are_not_telegram(corpus: Path) -> None:
    for path in sorted(corpus.rglob("*.json")):
        if path.parent.name != "telegram":
            value = json.loads(path.read_text(encoding="utf-8"))
            assert not looks_like_telegram(value), path
    for name in JSON_SAMPLES:
        assert looks_like_telegram(json.loads(read(corpus, name)))
    messenger = {"participants": [], "messages": [{"sender_name": "A", "timestamp_ms": 1}]}
    assert not looks_like_telegram(messenger)
    assert not looks_like_telegram({"messages": [{"type": "message", "sender_name": "A"}]})


# corpus: HTML -----------------------------------------------------------------------------------


def test_messages_html(corpus: Path) -> None:
    text = read(corpus, "langchain_messages.html")
    assert looks_like_telegram_html(text)
    result = parse_telegram_html(text, "telegram/export/messages.html", UTC)
    messages = result.messages
    assert result.format == "telegram" and result.problems == []
    assert [m.sender for m in messages] == [
        "Jimmeny Marvelton",
        "Batman & Robin",
        "Jimmeny Marvelton",
        "Jimmeny Marvelton",  # a "joined" message has no from_name of its own
    ]
    assert [m.text for m in messages] == [
        "i refuse to converse with you",
        "Hi nemesis",
        "we meet again",
        "you will not trick me this time",
    ]
    assert [m.timestamp.isoformat() for m in messages if m.timestamp] == [
        "2023-08-23T21:11:23+00:00",
        "2023-08-23T21:13:20+00:00",
        "2023-08-23T21:15:35+00:00",
        "2023-08-23T21:15:53+00:00",
    ]
    assert [(m.source_ref.guid, m.source_ref.line, m.source_ref.line_end) for m in messages] == [
        ("1", 46, 76),
        ("2", 78, 108),
        ("3", 110, 140),
        ("4", 142, 156),
    ]
    conv_key = "html:telegram/export:Jimmeny Marvelton"
    assert messages[1].msg_id == stable_id(PLATFORM, conv_key, "2")
    assert {m.conv_id for m in messages} == {stable_id(PLATFORM, conv_key)}
    assert all(m.source_meta == {"chat": "Jimmeny Marvelton"} for m in messages)
    assert not any(m.is_me or m.attachments or m.reactions for m in messages)


def test_html_detection() -> None:
    assert not looks_like_telegram_html("<html><body><p>hello</p></body></html>")
    chats_list = '<div class="page_wrap"><div class="page_body list_page"><div class="entry">'
    assert not looks_like_telegram_html(chats_list)
    page = '<div class="page_wrap">\n<div class="message default clearfix" id="message5">'
    assert looks_like_telegram_html(page)


# hand-made: JSON --------------------------------------------------------------------------------

ACCOUNT: dict[str, Any] = {
    "about": "Here is the data you requested.",
    "personal_information": {"user_id": 42, "first_name": "Me"},
    "chats": {
        "about": "This page lists all chats from this export.",
        "list": [
            {
                "name": "Team",
                "type": "private_group",
                "id": 7,
                "messages": [
                    {
                        "id": 1,
                        "type": "service",
                        "date": "2023-06-13T14:00:00",
                        "date_unixtime": "1686657600",
                        "actor": "Alice",
                        "actor_id": "user5",
                        "action": "create_group",
                        "title": "Team",
                        "members": ["Bob", None],
                        "text": "",
                        "text_entities": [],
                    },
                    {
                        "id": 2,
                        "type": "message",
                        "date": "2023-06-13T14:01:00",
                        "date_unixtime": "1686657660",
                        "edited": "2023-06-13T14:02:00",
                        "edited_unixtime": "1686657720",
                        "from": "Me",
                        "from_id": "user42",
                        "forwarded_from": "Carol",
                        "reply_to_message_id": 1,
                        "photo": "photos/photo_1@13-06-2023_14-01-00.jpg",
                        "width": 800,
                        "height": 600,
                        "text": ["see ", {"type": "link", "text": "https://x.org"}, "!"],
                        "reactions": [
                            {
                                "type": "emoji",
                                "count": 3,
                                "emoji": "👍",
                                "recent": [{"from": "Alice", "from_id": "user5"}],
                            },
                            {"type": "custom_emoji", "count": 1, "document_id": "stickers/e.webp"},
                        ],
                    },
                    {
                        "id": 3,
                        "type": "message",
                        "date": "2023-06-13T14:03:00",
                        "date_unixtime": "1686657780",
                        "from": "Alice",
                        "from_id": "user5",
                        "file": "(File not included. Change data exporting settings to download.)",
                        "file_name": "talk.ogg",
                        "media_type": "voice_message",
                        "mime_type": "audio/ogg",
                        "duration_seconds": 3,
                        "text_entities": [
                            {"type": "plain", "text": "hear "},
                            {"type": "bold", "text": "this"},
                        ],
                    },
                    {
                        "id": 4,
                        "type": "service",
                        "date_unixtime": "1686657840",
                        "actor": "Alice",
                        "actor_id": "user5",
                        "action": "pin_message",
                        "message_id": 3,
                        "text": "",
                    },
                    {
                        "id": 5,
                        "type": "message",
                        "date_unixtime": "1686657900",
                        "from": "Bob",
                        "from_id": "user6",
                        "reply_to_peer_id": "channel9",
                        "reply_to_message_id": 77,
                        "file": "stickers/s.webp",
                        "media_type": "sticker",
                        "sticker_emoji": "😀",
                        "text": "",
                    },
                    {"id": 6, "type": "unsupported"},
                ],
            },
        ],
    },
    "left_chats": {
        "list": [
            {
                "name": "Old",
                "type": "private_supergroup",
                "id": 8,
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date": "2020-01-01T10:00:00",
                        "from": "Me",
                        "from_id": 42,
                        "text": "bye",
                        "poll": {"question": "Stay?", "answers": []},
                        "location_information": {"latitude": 1.5, "longitude": 2.25},
                        "contact_information": {"first_name": "Dan", "last_name": "Lee"},
                    }
                ],
            }
        ]
    },
}


def test_full_account_export() -> None:
    result = parse_json(json.dumps(ACCOUNT, ensure_ascii=False, indent=1), "a.json", PLUS_TWO)
    assert result.problems == []
    team, old = stable_id(PLATFORM, "7"), stable_id(PLATFORM, "8")
    assert [m.conv_id for m in result.messages] == [team] * 5 + [old]
    created, photo, voice, pin, sticker, bye = result.messages

    assert created.sender is None and created.text == (
        "Alice created group «Team» with members Bob, Deleted Account"
    )
    assert created.source_meta == {
        "chat": "Team",
        "chat_type": "private_group",
        "system": True,
        "action": "create_group",
        "actor": "Alice",
        "actor_id": "user5",
    }

    assert (photo.sender, photo.sender_id, photo.is_me) == ("Me", "user42", True)
    assert photo.text == "see https://x.org!"
    assert photo.reply_to_msg_id == created.msg_id == stable_id(PLATFORM, "7", "1")
    assert photo.attachments == [
        Attachment(kind="image", name="photos/photo_1@13-06-2023_14-01-00.jpg")
    ]
    assert photo.reactions == [
        Reaction(emoji="👍", sender="Alice"),
        Reaction(emoji="👍"),
        Reaction(emoji="👍"),
        Reaction(emoji="stickers/e.webp"),
    ]
    assert photo.source_meta["forwarded_from"] == "Carol"
    assert photo.source_meta["edited"] == "2023-06-13T12:02:00+00:00"
    assert photo.timestamp == datetime(2023, 6, 13, 12, 1, tzinfo=UTC)

    assert (voice.is_me, voice.text) == (False, "hear this")
    assert voice.attachments == [
        Attachment(
            kind="audio",
            name="(File not included. Change data exporting settings to download.)",
            mime="audio/ogg",
        )
    ]
    assert pin.text == "Alice pinned a message" and pin.reply_to_msg_id == voice.msg_id
    assert sticker.reply_to_msg_id is None and sticker.source_meta["reply_to_other_chat"]
    assert sticker.attachments == [Attachment(kind="sticker", name="stickers/s.webp")]

    assert (bye.is_me, bye.sender_id, bye.source_meta["chat"]) == (True, "42", "Old")
    assert bye.timestamp == datetime(2020, 1, 1, 10, tzinfo=PLUS_TWO)
    assert bye.attachments == [
        Attachment(kind="contact", name="Dan Lee"),
        Attachment(kind="location", name="1.5,2.25"),
        Attachment(kind="poll", name="Stay?"),
    ]


def test_saved_messages_chat_names_the_owner() -> None:
    doc = {
        "chats": {
            "list": [
                {"type": "saved_messages", "id": 42, "messages": []},
                {
                    "name": "Pal",
                    "type": "personal_chat",
                    "id": 9,
                    "messages": [
                        {"id": 1, "type": "message", "date_unixtime": "1", "from_id": "user42"},
                        {"id": 2, "type": "message", "date_unixtime": "2", "from_id": "user9"},
                    ],
                },
            ]
        }
    }
    messages = parse_json(json.dumps(doc)).messages
    assert [m.is_me for m in messages] == [True, False]
    assert messages[0].text == "" and messages[0].sender is None


def test_bad_records_become_problems_and_the_rest_parses() -> None:
    doc = {
        "chats": {
            "list": [
                "not a chat",
                {"name": "NoMessages", "messages": {"oops": 1}},
                {
                    "name": "Mixed",
                    "messages": [
                        12,
                        {"id": 1, "type": "strange", "date_unixtime": "5"},
                        {"id": 2, "type": "message", "date": "yesterday", "text": "kept"},
                        {"id": 3, "type": "message", "date_unixtime": "9", "text": {"x": 1}},
                    ],
                },
            ]
        }
    }
    text = json.dumps(doc, indent=1)
    result = parse_json(text, "bad.json")
    assert [(m.source_ref.guid, m.text, m.timestamp) for m in result.messages] == [
        ("2", "kept", None),
        ("3", "", datetime(1970, 1, 1, 0, 0, 9, tzinfo=UTC)),
    ]
    details = [p.detail for p in result.problems]
    assert details == [
        "chats entry 0 is a string, expected an object",
        "chat 'NoMessages' has no 'messages' list",
        "chat 'Mixed', message 0: message is a number, expected an object",
        "chat 'Mixed', message 1: unknown message type 'strange'",
        "chat 'Mixed', message 2: date 'yesterday' is not a time; kept without one",
    ]
    # a record that is no object has no line of its own: its chat's is given
    mixed = line_of(text, '"name": "Mixed"') - 1
    strange = line_of(text, '"strange"') - 2
    assert result.problems[2].instance == f"bad.json:{mixed}"
    assert result.problems[3].instance == f"bad.json:{strange}"


def test_not_telegram_json_raises() -> None:
    values: list[object] = [[], {"messages": "x"}, {"a": 1}, "text"]
    for value in values:
        with pytest.raises(ChatxError):
            parse_json(json.dumps(value))


# hand-made: HTML --------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html>
 <body onload="CheckLocation();">
  <div class="page_wrap">
   <div class="page_header"><div class="content"><div class="text bold">
Team &amp; Friends
   </div></div></div>
   <div class="page_body chat_page">
    <div class="history">
     <div class="message service" id="message-1">
      <div class="body details">13 June 2023</div>
     </div>
     <div class="message service" id="message10">
      <div class="body details">Alice created group &laquo;Team&raquo;</div>
     </div>
     <div class="message default clearfix" id="message11">
      <div class="pull_left userpic_wrap"><div class="initials">A</div></div>
      <div class="body">
       <div class="pull_right date details" title="13.06.2023 14:23:11 UTC+02:00">14:23</div>
       <div class="from_name">Alice</div>
       <div class="media_wrap clearfix">
        <a class="photo_wrap clearfix pull_left" href="photos/photo_1.jpg">
         <img class="photo" src="photos/photo_1_thumb.jpg"/>
        </a>
       </div>
       <div class="text">
Hello <strong>world</strong><br>second line &lt;3
       </div>
       <span class="reactions"><span class="reaction">
        <span class="emoji">👍</span>
        <span class="userpics"><div class="userpic userpic2"><div class="initials">B</div></div
        ><div class="userpic userpic3"><div class="initials">C</div></div></span>
       </span></span>
      </div>
     </div>
     <div class="message default clearfix joined" id="message12">
      <div class="body">
       <div class="pull_right date details" title="13.06.2023 14:24:00 UTC+02:00">14:24</div>
       <div class="reply_to details">
In reply to <a href="#go_to_message11" onclick="return GoToMessage(11)">this message</a>
       </div>
       <div class="media_wrap clearfix">
        <a class="media clearfix pull_left block_link media_file" href="files/report.pdf">
         <div class="body"><div class="title bold">report.pdf</div>
         <div class="status details">12.3 KB</div></div>
        </a>
       </div>
      </div>
     </div>
     <div class="message default clearfix" id="message13">
      <div class="body">
       <div class="pull_right date details" title="13.06.2023 15:00:00">15:00</div>
       <div class="from_name">Bob via @gif</div>
       <div class="forwarded body">
        <div class="from_name">Carol<span class="date details" title="x"> 12.06.2023</span></div>
        <div class="media_wrap clearfix">
         <div class="media clearfix pull_left media_voice_message">
          <div class="body"><div class="title bold">Voice message</div></div>
         </div>
        </div>
        <div class="text">forwarded words</div>
       </div>
      </div>
     </div>
     <div class="message service" id="message14">
      <div class="body details">
Bob pinned <a href="#go_to_message13" onclick="return GoToMessage(13)">this message</a>
      </div>
     </div>
     <div class="message default clearfix" id="message15">
      <div class="body">
       <div class="pull_right date details" title="14.06.2023 08:00:00 UTC+02:00">08:00</div>
       <div class="from_name">Alice</div>
       <div class="media_wrap clearfix"><div class="media_poll">
        <div class="question bold">Lunch?</div><div class="answer">- Yes</div>
       </div></div>
       <div class="media_wrap clearfix">
        <a class="sticker_wrap clearfix pull_left" href="stickers/s.webp"><img src="t.jpg"/></a>
       </div>
      </div>
     </div>
    </div>
   </div>
  </div>
 </body>
</html>
"""


def test_html_page_features() -> None:
    assert looks_like_telegram_html(PAGE)
    result = parse_telegram_html(PAGE, "ChatExport/messages.html", PLUS_TWO)
    assert result.problems == []
    created, hello, report, forwarded, pin, poll = result.messages
    key = "html:ChatExport:Team & Friends"
    assert [m.source_ref.guid for m in result.messages] == ["10", "11", "12", "13", "14", "15"]
    assert [m.source_ref.line for m in result.messages] == [
        line_of(PAGE, f'id="message{n}"') for n in range(10, 16)
    ]

    assert (created.sender, created.timestamp) == (None, None)
    assert created.text == "Alice created group «Team»"
    assert created.source_meta == {"chat": "Team & Friends", "system": True}

    assert hello.timestamp == datetime(2023, 6, 13, 12, 23, 11, tzinfo=UTC)
    assert (hello.sender, hello.text) == ("Alice", "Hello world\nsecond line <3")
    assert hello.attachments == [Attachment(kind="image", name="photos/photo_1.jpg")]
    assert hello.reactions == [Reaction(emoji="👍"), Reaction(emoji="👍")]
    assert hello.msg_id == stable_id(PLATFORM, key, "11")

    assert (report.sender, report.text) == ("Alice", "")
    assert report.reply_to_msg_id == hello.msg_id
    assert report.attachments == [Attachment(kind="document", name="files/report.pdf")]

    assert forwarded.timestamp == datetime(2023, 6, 13, 15, tzinfo=PLUS_TWO)
    assert (forwarded.sender, forwarded.text) == ("Bob", "forwarded words")
    assert forwarded.source_meta == {
        "chat": "Team & Friends",
        "via_bot": "@gif",
        "forwarded_from": "Carol",
    }
    assert forwarded.attachments == [Attachment(kind="audio", name="Voice message")]

    assert (pin.text, pin.reply_to_msg_id) == ("Bob pinned this message", forwarded.msg_id)
    assert poll.attachments == [
        Attachment(kind="poll", name="Lunch?"),
        Attachment(kind="sticker", name="stickers/s.webp"),
    ]


def test_html_cut_inside_a_message_keeps_it() -> None:
    cut = PAGE[: PAGE.index("second line")]
    result = parse_telegram_html(cut, "m.html", UTC)
    assert [m.source_ref.guid for m in result.messages] == ["10", "11"]
    assert result.messages[1].text == "Hello world"
    assert [p.detail for p in result.problems] == [
        "the file ends inside message 11; it is kept as read"
    ]


# robustness ------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _damaged(text: str, cut: int, flips: list[tuple[int, str]]) -> str:
    chars = list(text[:cut])
    for index, char in flips:
        if chars:
            chars[index % len(chars)] = char
    return "".join(chars)


FLIPS = st.lists(
    st.tuples(st.integers(0, 10**6), st.sampled_from('{}[],:"\\0a <>/=&;\n')), max_size=3
)


@pytest.mark.parametrize("name", JSON_SAMPLES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_json_truncation_and_flips_never_crash(corpus: Path, name: str, data: Any) -> None:
    text = read(corpus, name)
    damaged = _damaged(text, data.draw(st.integers(0, len(text))), data.draw(FLIPS))
    with contextlib.suppress(ChatxError, json.JSONDecodeError):
        parse_json(damaged)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_json_wrong_types_anywhere_become_problems(data: Any) -> None:
    value = copy.deepcopy(ACCOUNT)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(value)[1:]))
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = data.draw(JSON_VALUES)
    try:
        result = parse_json(json.dumps(value))
    except ChatxError:
        return
    assert not any("malformed record" in p.detail for p in result.problems)


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_html_truncation_and_flips_never_crash(corpus: Path, data: Any) -> None:
    for text in (read(corpus, "langchain_messages.html"), PAGE):
        damaged = _damaged(text, data.draw(st.integers(0, len(text))), data.draw(FLIPS))
        result = parse_telegram_html(damaged, "m.html", UTC)
        assert all(m.source_ref.line for m in result.messages)


# lxml reader ------------------------------------------------------------------------------------


def _history(*messages: str) -> str:
    return (
        '<html><body><div class="page_wrap">\n<div class="history">\n'
        + "\n".join(messages)
        + "\n</div>\n</div></body></html>\n"
    )


def test_html_lines_past_65535_come_from_the_text() -> None:
    # libxml2 stops counting lines at 65,535: every line must still be the file's own
    page = PAGE.replace('<div class="history">', '<div class="history">' + "\n" * 70_000)
    result = parse_telegram_html(page, "m.html", UTC)
    assert result.problems == []
    lines = [line_of(page, f'id="message{n}"') for n in range(10, 16)]
    assert [m.source_ref.line for m in result.messages] == lines
    assert [m.source_ref.line_end for m in result.messages][:-1] == [n - 1 for n in lines[1:]]
    assert result.messages[-1].source_ref.line_end == line_of(page, "</div>\n    </div>\n   </div>")


def test_html_message_left_open_holds_the_next_one() -> None:
    page = _history(
        '<div class="message service" id="message-1"><div class="body details">1 May</div>',
        '<div class="message default" id="message1"><div class="body">',
        '<div class="from_name">Ann</div><div class="text">one</div></div>',
        '<div class="message default joined" id="message2"><div class="body">',
        '<div class="text">two</div></div></div>',
    )
    result = parse_telegram_html(page, "m.html", UTC)
    assert [(m.source_ref.guid, m.sender, m.text) for m in result.messages] == [
        ("1", "Ann", "one"),
        ("2", "Ann", "two"),
    ]
    assert [m.source_ref.line for m in result.messages] == [4, 6]


def test_html_empty_or_declared_encodings_are_read_as_given() -> None:
    for empty in ("", "  \n", "<html></html>", "garbage"):
        result = parse_telegram_html(empty, "m.html", UTC)
        assert (result.messages, result.problems) == ([], [])
    expected = parse_telegram_html(PAGE, "m.html", UTC).messages
    declared = '<?xml version="1.0" encoding="windows-1251"?>' + PAGE.replace(
        "<html>", '<html><head><meta charset="windows-1251"/></head>'
    )
    assert parse_telegram_html(declared, "m.html", UTC).messages == expected


def test_html_message_over_10_mb_is_kept_whole() -> None:
    words = "word " * 2_200_000  # libxml2 drops a text over 10 MB unless told otherwise
    page = _history(
        f'<div class="message default" id="message1"><div class="text">{words}</div></div>'
    )
    (message,) = parse_telegram_html(page, "m.html", UTC).messages
    assert len(message.text) == len(words) - 1


def test_html_nesting_too_deep_is_a_problem_not_a_crash() -> None:
    deep = "<span>" * 1500 + "deep" + "</span>" * 1500
    page = _history(
        '<div class="message default" id="message1"><div class="text">first</div></div>',
        f'<div class="message default" id="message2"><div class="text">{deep}</div></div>',
    )
    result = parse_telegram_html(page, "m.html", UTC)
    assert [m.text for m in result.messages] == ["first"]
    assert [p.detail for p in result.problems] == [
        "markup nested too deeply; the messages before it are kept"
    ]
