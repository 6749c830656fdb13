"""WhatsApp parser over every export in ../shared/corpus/whatsapp."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest

from chatx.ingest import extract, extract_text

CHATMINER = [
    "chatminer_android_ddmmyy_24h.txt",
    "chatminer_android_mmddyy_24h.txt",
    "chatminer_android_mmddyyyy_12h_es.txt",
    "chatminer_android_yyyymmdd_24h.txt",
    "chatminer_ios_bracket_mmddyy_24h.txt",
]


def parse(corpus: Path, name: str, zone=UTC):  # type: ignore[no-untyped-def]
    result = extract(corpus / "whatsapp" / name, f"whatsapp/{name}", zone)
    assert result.format == "whatsapp"
    return result.messages


@pytest.mark.parametrize("name", CHATMINER)
def test_chatminer_variants_match_upstream_target(corpus: Path, name: str) -> None:
    messages = parse(corpus, name)
    target = json.loads((corpus / "whatsapp" / "chatminer_expected_target.json").read_text())
    authored = [m for m in messages if m.sender is not None]
    got = [
        {
            "timestamp": m.timestamp.replace(tzinfo=None).isoformat(),
            "author": m.sender,
            "message": m.text.replace("\n", " "),
        }
        for m in reversed(authored)
    ]
    assert got == target
    assert len(messages) == 9
    assert [m.text for m in messages if m.sender is None] == [
        "John Doe:.",
        '+12 345 578 created group "Groupname"',
        "You were added",
    ]
    assert (
        messages[2].text == "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
    )
    assert (messages[2].source_ref.line, messages[2].source_ref.line_end) == (3, 4)


def test_ios_12h_with_lrm_and_omitted_media(corpus: Path) -> None:
    messages = parse(corpus, "langchain_ios_12h.txt")
    assert len(messages) == 12
    assert {m.sender for m in messages} == {"Dr. Feather", "Jungle Jane"}
    assert messages[0].timestamp.isoformat() == "2023-08-15T09:12:33+00:00"
    assert messages[-1].timestamp.isoformat() == "2023-08-15T21:25:16+00:00"
    images = [m for m in messages if m.attachments]
    assert len(images) == 3
    assert all(m.text == "image omitted" and m.attachments[0].kind == "image" for m in images)
    assert not any("\u200e" in m.text for m in messages)


def test_mixed_layouts_one_per_line(corpus: Path) -> None:
    messages = parse(corpus, "langchain_mixed_formats.txt")
    stamps = [m.timestamp.replace(tzinfo=None).isoformat() for m in messages]
    assert stamps == [
        "2023-05-05T15:48:11",
        "2021-11-08T09:41:32",
        "2023-01-23T03:19:00",
        "2023-01-23T03:22:00",
        "2021-01-24T12:41:03",
        "2023-05-04T16:13:23",
        "2022-07-19T23:32:00",
        "2022-07-20T11:32:00",
        "2023-04-20T09:42:00",
        "2023-06-29T00:16:00",
    ]
    assert messages[4].sender == "User name 2"  # "~ " prefix stripped
    assert messages[8].attachments[0].kind == "media"
    assert messages[9].source_meta["deleted"] is True


def test_format_zoo_localized_am_pm_and_attachments(corpus: Path) -> None:
    messages = parse(corpus, "pustur_format_zoo_lines.txt")
    assert len(messages) == 18
    assert messages[2].timestamp.replace(tzinfo=None).isoformat() == "2018-06-03T13:55:00"
    assert messages[4].timestamp.replace(tzinfo=None).isoformat() == "2018-06-13T21:25:15"
    assert messages[6].timestamp.replace(tzinfo=None).isoformat() == "2018-06-13T21:25:15"  # klo
    assert messages[12].timestamp.hour == 13  # "p.\u00a0m."
    assert messages[13].timestamp.hour == 13  # U+202F before PM
    assert messages[1].sender is None and messages[1].text == 'You created group "Test"'
    names = [m.attachments[0].name for m in messages[14:] if m.attachments]
    assert names == [
        "00000042-PHOTO-2020-06-07-15-13-20.jpg",
        "IMG-20210428-WA0001.jpg",
        "2015-08-04-PHOTO-00004762.jpg",
        "4f2680f1db95a8454775cc2eefc95bfc.jpg",
    ]
    assert messages[-1].text.endswith("\nDir auch frohe Ostern.")


def test_ios_group_crlf_multiline_poll_and_attachments(corpus: Path) -> None:
    messages = parse(corpus, "pustur_ios_group_attached_poll_crlf.txt")
    assert len(messages) == 52
    assert messages[0].sender is None
    assert messages[0].text == "Messages to this group are now secured with end-to-end encryption."
    assert {m.sender for m in messages if m.sender} == {"Loris", "John", "Emily"}
    kinds = [a.kind for m in messages for a in m.attachments]
    assert kinds == ["image", "video", "audio", "document", "poll"]
    poll = next(m for m in messages if m.text.startswith("POLL:"))
    assert poll.attachments[0].name == "When can we meet?"
    assert poll.text.count("OPTION:") == 5
    assert "\r" not in "".join(m.text for m in messages)
    assert messages[-1].timestamp.isoformat() == "2019-06-20T16:45:28+00:00"


def test_ios_group_2019(corpus: Path) -> None:
    messages = parse(corpus, "pustur_ios_group_2019_crlf.txt")
    assert len(messages) == 100
    assert messages[0].text.startswith("Messages to this group")
    assert messages[-1].text == (
        "Links:\n- https://github.com/Pustur/whatsapp-chat-parser\n"
        "- https://github.com/Pustur/whatsapp-chat-parser-website"
    )


def test_zone_less_times_read_in_configured_zone_and_raw_kept(corpus: Path) -> None:
    plus_two = timezone(timedelta(hours=2))
    messages = parse(corpus, "chatminer_android_ddmmyy_24h.txt", plus_two)
    assert messages[0].timestamp.isoformat() == "2019-01-01T11:25:00+02:00"
    assert messages[0].source_meta["timestamp_raw"] == "01/01/19, 11:25"


def test_msg_ids_stable_and_unique(corpus: Path) -> None:
    first = parse(corpus, "pustur_format_zoo_lines.txt")
    again = parse(corpus, "pustur_format_zoo_lines.txt")
    assert [m.msg_id for m in first] == [m.msg_id for m in again]
    assert len({m.msg_id for m in first}) == len(first)  # identical "a: m" lines stay distinct


def test_appending_lines_keeps_earlier_ids() -> None:
    base = "[01.02.24, 10:00:00] Ann: hi\n[01.02.24, 10:01:00] Bob: hello\n"
    more = base + "[01.02.24, 10:02:00] Ann: lunch?\n"
    ids = [m.msg_id for m in extract_text(base, "c.txt", UTC).messages]
    ids_more = [m.msg_id for m in extract_text(more, "c.txt", UTC).messages]
    assert ids_more[:2] == ids and len(ids_more) == 3
