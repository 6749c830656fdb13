"""Names nobody listed: the lexicon, the context rules and the entity model, through the Shield."""

from __future__ import annotations

import pytest

from chatx.problems import ChatxError
from chatx.shield import Shield, people_from, require_pass
from chatx.shield.gate import outbound

SALT = b"n" * 32


@pytest.fixture(scope="module")
def shield() -> Shield:
    return Shield(people_from(), SALT)


def names(shield: Shield, text: str) -> list[str]:
    return [f.value for f in shield.scan(text) if f.kind == "name"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full names, single first names and surnames
        ("Anna said Klaus Petersen lives nearby", ["Anna", "Klaus Petersen"]),
        ("I think Petersen will sign it", ["Petersen"]),
        # honorifics: the title stays, the name goes
        ("Dr. Feather will call tomorrow", ["Feather"]),
        ("Ask Mrs Gonzalez about the lease", ["Gonzalez"]),
        ("Herr Müller kommt morgen", ["Müller"]),
        ("Frau Schneider hat angerufen", ["Schneider"]),
        ("Prof. Okonkwo moved the exam", ["Okonkwo"]),
        # lower-case chat spellings
        ("ask pamela about the keys", ["pamela"]),
        ("dinner with klaus tonight?", ["klaus"]),
        # lists
        ("Kateřina, James and Emily went home", ["Kateřina", "James", "Emily"]),
        # diacritics and names from everywhere
        ("Søren and Łukasz met Djevad Šušulić", ["Søren", "Łukasz", "Djevad Šušulić"]),
        ("the invoice for Nguyễn Văn An is late", ["Nguyễn Văn An"]),
        ("Marta van der Berg sent it", ["Marta van der Berg"]),
        # sentence starts
        ("Emily booked the flights. Gareth paid.", ["Emily", "Gareth"]),
        # greetings and sign-offs
        ("Hi Klaus, how are you?", ["Klaus"]),
        ("Thanks for the quick fix!\n— Mia", ["Mia"]),
        ("See you then.\n\nCheers,\nTomasz Wójcik", ["Tomasz Wójcik"]),
        # chat senders
        ("Ingrid Halvorsen: running late\nBjørn: ok", ["Ingrid Halvorsen", "Bjørn"]),
    ],
)
def test_names_nobody_listed(shield: Shield, text: str, expected: list[str]) -> None:
    assert names(shield, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Will you merge getUserById into main on Monday? I may, but the build is red.",
        "Visual Studio Code 1.85 and PostgreSQL 16 shipped on March 5, 2024.",
        "We met at Clarke Ltd and then at Hardy SARL in Paris.",
        "Please sign the Keller, Berry and Richardson booking.",
        "The deploy to staging failed again; roll back with helm rollback orders 41.",
        "see src/app/main.py and HttpClient.send for the retry loop",
        "I spotted a rare Hyacinth Macaw in the Amazon Rainforest.",
    ],
)
def test_ordinary_words_code_products_and_organisations_survive(shield: Shield, text: str) -> None:
    assert names(shield, text) == []


def test_one_person_one_pseudonym_across_messages_languages_and_casings(
    shield: Shield,
) -> None:
    linked = shield.redact("Anna Schmidt called. Later Anna said no.").text
    tokens = {word.strip(".") for word in linked.split() if word.startswith("CN_")}
    assert len(tokens) == 1  # "Anna" is the Anna Schmidt this text names
    (token,) = tokens
    assert shield.redact("Anna Schmidt ist spät dran").text.startswith(token)
    assert shield.redact("Schmidt, Anna: running late").text.count("CN_") == 2
    first = shield.redact("Hi Klaus, see you").text
    assert shield.redact("hey klaus, see you").text.split()[1] == first.split()[1]


def test_participants_keep_their_key_over_a_name_found_otherwise() -> None:
    listed = Shield(people_from(["Priya Raman"]), SALT)
    found = Shield(people_from(), SALT)
    assert listed.redact("Priya Raman paid").text == found.redact("Priya Raman paid").text
    alone = listed.redact("Raman paid").text
    assert alone == found.redact("Priya Raman called. Raman paid").text.split(". ")[1]


def test_preflight_replaces_a_name_only_its_second_reading_sees(shield: Shield) -> None:
    outputs, report = shield.preflight(["das Paket für Gesine Stumpf geht an Anna"])
    assert report.passed and "Gesine" not in outputs[0] and "Anna" not in outputs[0]
    assert report.name_model and report.unavailable == []


def test_the_gate_returns_only_redacted_text(shield: Shield) -> None:
    texts, report = outbound(shield, ["Hi Klaus, mail me at klaus@example.org"])
    assert "Klaus" not in texts[0] and "example.org" not in texts[0]
    assert report.passed
    with pytest.raises(ChatxError) as blocked:
        outbound(shield, ["Classification: Confidential"])
    assert blocked.value.problem.code == "POLICY_SHIELD_FAILURE"


def test_a_name_model_that_cannot_load_fails_preflight_closed() -> None:
    shield = Shield(people_from(), SALT, names="chatx_no_such_model")
    outputs, report = shield.preflight(["Ask Gareth Evans, mail gareth@example.org"])
    assert "gareth@example.org" not in outputs[0]
    assert not report.passed and report.name_model is None
    assert report.unavailable and "chatx_no_such_model" in report.unavailable[0]
    with pytest.raises(ChatxError) as blocked:
        require_pass(report)
    assert blocked.value.problem.code == "POLICY_SHIELD_FAILURE"
    assert "cannot load" in (blocked.value.problem.detail or "")
    assert "Gareth" not in (blocked.value.problem.detail or "")


def test_names_off_leaves_unlisted_names_alone() -> None:
    shield = Shield(people_from(["Priya Raman"]), SALT, names=None)
    assert shield.redact("Priya met Klaus Petersen").text.startswith("CN_")
    assert "Klaus Petersen" in shield.redact("Priya met Klaus Petersen").text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😀😀 🎉🎉",
        "Ηλίας και Мария и 田中さん met Ахмед at 10:00",
        "Anna Bob Carl Dora Emil Fritz Gina Hugo Ida Jan " * 40,
        ("word " * 20 + "Zbigniew Xylander said hi. ") * 4_000,  # a ~500 kB line
        "a" * 1_000_000,
    ],
)
def test_bad_input_never_crashes_and_stays_bounded(shield: Shield, text: str) -> None:
    outputs, report = shield.preflight([text])
    assert len(outputs[0]) <= 5 * len(text) + 32
    assert report.records == 1


def test_organisations_and_places_are_kept_unless_configured(shield: Shield) -> None:
    text = "Anna joined Microsoft in Berlin last year."
    assert shield.redact(text).text.split()[1:] == [
        "joined",
        "Microsoft",
        "in",
        "Berlin",
        "last",
        "year.",
    ]
    wider = Shield(people_from(), SALT, entities=["org", "place"])
    kinds = {f.kind: f.value for f in wider.scan(text)}
    assert kinds == {"name": "Anna", "org": "Microsoft", "place": "Berlin"}
