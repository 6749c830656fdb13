"""Slack workspace exports: ../shared/corpus/slack and a hand-made export."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatx.ingest.common import Extracted, stable_id
from chatx.ingest.jsonpos import PositionedJSON
from chatx.ingest.slack import (
    PLATFORM,
    SlackContext,
    is_slack_day_name,
    load_context,
    looks_like_slack_day,
    looks_like_slack_root,
    parse_slack_day,
)
from chatx.models import Attachment, Reaction
from chatx.problems import ChatxError

SAMPLE = "slack/langchain_slack_export"
DAYS = ("example-channel/2023-04-13.json", "general/2023-04-13.json", "random/2023-04-13.json")


def reader(root: Path) -> Callable[[str], bytes | None]:
    def read(name: str) -> bytes | None:
        path = root / name
        return path.read_bytes() if path.is_file() else None

    return read


def parse_day(text: str, name: str, context: SlackContext) -> Extracted:
    folder = name.split("/")[0]
    return parse_slack_day(PositionedJSON(text, name, salvage=True), name, folder, context)


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


# --- the corpus sample ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(corpus: Path) -> Path:
    return corpus / SAMPLE


def test_corpus_context(sample: Path) -> None:
    context, problems = load_context(reader(sample))
    assert problems == []
    assert context.users == {"U050FRJNFQS": "GitHub"}
    assert context.bots == {"B050UE53Z97": "GitHub"}
    assert context.conversations == {
        "general": "#general",
        "random": "#random",
        "example-channel": "#example-channel",
        "lang-chat": "#lang-chat",
    }
    assert set(context.kinds.values()) == {"channel"}


def test_corpus_zip_gives_the_same_context_and_listing(sample: Path) -> None:
    with zipfile.ZipFile(sample.parent / "langchain_slack_export.zip") as archive:
        names = archive.namelist()

        def read(name: str) -> bytes | None:
            return archive.read(name) if name in names else None

        context, problems = load_context(read)
        day = archive.read("general/2023-04-13.json").decode()
    assert problems == []
    assert context == load_context(reader(sample))[0]
    assert looks_like_slack_root(names)
    assert [m.text for m in parse_day(day, "general/2023-04-13.json", context).messages] == [
        "Hello, world!",
        "Example in general",
    ]


def test_corpus_listing_is_a_slack_root(sample: Path) -> None:
    names = [p.relative_to(sample).as_posix() for p in sample.rglob("*")]
    assert looks_like_slack_root(names)
    assert not looks_like_slack_root([n for n in names if n != "users.json"])
    assert not looks_like_slack_root([n for n in names if "/" not in n])
    assert sorted(n for n in names if is_slack_day_name(n)) == sorted(DAYS)


def test_corpus_day_files(sample: Path) -> None:
    context, _ = load_context(reader(sample))
    got: dict[str, list[tuple[Any, ...]]] = {}
    for name in DAYS:
        text = (sample / name).read_text(encoding="utf-8")
        assert looks_like_slack_day(json.loads(text))
        result = parse_day(text, name, context)
        assert result.format == "slack" and result.kind == "chat"
        assert result.problems == []
        folder = name.split("/")[0]
        for m in result.messages:
            assert m.platform == PLATFORM
            assert m.conv_id == stable_id(PLATFORM, folder)
            assert m.msg_id == stable_id(PLATFORM, folder, m.source_ref.guid)
            assert not m.is_me and m.reply_to_msg_id is None
            assert m.reactions == [] and m.attachments == []
        assert result.messages[0].source_meta["conversation"] == f"#{folder}"
        assert all("conversation" not in m.source_meta for m in result.messages[1:])
        got[name] = [
            (m.sender, m.sender_id, m.text, m.timestamp, m.source_ref.line, m.source_ref.line_end)
            for m in result.messages
        ]
    user, day = "U0500003428", "2023-04-13T"
    assert got == {
        "example-channel/2023-04-13.json": [
            # the join line's <@U0500003428> is named by the profile of the user's own message
            (None, user, "@Example User has joined the channel", at(f"{day}19:23:35.354069"), 1, 7),
            ("Example User", user, "Example message", at(f"{day}19:23:49.513479"), 8, 28),
        ],
        "general/2023-04-13.json": [
            ("Example User", user, "Hello, world!", at(f"{day}19:15:17.397479"), 1, 32),
            ("Example User", user, "Example in general", at(f"{day}19:23:54.502859"), 33, 53),
        ],
        "random/2023-04-13.json": [
            ("Example User", user, "Example random message", at(f"{day}19:24:12.964959"), 1, 21),
        ],
    }  # fmt: skip


def test_corpus_join_line_is_a_system_message(sample: Path) -> None:
    name = "example-channel/2023-04-13.json"
    context, _ = load_context(reader(sample))
    join = parse_day((sample / name).read_text(), name, context).messages[0]
    assert join.source_meta == {
        "system": True,
        "subtype": "channel_join",
        "conversation": "#example-channel",
    }
    assert join.source_ref.guid == "1681413815.354069"


# --- a hand-made export: threads over two days, bots, files, reactions, a DM and a group DM -----

THREAD = "1709290800.000100"
EXPORT: dict[str, Any] = {
    "users.json": [
        {"id": "U1", "name": "alice", "profile": {"display_name": "Alice", "real_name": "A. L."}},
        {"id": "U2", "name": "bob", "profile": {"display_name": "", "real_name": "Bob Stone"}},
        {"id": "U3", "name": "carol", "real_name": "Carol King", "profile": {}},
        {"id": "U9", "name": "deploy", "profile": {"real_name": "Deploy Bot", "bot_id": "B9"}},
    ],
    "channels.json": [{"id": "C1", "name": "dev", "members": ["U1", "U2"]}],
    "groups.json": [{"id": "G1", "name": "secret", "members": ["U1"]}],
    "dms.json": [{"id": "D1", "members": ["U1", "U2"]}],
    "mpims.json": [{"id": "G2", "name": "mpdm-alice--bob--carol-1", "members": ["U1", "U2", "U3"]}],
    "dev/2024-03-01.json": [
        {
            "type": "message",
            "user": "U1",
            "ts": THREAD,
            "text": "Plan for <#C1> &amp; <#C5|ops>: <https://wiki.example.org/d|the runbook> "
            "or <https://example.org>",
            "thread_ts": THREAD,
            "reply_count": 3,
            "replies": [{"user": "U2", "ts": "1709290900.000200"}],
            "edited": {"user": "U1", "ts": "1709290860.000000"},
            "reactions": [{"name": "thumbsup", "users": ["U2", "U3"], "count": 2}],
        },
        {
            "type": "message",
            "user": "U2",
            "ts": "1709290900.000200",
            "text": "<@U1> looks good <!here> &lt;3 <@U8|olduser>",
            "thread_ts": THREAD,
            "parent_user_id": "U1",
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "username": "CI",
            "bot_id": "B7",
            "ts": "1709291000.000300",
            "text": "Build passed",
            "attachments": [
                {
                    "fallback": "Build #42 passed",
                    "text": "unfurl text",
                    "title_link": "https://ci/42",
                }
            ],
        },
        {
            "type": "message",
            "user": "U9",
            "bot_id": "B9",
            "ts": "1709291100.000400",
            "text": "",
            "attachments": [{"fallback": "Deployed v1.2 to prod", "color": "good"}],
        },
        {
            "type": "message",
            "user": "U3",
            "ts": "1709291200.000500",
            "text": "",
            "files": [
                {"name": "shot.png", "title": "Screenshot", "mimetype": "image/png"},
                {"title": "spec.pdf", "mimetype": "application/pdf", "filetype": "pdf"},
            ],
        },
        {
            "type": "message",
            "subtype": "channel_topic",
            "user": "U2",
            "ts": "1709291300.000600",
            "text": "<@U2> set the channel topic: Releases",
            "topic": "Releases",
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "ts": "1709291400.000700",
            "deleted_ts": "1709291000.000300",
        },
        {
            "type": "message",
            "user": "U7",
            "ts": "1709291500.000800",
            "text": "hi <!channel>",
            "user_profile": {"real_name": "Guest Person", "display_name": ""},
        },
    ],
    "dev/2024-03-02.json": [
        {
            "type": "message",
            "user": "U1",
            "ts": "1709377200.000100",
            "text": "Shipped.",
            "thread_ts": THREAD,
            "parent_user_id": "U1",
        },
        {
            "type": "message",
            "subtype": "thread_broadcast",
            "user": "U2",
            "ts": "1709377300.5",
            "text": "Also in the channel",
            "thread_ts": THREAD,
        },
    ],
    "D1/2024-03-01.json": [
        {"type": "message", "user": "U2", "ts": "1709290000.000001", "text": "psst <@U1>"}
    ],
    "mpdm-alice--bob--carol-1/2024-03-01.json": [
        {"type": "message", "user": "U3", "ts": "1709290000.000002", "text": "hello all :wave:"}
    ],
}
DAY_NAMES = [name for name in EXPORT if is_slack_day_name(name)]


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    for name, value in EXPORT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=4), encoding="utf-8")
    return tmp_path


def parse_export(root: Path) -> tuple[SlackContext, dict[str, Extracted]]:
    context, problems = load_context(reader(root))
    assert problems == []
    days = {name: parse_day((root / name).read_text(), name, context) for name in DAY_NAMES}
    return context, days


def test_hand_made_context(export: Path) -> None:
    context, _ = parse_export(export)
    assert context.users == {
        "U1": "Alice",
        "U2": "Bob Stone",
        "U3": "Carol King",
        "U9": "Deploy Bot",
    }
    assert context.bots == {"B9": "Deploy Bot"}
    assert context.conversations == {
        "dev": "#dev",
        "secret": "#secret",
        "D1": "DM: Alice, Bob Stone",
        "mpdm-alice--bob--carol-1": "Group DM: Alice, Bob Stone, Carol King",
    }
    assert context.kinds == {
        "dev": "channel",
        "secret": "private",
        "D1": "dm",
        "mpdm-alice--bob--carol-1": "group-dm",
    }
    assert looks_like_slack_root([*EXPORT, "dev/"])
    assert all(looks_like_slack_day(EXPORT[name]) for name in DAY_NAMES)


def test_hand_made_channel_day(export: Path) -> None:
    _, days = parse_export(export)
    result = days["dev/2024-03-01.json"]
    assert result.problems == []
    m = result.messages
    assert [x.sender for x in m] == [
        "Alice", "Bob Stone", "CI", "Deploy Bot", "Carol King", None, None, "Guest Person",
    ]  # fmt: skip
    assert [x.sender_id for x in m] == ["U1", "U2", "B7", "B9", "U3", "U2", None, "U7"]
    assert m[0].text == (
        "Plan for #dev & #ops: the runbook (https://wiki.example.org/d) or https://example.org"
    )
    assert m[0].timestamp == at("2024-03-01T11:00:00.000100")
    assert m[0].source_meta == {
        "thread": True,
        "edited": "2024-03-01T11:01:00+00:00",
        "conversation": "#dev",
    }
    assert m[0].reactions == [
        Reaction(emoji=":thumbsup:", sender="Bob Stone"),
        Reaction(emoji=":thumbsup:", sender="Carol King"),
    ]
    assert m[1].text == "@Alice looks good @here <3 @olduser"
    assert m[1].reply_to_msg_id == m[0].msg_id == stable_id(PLATFORM, "dev", THREAD)
    # a link unfurl is an attachment; its preview text is not the message's
    assert (m[2].text, m[2].source_meta) == (
        "Build passed",
        {"subtype": "bot_message", "bot": True},
    )
    assert m[2].attachments == [Attachment(kind="link", name="https://ci/42")]
    # an integration's link-less attachment is all the message has: its fallback is the text
    assert (m[3].text, m[3].source_meta, m[3].attachments) == (
        "Deployed v1.2 to prod",
        {"bot": True},
        [],
    )
    assert (m[4].text, m[4].attachments) == ("", [
        Attachment(kind="image", name="shot.png", mime="image/png"),
        Attachment(kind="document", name="spec.pdf", mime="application/pdf"),
    ])  # fmt: skip
    assert (m[5].text, m[5].source_meta) == (
        "@Bob Stone set the channel topic: Releases",
        {"subtype": "channel_topic", "system": True},
    )
    assert (m[6].text, m[6].source_meta) == (
        "(message deleted)",
        {"subtype": "message_deleted", "system": True, "deleted": True},
    )
    assert m[7].text == "hi @channel"
    assert [x.source_ref.line for x in m] == [2, 30, 38, 53, 66, 84, 92, 99]
    # a record ends where the next starts; the last one at its last nested object (its
    # user_profile at 104; the closing brace is at 108, which the document cannot tell)
    assert [x.source_ref.line_end for x in m] == [29, 37, 52, 65, 83, 91, 98, 104]
    assert len({x.msg_id for x in m}) == len(m)


def test_thread_replies_in_a_later_day_point_at_their_parent(export: Path) -> None:
    _, days = parse_export(export)
    parent = days["dev/2024-03-01.json"].messages[0]
    later = days["dev/2024-03-02.json"].messages
    assert [(x.text, x.reply_to_msg_id, x.conv_id) for x in later] == [
        ("Shipped.", parent.msg_id, parent.conv_id),
        ("Also in the channel", parent.msg_id, parent.conv_id),
    ]
    assert later[1].timestamp == at("2024-03-02T11:01:40.500000")
    assert later[1].source_meta == {"subtype": "thread_broadcast"}
    assert later[0].source_meta == {"conversation": "#dev"}


def test_dm_and_group_dm(export: Path) -> None:
    _, days = parse_export(export)
    dm = days["D1/2024-03-01.json"].messages
    group = days["mpdm-alice--bob--carol-1/2024-03-01.json"].messages
    assert [(x.sender, x.text, x.source_meta) for x in dm] == [
        ("Bob Stone", "psst @Alice", {"conversation": "DM: Alice, Bob Stone"})
    ]
    assert [(x.sender, x.text, x.source_meta) for x in group] == [
        (
            "Carol King",
            "hello all :wave:",
            {"conversation": "Group DM: Alice, Bob Stone, Carol King"},
        )
    ]
    assert dm[0].conv_id == stable_id(PLATFORM, "D1") != group[0].conv_id


# --- damaged input -------------------------------------------------------------------------------


def test_bad_root_file_is_a_problem_naming_it(export: Path) -> None:
    (export / "groups.json").write_text('[{"id": "G1", "name": ', encoding="utf-8")
    (export / "dms.json").write_text('{"not": "a list"}', encoding="utf-8")
    context, problems = load_context(reader(export))
    assert [p.instance for p in problems] == ["groups.json", "dms.json"]
    assert problems[0].detail.startswith("groups.json: invalid JSON at line 1 column 23")
    assert problems[1].detail == "dms.json: the top level is an object, expected a list"
    assert context.kinds == {"dev": "channel", "mpdm-alice--bob--carol-1": "group-dm"}


def test_truncated_users_json_keeps_the_users_before_the_cut(export: Path) -> None:
    text = json.dumps(EXPORT["users.json"], indent=4)
    (export / "users.json").write_text(text[: text.index('"U2"')], encoding="utf-8")
    context, problems = load_context(reader(export))
    assert context.users == {"U1": "Alice"}
    assert [p.instance for p in problems] == ["users.json"]
    assert "the 1 records before it are kept" in problems[0].detail
    name = "dev/2024-03-01.json"
    messages = parse_day((export / name).read_text(), name, context).messages
    assert messages[5].text == "@U2 set the channel topic: Releases"
    assert messages[1].sender == "U2"
    assert context.conversations["D1"] == "DM: Alice, U2"


def test_missing_root_files_give_an_empty_context() -> None:
    context, problems = load_context(lambda name: None)
    assert (context, problems) == (SlackContext(), [])
    result = parse_day(json.dumps(EXPORT["D1/2024-03-01.json"]), "D1/2024-03-01.json", context)
    assert [(m.sender, m.text, m.source_meta) for m in result.messages] == [
        ("U2", "psst @U1", {"conversation": "D1"})
    ]


def test_bad_records_are_problems_and_the_rest_is_read() -> None:
    text = "\n".join(
        [
            "[",
            '"junk",',
            '{"type": "message", "text": "no ts"},',
            '{"type": "message", "ts": "1.5", "text": 5},',
            '{"type": "message", "ts": "soon", "user": "U1", "text": "bad time"},',
            '{"type": "message", "ts": "1709290800.000100", "user": "U1", "text": "ok",'
            ' "files": "nope", "reactions": [7, {"name": 3}], "attachments": {"a": 1}},',
            '{"type": "message", "ts": "1709290801.000100", "user": "U1", "text": ""}',
            "]",
        ]
    )
    result = parse_day(text, "dev/2024-03-01.json", SlackContext())
    assert [(m.text, m.timestamp) for m in result.messages] == [
        ("bad time", None),
        ("ok", at("2024-03-01T11:00:00.000100")),
    ]
    ts_wanted = "expected a string like '1681413317.397479'"
    assert [(p.instance, p.detail) for p in result.problems] == [
        ("dev/2024-03-01.json:2", "message 0: is a string, expected an object"),
        ("dev/2024-03-01.json:3", f"message 1: 'ts' is null, {ts_wanted}"),
        ("dev/2024-03-01.json:4", "message 2: 'text' is a number, expected a string"),
        ("dev/2024-03-01.json:5", "message 3: ts 'soon' is not a time; kept without one"),
    ]  # fmt: skip


def test_a_file_that_is_no_day_file_is_a_file_problem() -> None:
    with pytest.raises(ChatxError, match="not a Slack day file: the top level is an object"):
        parse_day('{"ok": true}', "dev/2024-03-01.json", SlackContext())
    assert not looks_like_slack_day({"ok": True})
    assert not looks_like_slack_day([])
    assert not looks_like_slack_day([{"mapping": {}}])
    assert not looks_like_slack_day([{"type": "message", "ts": 1681413317.3}])
    assert not is_slack_day_name("dev/2024-3-1.json")
    assert not is_slack_day_name("a/dev/2024-03-01.json")
    assert is_slack_day_name("./dev/2024-03-01.json")


# --- properties ----------------------------------------------------------------------------------

HAND_MADE_DAYS = {name: json.dumps(EXPORT[name], indent=4) for name in DAY_NAMES}


def corpus_days() -> dict[str, str]:
    """The corpus day files when the corpus is there (the `corpus` fixture cannot feed
    hypothesis), and the hand-made ones."""
    root = Path(__file__).resolve().parents[3] / "shared" / "corpus" / SAMPLE
    found = {
        name: (root / name).read_text(encoding="utf-8") for name in DAYS if (root / name).is_file()
    }
    return {**found, **HAND_MADE_DAYS}


ALL_DAYS = corpus_days()


def parse_damaged(text: str, name: str) -> Extracted | None:
    """A parse of damaged text; None when the damage left no JSON (a file-level problem)."""
    try:
        doc = PositionedJSON(text, name, salvage=True)
    except (json.JSONDecodeError, RecursionError):
        return None
    try:
        return parse_slack_day(doc, name, name.split("/")[0], SlackContext())
    except ChatxError:
        return None


@settings(max_examples=50, deadline=None)
@given(name=st.sampled_from(sorted(ALL_DAYS)), cut=st.floats(0, 1))
def test_truncated_day_files_never_crash(name: str, cut: float) -> None:
    text = ALL_DAYS[name]
    full = parse_damaged(text, name)
    assert full is not None
    result = parse_damaged(text[: int(len(text) * cut)], name)
    if result is not None:
        guids = [m.source_ref.guid for m in result.messages]
        assert guids == [m.source_ref.guid for m in full.messages][: len(guids)]


@settings(max_examples=50, deadline=None)
@given(
    name=st.sampled_from(sorted(ALL_DAYS)),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=3),
)
def test_byte_flips_in_day_files_never_crash(name: str, flips: list[tuple[float, int]]) -> None:
    data = bytearray(ALL_DAYS[name].encode())
    for where, byte in flips:
        data[min(int(len(data) * where), len(data) - 1)] = byte
    parse_damaged(data.decode("utf-8", "replace"), name)


@settings(max_examples=50, deadline=None)
@given(cut=st.integers(0, len(json.dumps(EXPORT["users.json"], indent=4))))
def test_truncated_users_json_is_a_problem_never_a_crash(cut: int) -> None:
    full = json.dumps(EXPORT["users.json"], indent=4)
    files = {"users.json": full[:cut].encode(), "channels.json": b'[{"id": "C1", "name": "dev"}]'}
    context, problems = load_context(files.get)
    assert context.conversations == {"dev": "#dev"}
    assert context.users.items() <= load_context({"users.json": full.encode()}.get)[0].users.items()
    if full[:cut].rstrip() != full:
        assert problems and {p.instance for p in problems} == {"users.json"}
