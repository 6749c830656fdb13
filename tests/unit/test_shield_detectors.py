"""Each Policy Shield detector: what it finds, and the near misses it must leave alone."""

from __future__ import annotations

import itertools

import pytest

from chatx.shield import detectors as d
from chatx.shield.names import People
from chatx.shield.scanner import Scanner


def found(text: str, people: People | None = None, paranoid: bool = False) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in Scanner(people, paranoid=paranoid).scan(text)]


def kinds(text: str) -> set[str]:
    return {kind for kind, _ in found(text)}


@pytest.mark.parametrize(
    "text, value",
    [
        ("write to alice.j@example.com today", "alice.j@example.com"),
        ("From: Bob <bob+work@mail.example.co.uk>", "bob+work@mail.example.co.uk"),
        ("mailto:help@example.org", "help@example.org"),
        ('"quoted@example.com"', "quoted@example.com"),
    ],
)
def test_emails(text: str, value: str) -> None:
    assert found(text) == [("email", value)]


def test_not_emails() -> None:
    assert kinds("git@ is a prefix, @mention and a@b are not addresses") == set()


@pytest.mark.parametrize(
    "number",
    [
        "+44 20 7946 0958",
        "+1 415 555 2671",
        "(415) 555-2671",
        "+1-415-555-0132",
        "415.555.0199",
        "020 7946 0018",
        "07700 900123",
        "+49 30 901820",
        "+33 6 12 34 56 78",
        "+91 98765 43210",
        "+44 7700 900461",  # an unallocated range: international numbers need only be possible
    ],
)
def test_phones(number: str) -> None:
    assert found(f"call me on {number} after six") == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "we run python 3.11.7 and numpy 1.26.4",
        "release 2024.10.15 shipped",
        "meeting on 2024-03-15 at 10.30",
        "ticket 2024-03-15-0042",
        "see page 12, line 345",
        "order 1234",
    ],
)
def test_versions_dates_and_short_numbers_are_not_phones(text: str) -> None:
    assert "phone" not in kinds(text)


@pytest.mark.parametrize(
    "number",
    ["4111 1111 1111 1111", "5500-0055-5555-5559", "378282246310005", "6011 1111 1111 1117"],
)
def test_luhn_valid_cards(number: str) -> None:
    assert found(f"card {number} exp 12/27") == [("card", number)]


@pytest.mark.parametrize("number", ["4111 1111 1111 1112", "1234 5678 9012 3456"])
def test_luhn_invalid_cards_are_left(number: str) -> None:
    assert "card" not in kinds(f"card {number} declined")


@pytest.mark.parametrize(
    "value", ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "BE71 0961 2345 6769"]
)
def test_valid_ibans(value: str) -> None:
    assert found(f"IBAN {value} please") == [("iban", value)]


@pytest.mark.parametrize("value", ["DE89 3704 0044 0532 0130 01", "GB82 WEST 1234 5698 7654 33"])
def test_checksum_invalid_ibans_are_left(value: str) -> None:
    assert "iban" not in kinds(f"IBAN {value} please")


@pytest.mark.parametrize(
    "text, value",
    [
        ("host 10.0.4.17 is down", "10.0.4.17"),
        ("from 203.0.113.9:443", "203.0.113.9"),
        ("v6 2001:db8::8a2e:370:7334 too", "2001:db8::8a2e:370:7334"),
        ("link-local fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"),
    ],
)
def test_ips(text: str, value: str) -> None:
    assert found(text) == [("ip", value)]


@pytest.mark.parametrize(
    "text",
    [
        "upgrade to v1.2.3.4 now",
        "version 10.2.3.4 is out",
        "semver 10.2.3.4-beta",
        "requires lib>=2.0.0.1",
        "listen on 127.0.0.1 and 0.0.0.0",
        "not an ip: 999.1.2.3",
        "a time 10:30:00",
    ],
)
def test_version_numbers_and_loopback_are_not_ips(text: str) -> None:
    assert "ip" not in kinds(text)


def test_urls_with_credentials_or_tokens() -> None:
    text = (
        "clone https://u:pa55@git.example.com/r.git or https://x.example.com/reset?token=Zx81Qa9f "
        "but https://docs.example.com/v2?lang=en is fine"
    )
    assert found(text) == [
        ("url", "https://u:pa55@git.example.com/r.git"),
        ("url", "https://x.example.com/reset?token=Zx81Qa9f"),
    ]


@pytest.mark.parametrize(
    "secret",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "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",
        "sk-ant-api03-Xk29fJq83LmZp0Qw7RtYv5Bn1Cx4Dz6Ea8Gh2Ik",
        "xoxb-2233445566-1122334455667-AbCdEfGhIjKlMnOpQrStUvWx",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "q8Zr2Lm0Xk7Vb4Tn9Wc1Yp6Hs3Jd5Fg",  # high entropy, no known prefix
    ],
)
def test_known_keys_and_high_entropy_tokens(secret: str) -> None:
    assert found(f"the value {secret} leaked") == [("secret", secret)]


def test_keys_inside_code() -> None:
    code = (
        'API_KEY = "sk-ant-api03-Jr8sK2nL5pQ9tV3wX7yZ1aB4cD6eF0gH2iJ"\n'
        'DB_PASSWORD = "hunter2pass"\n'
    )
    assert found(code) == [
        ("secret", "sk-ant-api03-Jr8sK2nL5pQ9tV3wX7yZ1aB4cD6eF0gH2iJ"),
        ("secret", "hunter2pass"),
    ]


def test_keyword_values_but_not_references() -> None:
    assert found("the password for the wifi is Tr0ub4dor&3x") == [("secret", "Tr0ub4dor&3x")]
    assert kinds("connect(password=DB_PASSWORD)") == set()
    assert kinds("password: None, token = os.environ['TOKEN']") == set()


def test_private_key_block() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    assert found(f"oops:\n{block}\n") == [("secret", block)]


@pytest.mark.parametrize(
    "text",
    [
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "the function get_user_by_email_address_or_phone_number runs",
    ],
)
def test_identifiers_are_not_secrets(text: str) -> None:
    assert "secret" not in kinds(text)


@pytest.mark.parametrize(
    "address",
    [
        "221B Baker Street",
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        "Musterstraße 12a, 10115 Berlin",
        "12 rue de la Paix, 75002 Paris",
    ],
)
def test_street_addresses(address: str) -> None:
    assert found(f"Ship to {address} please") == [("address", address)]


def test_uk_postcodes_need_both_halves() -> None:
    assert found("London SW1A 1AA") == [("postcode", "SW1A 1AA")]
    assert kinds("the SW1A area and M1 motorway") == set()


def test_hard_fail_attachments_and_labels() -> None:
    text = (
        "Classification: Confidential\n"
        "Mei: <attached: 00000012-PHOTO-2024-03-01.jpg>\n"
        "IMG-1.jpg (file attached)\n"
        "[DO NOT FORWARD] data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==\n"
    )
    assert [kind for kind, _ in found(text)] == [
        "label",
        "attachment",
        "attachment",
        "label",
        "attachment",
    ]
    assert {"attachment", "label"} == d.HARD_FAIL


PEOPLE = People(
    {"Priya Raman", "Tomás García", "Mark Chen", "Will Turner", "Jack O'Brien"}, {"Sam Carter"}
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Priya Raman joined", [("name", "Priya Raman")]),
        ("priya said so", [("name", "priya")]),
        ("PRIYA!", [("name", "PRIYA")]),
        ("Priya's plan", [("name", "Priya")]),
        ("Priya’s plan", [("name", "Priya")]),
        ("ask garcia", [("name", "garcia")]),  # accents folded
        ("Tomás knows", [("name", "Tomás")]),
        ("O'Brien agreed", [("name", "O'Brien")]),
        ("Sam Carter and sam", [("me", "Sam Carter"), ("me", "sam")]),
        ("thanks mark", [("name", "mark")]),
        ("Will is here", [("name", "Will")]),
    ],
)
def test_names(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text, PEOPLE) == expected


@pytest.mark.parametrize(
    "text",
    ["I will check", "mark my words", "the bill is due", "Priyanka says hi", "max 5 retries"],
)
def test_everyday_words_are_not_names(text: str) -> None:
    assert found(text, PEOPLE) == []


def test_paranoid_finds_handles_but_not_longer_names() -> None:
    assert ("name", "priya") in found("ping @priya_r on slack", PEOPLE, paranoid=True)
    assert found("Priyanka from sales", PEOPLE, paranoid=True) == []
    assert found("+1 415 555 26", paranoid=False) == []


def test_findings_never_overlap_and_longest_wins() -> None:
    text = "https://priya:pw@host.example.com/x and priya.raman@example.com"
    result = Scanner(PEOPLE).scan(text)
    assert [f.kind for f in result] == ["url", "email"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(result))
