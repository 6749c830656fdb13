"""The slash actions' edit logic (`chatx.editor.edits`) and position conversion
(`chatx.editor.positions`), in process: every case in UTF-16, UTF-8 and UTF-32, with emoji (two
UTF-16 units, four UTF-8 bytes), combining characters, CRLF and a last line without a line
break."""

from __future__ import annotations

import pytest
from lsprotocol import types

from chatx.editor.edits import (
    Document,
    Target,
    action_edit,
    action_input,
    find_target,
    place_block,
    redaction_target,
)
from chatx.editor.positions import (
    UTF8,
    UTF16,
    UTF32,
    client_column,
    server_column,
    server_position,
    text_in_range,
)
from chatx.models import ActionResult, FileEdit, Route

ENCODINGS = [UTF16, UTF8, UTF32]
BLOCK = "# Related (ChatX)\n# - docs/a.md:1\n"
URI = "file:///work/chat.py"

Column = int | dict[str, int]


def units(utf16: int, utf8: int, utf32: int) -> dict[str, int]:
    """One column as each encoding counts it."""
    return {UTF16: utf16, UTF8: utf8, UTF32: utf32}


def rng(encoding: str, l0: int, c0: Column, l1: int, c1: Column) -> types.Range:
    """A client range whose columns may differ by encoding."""

    def at(line: int, column: Column) -> types.Position:
        return types.Position(line, column if isinstance(column, int) else column[encoding])

    return types.Range(at(l0, c0), at(l1, c1))


def document(text: str, encoding: str, uri: str = URI) -> Document:
    return Document(uri, text.splitlines(True), None, encoding, 7)


def target_of(doc: Document, selected: types.Range) -> Target:
    found = find_target(doc, selected)
    assert found is not None
    return found


PLACEMENTS = [
    pytest.param(
        "Hi 😀 there\n/related\nafter\n",
        (1, 2, 1, 2),
        "Hi 😀 there /related after",
        (1, 0, 2, 0),
        BLOCK,
        id="bare-command-line",
    ),
    pytest.param(
        "e\u0301 ok\n# /cite",
        (1, 0, 1, 0),
        "e\u0301 ok # /cite",
        (1, 0, 1, 7),
        BLOCK.rstrip("\n"),
        id="bare-command-last-line-no-newline",
    ),
    pytest.param(
        "# /cite 😀 deploy",
        (0, 3, 0, 3),
        "😀 deploy",
        (0, 0, 0, units(17, 19, 16)),
        BLOCK.rstrip("\n"),
        id="typed-command-with-emoji-last-line",
    ),
    pytest.param(
        "intro\n\n😀 ok",
        (2, 0, 2, 0),
        "😀 ok",
        (2, units(5, 7, 4), 2, units(5, 7, 4)),
        "\n" + BLOCK.rstrip("\n"),
        id="emoji-last-line-no-newline",
    ),
    pytest.param(
        "cafe\u0301 au lait",
        (0, 0, 0, 0),
        "cafe\u0301 au lait",
        (0, units(13, 14, 13), 0, units(13, 14, 13)),
        "\n" + BLOCK.rstrip("\n"),
        id="combining-last-line",
    ),
    pytest.param(
        "one\r\n😀 two\r\n",
        (1, 0, 1, 0),
        "one 😀 two",
        (1, units(6, 8, 5), 1, units(6, 8, 5)),
        "\n" + BLOCK.rstrip("\n"),
        id="crlf-emoji-last-line",
    ),
    pytest.param(
        "😀 one\r\n\r\nnext\r\n",
        (0, 0, 0, 0),
        "😀 one",
        (1, 0, 1, 0),
        BLOCK,
        id="crlf-paragraph-before-more",
    ),
    pytest.param(
        "say 😀 hi\nnext\n",
        (0, units(6, 8, 5), 0, units(9, 11, 8)),
        "hi",
        (1, 0, 1, 0),
        BLOCK,
        id="selection-after-emoji",
    ),
    pytest.param(
        "a 😀\nb",
        (0, 0, 1, 0),
        "a 😀",
        (1, 0, 1, 0),
        BLOCK,
        id="selection-to-next-line-start",
    ),
    pytest.param(
        "x\ne\u0301 😀 e\u0301",
        (1, units(2, 3, 2), 1, units(8, 12, 7)),
        "😀 e\u0301",
        (1, units(8, 12, 7), 1, units(8, 12, 7)),
        "\n" + BLOCK.rstrip("\n"),
        id="selection-on-last-line",
    ),
]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(("text", "cursor", "query", "where", "new_text"), PLACEMENTS)
def test_the_block_goes_after_the_text_or_replaces_the_command(
    encoding: str,
    text: str,
    cursor: tuple[int, Column, int, Column],
    query: str,
    where: tuple[int, Column, int, Column],
    new_text: str,
) -> None:
    doc = document(text, encoding)
    target = target_of(doc, rng(encoding, *cursor))
    assert target.query == query
    assert place_block(doc, target, BLOCK) == types.TextEdit(rng(encoding, *where), new_text)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_markdown_gets_a_blank_line_before_the_block(encoding: str) -> None:
    doc = document("😀 ok\n\nlater\n", encoding, "file:///work/chat.md")
    target = target_of(doc, rng(encoding, 0, 0, 0, 0))
    edit = place_block(doc, target, "> **Related**\n")
    assert edit == types.TextEdit(rng(encoding, 1, 0, 1, 0), "\n> **Related**\n")
    last = document("😀 ok", encoding, "file:///work/chat.md")
    edit = place_block(last, target, "> **Related**\n")
    assert edit == types.TextEdit(
        rng(encoding, 0, units(5, 7, 4), 0, units(5, 7, 4)), "\n\n> **Related**"
    )


REDACTIONS = [
    pytest.param(
        "say 😀 hi\nnext\n",
        (0, 4, 0, units(9, 11, 8)),
        (0, 4, 0, units(9, 11, 8)),
        "😀 hi",
        id="selection",
    ),
    pytest.param(
        "hello\n/redact Jane 😀\nbye\n",
        (1, 0, 1, 0),
        (1, 0, 1, units(15, 17, 14)),
        "Jane 😀",
        id="typed-command",
    ),
    pytest.param(
        "Call 😀 Jane\nnow\n/redact",
        (2, 0, 2, 0),
        (0, 0, 2, 7),
        "Call 😀 Jane\nnow\n",
        id="bare-command-last-line",
    ),
    pytest.param(
        "x\n\n😀 Jane\n",
        (2, 1, 2, 1),
        (2, 0, 2, units(7, 9, 6)),
        "😀 Jane",
        id="paragraph-emoji-last-line",
    ),
    pytest.param(
        "e\u0301 Jane\r\nnext\r\n",
        (0, 0, 0, 0),
        (0, 0, 1, 4),
        "e\u0301 Jane\r\nnext",
        id="crlf-combining-paragraph",
    ),
]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(("text", "cursor", "where", "redacted"), REDACTIONS)
def test_redaction_replaces_the_selection_command_or_paragraph(
    encoding: str,
    text: str,
    cursor: tuple[int, Column, int, Column],
    where: tuple[int, Column, int, Column],
    redacted: str,
) -> None:
    doc = document(text, encoding)
    target = target_of(doc, rng(encoding, *cursor))
    assert redaction_target(doc, target) == (rng(encoding, *where), redacted)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_action_input_reads_the_selection_the_message_or_the_file(encoding: str) -> None:
    doc = document("earlier\nsay 😀 hi\n", encoding)
    selected = target_of(doc, rng(encoding, 1, units(6, 8, 5), 1, units(9, 11, 8)))
    read = action_input(doc, selected, "ask", "chat.py")
    assert (read.text, read.path, read.before, read.first_line) == (
        " hi",
        "chat.py",
        "earlier\n",
        2,
    )

    doc = document("Bob: hi 😀\nAlice: yo\n/reply brief\n", encoding)
    read = action_input(doc, target_of(doc, rng(encoding, 2, 0, 2, 0)), "reply", None)
    assert (read.text, read.tone, read.first_line) == ("".join(doc.lines), "brief", 1)

    doc = document("a 😀\nb\n/plan-slice\nc", encoding)
    read = action_input(doc, target_of(doc, rng(encoding, 2, 0, 2, 0)), "plan-slice", None)
    assert (read.text, read.first_line, read.before) == ("a 😀\nb\nc", 1, "")


def result(action: str, file: FileEdit | None = None) -> ActionResult:
    route = Route(backend="extractive", model=None, reason="test", escalated=False)
    return ActionResult(
        action=action,
        answer="Roll back with helm.",
        citations=[],
        route=route,
        tokens_in=0,
        tokens_out=0,
        took_ms=1.0,
        cache_hit=False,
        file=file,
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_action_edit_inserts_the_answer_after_an_emoji_line(encoding: str) -> None:
    doc = document("intro\n\n😀 how do we roll back?\n", encoding)
    target = target_of(doc, rng(encoding, 2, 0, 2, 0))
    edit = action_edit(doc, target, result("ask"), None, None)
    assert edit.changes is not None
    [change] = edit.changes[URI]
    end = units(23, 25, 22)
    assert change.range == rng(encoding, 2, end, 2, end)
    assert change.new_text.startswith("\n# ChatX /ask · extractive — test\n")
    assert "# Roll back with helm." in change.new_text


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_tdd_loop_creates_the_test_file_or_inlines_it(encoding: str) -> None:
    doc = document("/tdd-loop\n😀 spec\n", encoding)
    target = target_of(doc, rng(encoding, 0, 0, 0, 0))
    tests = FileEdit(path="tests/test_spec.py", text="def test_x():\n    assert False\n")
    new_file = "file:///work/tests/test_spec.py"
    edit = action_edit(doc, target, result("tdd-loop", tests), None, new_file)
    assert edit.document_changes is not None
    create, written, here = edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == new_file
    assert isinstance(written, types.TextDocumentEdit)
    assert written.edits == [types.TextEdit(rng(encoding, 0, 0, 0, 0), tests.text)]
    assert isinstance(here, types.TextDocumentEdit) and here.text_document.version == 7
    [placed] = here.edits
    assert isinstance(placed, types.TextEdit)
    assert placed.range == rng(encoding, 0, 0, 1, 0)
    assert "Failing tests in tests/test_spec.py" in placed.new_text

    inline = action_edit(doc, target, result("tdd-loop", tests), None, None)
    assert inline.changes is not None
    assert inline.changes[URI][0].new_text.endswith("# def test_x():\n#     assert False\n")


@pytest.mark.parametrize(
    ("line", "column", "expected"),
    [
        ("😀 ok", 1, units(2, 4, 1)),
        ("😀 ok", 4, units(5, 7, 4)),
        ("e\u0301x", 2, units(2, 3, 2)),
        ("plain\r\n", 5, units(5, 5, 5)),
    ],
)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_columns_convert_both_ways(
    encoding: str, line: str, column: int, expected: dict[str, int]
) -> None:
    assert client_column(line, column, encoding) == expected[encoding]
    assert server_column(line, expected[encoding], encoding) == column


@pytest.mark.parametrize(
    ("encoding", "character", "column"),
    [(UTF16, 1, 1), (UTF8, 2, 1), (UTF8, 5, 2), (UTF16, 99, 4), (UTF32, 99, 4), (UTF8, -1, 0)],
)
def test_a_column_inside_a_character_or_past_the_line_is_clamped(
    encoding: str, character: int, column: int
) -> None:
    assert server_column("😀 ok\n", character, encoding) == column


def test_positions_past_the_text_and_none_encoding() -> None:
    lines = ["😀 a\n", "b"]
    assert server_position(lines, types.Position(5, 0), UTF16) == (1, 1)
    assert server_position([], types.Position(0, 3), UTF16) == (0, 0)
    assert client_column("😀 a", 1, None) == 2  # no negotiated encoding: UTF-16
    whole = types.Range(types.Position(0, 2), types.Position(5, 0))
    assert text_in_range(lines, whole, UTF16) == " a\nb"
    backwards = types.Range(types.Position(1, 0), types.Position(0, 0))
    assert text_in_range(lines, backwards, UTF16) == ""
