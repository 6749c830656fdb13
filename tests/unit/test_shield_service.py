"""Pseudonyms, the salt, coverage on the labelled fixture, and preflight."""

from __future__ import annotations

import json
import logging
import re
import stat
from pathlib import Path

import jsonschema
import pytest

from chatx.models import Attachment, Message, Reaction, SourceRef
from chatx.problems import ChatxError
from chatx.shield import People, Shield, require_pass
from chatx.shield.labelled import load_labelled, parse_marked
from chatx.shield.pseudonyms import TOKEN, RevealMap, load_salt

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "shield" / "labelled.jsonl"
PEOPLE = People({"Priya Raman", "Jack O'Brien"}, {"Sam Carter"})
TEXT = (
    "Priya Raman: mail priya@example.com or call +44 20 7946 0958.\n"
    "Sam Carter: ok priya, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE"
)


@pytest.fixture()
def shield(tmp_path: Path) -> Shield:
    return Shield.local(PEOPLE, folder=tmp_path / "cfg")


def test_pseudonym_shapes(shield: Shield) -> None:
    out = shield.redact(TEXT).text
    assert out.startswith("CN_")
    assert re.fullmatch(
        r"(CN_[0-9a-f]{6}): mail ⟦TKN:email:[0-9a-f]{8}⟧ or call ⟦TKN:phone:[0-9a-f]{8}⟧\.\n"
        r"ME: ok \1, card ⟦TKN:card:[0-9a-f]{8}⟧, key ⟦TKN:secret:[0-9a-f]{8}⟧",
        out,
    ), out


def test_same_input_and_salt_give_the_same_output(tmp_path: Path) -> None:
    first = Shield.local(PEOPLE, folder=tmp_path / "a").redact(TEXT).text
    again = Shield.local(PEOPLE, folder=tmp_path / "a").redact(TEXT).text
    other = Shield.local(PEOPLE, folder=tmp_path / "b").redact(TEXT).text
    assert first == again
    assert first != other
    assert set(TOKEN.findall(first)).isdisjoint(t for t in TOKEN.findall(other) if t[1])
    assert (
        Shield(PEOPLE, b"k" * 32).redact(TEXT).text == Shield(PEOPLE, b"k" * 32).redact(TEXT).text
    )


def test_a_person_keeps_one_pseudonym_across_aliases(shield: Shield) -> None:
    out = shield.redact("Priya Raman, priya, PRIYA and Priya's dog").text
    tokens = re.findall(r"CN_[0-9a-f]{6}", out)
    assert len(tokens) == 4 and len(set(tokens)) == 1
    assert out.endswith("'s dog")


def test_salt_file_is_private_and_stable(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    salt = load_salt(folder)
    path = folder / "shield.salt"
    assert len(salt) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_salt(folder) == salt
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_reveal_map_is_private_and_maps_back(shield: Shield, tmp_path: Path) -> None:
    result = shield.redact(TEXT)
    reveal = tmp_path / "cfg" / "reveal.sqlite"
    assert stat.S_IMODE(reveal.stat().st_mode) == 0o600
    pairs = {token: f.value for token, f in zip(result.tokens, result.findings, strict=True)}
    for token, value in pairs.items():
        _kind, shown = shield.reveal_token(token) or ("", "")
        if token == "ME":
            assert shown == "Sam Carter"
        elif token.startswith("CN_"):
            assert shown == "Priya Raman"
        else:
            assert shown == value
    assert shield.reveal_token("⟦TKN:email:00000000⟧") is None
    # a fresh process with the same salt still reveals participants without the map
    assert Shield(PEOPLE, load_salt(tmp_path / "cfg")).reveal_token(result.tokens[0]) == (
        "name",
        "Priya Raman",
    )


def test_salt_never_appears_in_logs_reports_or_index_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shield = Shield.local(PEOPLE, folder=tmp_path / "cfg")
    salt = load_salt(tmp_path / "cfg")
    logging.getLogger("chatx").debug("shield %r", shield)
    _, report = shield.preflight([TEXT], strict=True)
    dumped = report.model_dump_json() + repr(shield) + repr(shield.scanner) + caplog.text
    for form in (salt.hex(), salt.decode("latin-1"), repr(salt)):
        assert form not in dumped
    assert salt not in (tmp_path / "cfg" / "reveal.sqlite").read_bytes()


def test_labelled_fixture_coverage() -> None:
    records = load_labelled(FIXTURE.read_text(encoding="utf-8"), str(FIXTURE))
    assert sum(len(r.labels) for r in records) >= 300
    assert {r.source for r in records} == {"chat", "doc"}
    kinds = {label.kind for r in records for label in r.labels}
    assert kinds == {
        "name", "me", "email", "phone", "card", "iban", "ip", "url", "secret", "address",
        "postcode", "attachment", "label",
    }  # fmt: skip
    shield = Shield(People(), b"fixture-salt-0123456789abcdef012")
    report = shield.coverage(records, source="labelled.jsonl")
    strict = shield.coverage(records, strict=True)
    print(
        f"\nshield coverage on {report.records} labelled records "
        f"({sum(k.expected for k in report.by_kind.values())} spans): {report.coverage:.4f}; "
        f"strict {strict.coverage:.4f}; over-redacted {report.over_redacted}"
    )
    for kind, cov in report.by_kind.items():
        print(f"  {kind:10} {cov.removed}/{cov.expected} = {cov.coverage:.4f}")
    assert report.coverage >= 0.995
    assert strict.coverage >= 0.999
    assert min(k.coverage for k in report.by_kind.values()) >= 0.95
    assert report.residual == {}
    # the fixture holds attachments and sensitivity labels: it can never pass
    assert report.hard_fail == {"attachment": 6, "label": 6}
    assert not report.passed
    schema = json.loads((REPO / "schemas" / "redaction_report.schema.json").read_text())
    jsonschema.validate(json.loads(report.model_dump_json()), schema)


def test_parse_marked_handles_brackets_inside_a_mark() -> None:
    text, labels = parse_marked("x [[label:[RESTRICTED]]] y [[name:Al]]")
    assert text == "x [RESTRICTED] y Al"
    assert [(text[lab.start : lab.end], lab.kind) for lab in labels] == [
        ("[RESTRICTED]", "label"),
        ("Al", "name"),
    ]


def test_preflight_passes_clean_text(shield: Shield) -> None:
    redacted, report = shield.preflight([TEXT, "nothing to see here"])
    assert report.passed and report.mode == "rescan"
    assert report.redacted == {"card": 1, "email": 1, "me": 1, "name": 2, "phone": 1, "secret": 1}
    assert "priya" not in redacted[0].casefold()
    require_pass(report)


SEEDED = [
    ("contact priya@example.com", "email"),
    ("number +44 20 7946 0958", "phone"),
    ("paid 4111 1111 1111 1111", "card"),
    ("token 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", "secret"),
]


@pytest.mark.parametrize("leak, kind", SEEDED)
def test_preflight_blocks_leaks_the_redaction_missed(leak: str, kind: str) -> None:
    """Text that reached preflight unredacted (a weaker profile let it through) is blocked."""
    lenient = Shield(People(), b"s" * 32)
    lenient.scanner._detectors = ()  # a redaction that found nothing
    _, report = lenient.preflight([f"fine text, then {leak}"], strict=True)
    assert report.residual == {kind: 1}
    assert not report.passed
    with pytest.raises(ChatxError) as caught:
        require_pass(report)
    problem = caught.value.problem
    assert problem.code == "POLICY_SHIELD_FAILURE" and problem.status == 451
    assert f"{kind} x1" in problem.detail
    assert leak.split()[-1] not in problem.detail


def test_hard_fail_blocks_and_names_kinds_only(shield: Shield) -> None:
    text = "Classification: Confidential\nsee <attached: 0001-PHOTO-2024.jpg>"
    redacted, report = shield.preflight([text])
    assert report.hard_fail == {"attachment": 1, "label": 1}
    assert "PHOTO" not in redacted[0]
    with pytest.raises(ChatxError) as caught:
        require_pass(report)
    assert "attachment x1, label x1" in caught.value.problem.detail
    assert "PHOTO" not in caught.value.problem.detail
    # already-redacted hard-fail tokens still fail
    _, again = shield.preflight(redacted)
    assert again.hard_fail == {"attachment": 1, "label": 1}
    _, files = shield.preflight(["just text"], attachments=2)
    assert files.hard_fail == {"attachment": 2} and not files.passed


def test_redact_message(shield: Shield) -> None:
    message = Message(
        msg_id="m1",
        conv_id="c1",
        platform="whatsapp",
        sender="Priya Raman",
        sender_id="+44 20 7946 0958",
        text="hi Jack, see IMG-1.jpg",
        reactions=[Reaction(emoji="👍", sender="Jack O'Brien"), Reaction(emoji="❤", sender="Zed")],
        attachments=[Attachment(kind="image", name="IMG-1.jpg", mime="image/jpeg")],
        source_ref=SourceRef(path="chats/WhatsApp Chat with Priya Raman.txt", line=3),
        source_meta={"phone": "+44 20 7946 0958"},
    )
    out = shield.redact_message(message)
    assert out.sender is not None and re.fullmatch(r"CN_[0-9a-f]{6}", out.sender)
    assert out.sender_id is not None and out.sender_id.startswith("⟦TKN:phone:")
    assert out.text.startswith("hi CN_")
    assert next(r.sender for r in out.reactions) != "Jack O'Brien"
    assert all(r.sender and r.sender.startswith("CN_") for r in out.reactions)  # Zed too
    assert out.attachments == [Attachment(kind="image")]
    assert "Priya" not in out.source_ref.path and out.source_meta == {}
    me = shield.redact_message(message.model_copy(update={"sender": "Sam Carter", "is_me": True}))
    assert me.sender == "ME"


def test_reveal_map_keeps_first_value(tmp_path: Path) -> None:
    from chatx.shield.detectors import Finding

    reveal = RevealMap(tmp_path)
    finding = Finding(0, 3, "email", "a@b.io", "a@b.io")
    reveal.record([("⟦TKN:email:12345678⟧", finding)])
    reveal.record([("⟦TKN:email:12345678⟧", Finding(0, 3, "email", "other", "other"))])
    assert reveal.lookup("⟦TKN:email:12345678⟧") == ("email", "a@b.io")
    reveal.close()


def test_token_at_and_diagnostic_positions_in_utf16() -> None:
    from lsprotocol import types
    from pygls.workspace import TextDocument

    from chatx.lsp.diagnostics import to_diagnostics
    from chatx.shield.pseudonyms import token_at

    line = "ask CN_0a1b2c or ⟦TKN:email:0123abcd⟧ now"
    assert token_at(line, 5) == ("CN_0a1b2c", 4, 13)
    assert token_at(line, 20) == ("⟦TKN:email:0123abcd⟧", 17, 37)
    assert token_at(line, 1) is None

    text = "🎉 done\nmail 🎉 priya@example.com\n"
    document = TextDocument("file:///x.md", text)
    shield = Shield(PEOPLE, b"p" * 32)
    [diagnostic] = to_diagnostics(
        shield,
        shield.quick_scan(text),
        document.lines,
        document.position_codec,
        types.DiagnosticSeverity.Hint,
    )
    # UTF-16: the emoji before the address counts two code units
    assert diagnostic.range == types.Range(types.Position(1, 8), types.Position(1, 25))
    assert diagnostic.code == "email" and diagnostic.severity == types.DiagnosticSeverity.Hint
