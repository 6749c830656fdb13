"""Policy Shield diagnostics within budget (issue 13): documents are scanned block by block, an
edit re-scans only the blocks it touched, the rest keep their findings at shifted positions,
and hover answers while a large document is scanned. Functional checks only: the CPU and
latency figures are `bench/diagnostics_bench.py`'s."""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from chatx.shield import Shield, people_from
from chatx.shield.blocks import (
    BLOCK_MAX,
    BLOCK_MIN,
    CUT_BITS,
    LINE_MAX,
    DocumentScan,
    split_blocks,
)
from tests.lsp.helpers import CONFIG, start_session, wait_for

SALT = b"b" * 32


def chat_log(lines: int, offset: int = 0) -> str:
    """A chat log dense with personal data, one turn per line."""
    return "".join(
        f"Sam Carter: mail user{i}@example.com or call +44 20 7946 {i % 10_000:04d} "
        f"about ticket {i}\n"
        for i in range(offset, offset + lines)
    )


def test_blocks_cover_the_text_and_an_edit_moves_only_nearby_cuts() -> None:
    # a paragraph of lines no content-defined cut picks, then a blank line
    line = next(
        f"Notes of the meeting, part {n}.\n"
        for n in range(100)
        if zlib.crc32(f"Notes of the meeting, part {n}.\n".encode()) & CUT_BITS
    )
    paragraph = line * (BLOCK_MIN // len(line) + 2) + "\n"
    text = "# Notes\n\n" + paragraph + chat_log(400) + "x" * (3 * LINE_MAX)
    blocks = split_blocks(text)
    assert "".join(b.text for b in blocks) == text
    assert all(b.start == sum(len(x.text) for x in blocks[:i]) for i, b in enumerate(blocks))
    assert blocks[0].text == "# Notes\n\n" + paragraph  # a blank line ends a long paragraph
    assert max(len(b.text) for b in blocks) <= max(BLOCK_MAX * 2, LINE_MAX)

    lines = text.splitlines(keepends=True)
    lines[200] = "Sam Carter: a much longer line than the one it replaces, and another\n"
    edited = split_blocks("".join(lines))
    before = {b.text for b in blocks}
    changed = [b for b in edited if b.text not in before]
    assert 1 <= len(changed) <= 2


def test_an_edit_rescans_only_its_block_and_shifts_the_others() -> None:
    shield = Shield(people_from(me=["Sam Carter"]), SALT)
    scan = DocumentScan()
    text = chat_log(300)
    plan = scan.plan(shield.quick, text)
    assert len(plan.blocks) > 5
    scan.scan(plan.pending)
    assert scan.scanned == len(plan.blocks)
    first = scan.findings(plan.blocks)
    assert first == shield.quick_scan(text)  # block by block, the same as one scan

    lines = text.splitlines(keepends=True)
    lines[150] = "Sam Carter: and now write to priya.raman@example.org, please\n"
    edited = "".join(lines)
    again = scan.plan(shield.quick, edited)
    assert len(again.pending) == 1  # the edited line's block only
    scan.scan(again.pending)
    assert scan.scanned == len(plan.blocks) + 1
    assert scan.reused >= len(plan.blocks) - 1
    after = scan.findings(again.blocks)
    assert after == shield.quick_scan(edited)
    assert any(f.value == "priya.raman@example.org" for f in after)
    shift = len(lines[150]) - len(text.splitlines(keepends=True)[150])
    edit_at = sum(len(line) for line in lines[:150])
    untouched = [f for f in first if f.start > edit_at + 200]
    assert untouched and all(
        (f.start + shift, f.end + shift, f.kind, f.value)
        in {(g.start, g.end, g.kind, g.value) for g in after}
        for f in untouched
    )


def test_findings_nearest_the_focus_and_when_farther_blocks_cannot_matter() -> None:
    shield = Shield(people_from(me=["Sam Carter"]), SALT)
    scan = DocumentScan()
    text = chat_log(600)
    focus = len(text) // 2
    plan = scan.plan(shield.quick, text, focus)
    assert plan.pending[0].start <= focus < plan.pending[0].end  # nearest the focus first
    scan.scan(plan.pending[:3])
    nearest = scan.findings(plan.blocks, focus, limit=10)
    assert len(nearest) == 10 and nearest == sorted(nearest)
    assert all(abs(f.start - focus) < 2 * BLOCK_MAX for f in nearest)
    assert scan.covered(plan.blocks, focus, 10, beyond=BLOCK_MAX)
    assert not scan.covered(plan.blocks, focus, 10_000, beyond=BLOCK_MAX)


def test_quick_profile_keeps_every_detector_but_the_entity_model() -> None:
    shield = Shield(people_from(me=["Sam Carter"]), SALT)
    text = "Hi Klaus, mail anna.schmidt@example.com, IBAN DE89 3704 0044 0532 0130 00.\n"
    quick = {(f.kind, f.value) for f in shield.quick_scan(text)}
    assert {("name", "Klaus"), ("email", "anna.schmidt@example.com")} <= quick
    assert ("iban", "DE89 3704 0044 0532 0130 00") in quick
    assert shield.quick.name_model is None and shield.quick.problem is None


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, lsp_workspace: Path):  # type: ignore[no-untyped-def]
    await start_session(lsp_client, lsp_workspace, options={"shieldDebounceMs": 50})
    yield
    await lsp_client.shutdown_session()


def shield_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, []) if d.source == "chatx-shield"]


def email_lines(diagnostics: list[types.Diagnostic]) -> list[int]:
    return [d.range.start.line for d in diagnostics if d.code == "email"]


async def test_an_incremental_edit_shifts_the_diagnostics_below_it(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    text = chat_log(120)
    uri = (lsp_workspace / "log.md").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "markdown", 1, text))
    )
    await wait_for(
        lambda: len(email_lines(shield_diagnostics(client, uri))) == 120,
        what="a diagnostic per e-mail",
    )
    before = shield_diagnostics(client, uri)
    column = {d.range.start.character for d in before if d.code == "email"}

    # two lines inserted at line 60: diagnostics below move down two lines, the rest stay
    inserted = "the build is green\nand the tests pass\n"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(60, 0), types.Position(60, 0)),
                    text=inserted,
                )
            ],
        )
    )

    def shifted() -> list[int] | None:
        lines = email_lines(shield_diagnostics(client, uri))
        return lines if lines and max(lines) == 121 else None

    lines = await wait_for(shifted, timeout=30, what="diagnostics of the edited version")
    assert lines == [*range(60), *range(62, 122)]
    after = shield_diagnostics(client, uri)
    assert {d.range.start.character for d in after if d.code == "email"} == column
    assert len(after) == len(before)


async def test_hover_answers_while_a_large_document_is_scanned(
    client: LanguageClient, lsp_workspace: Path
) -> None:
    big = chat_log(6000)  # about 0.5 MB
    uri = (lsp_workspace / "big.md").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "markdown", 1, big))
    )
    for line in (10, 3000, 5990):
        hover = await asyncio.wait_for(
            client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, 52))
            ),
            timeout=10,
        )
        assert hover is None or isinstance(hover.contents, types.MarkupContent)
    found = await wait_for(lambda: shield_diagnostics(client, uri), what="diagnostics")
    assert {d.code for d in found} >= {"email", "phone"}
