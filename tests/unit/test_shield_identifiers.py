"""Addresses, national ids and phone numbers from many countries, and what must survive."""

from __future__ import annotations

import pytest

from chatx.shield import Shield, people_from
from chatx.shield.addresses import addresses
from chatx.shield.detectors import national_ids, phone_detector

SALT = b"i" * 32


@pytest.mark.parametrize(
    "address",
    [
        "221B Baker Street, London NW1 6XE",
        "857 Bell Stream Suite 735\nNew Joseph, PW 63384",
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        "P.O. Box 123, Springfield, IL 62704",
        "Flat 44, Lloyd Port, Rosemaryburgh, EC6N 0XJ",
        "Studio 40\nJulie Mountain\nJessicachester\nG8C 3AG",
        "Musterstraße 12a, 10115 Berlin",
        "Hans-Böckler-Allee 37-86, 78847 Cuxhaven",
        "12, rue de la Paix, 75002 Paris",
        "98, boulevard Margot Vaillant\n23556 Saint Alex-les-Bains",
        "Plaza Gabriel Morcillo 92\nMálaga, 45202",
        "Via Roma 12, 00100 Roma (RM)",
        "Kerkstraat 12\n1234 AB Amsterdam",
        "ul. Kwiatowa 12/3\n00-950 Warszawa",
        "Largo Ivo Brito, 68\n6768-595 Fiães",
        "Byglands Allé 12, 9907 Billum",
        "Ängsgränd 2\n66859 Kristianstad",
        "U Staré Pošty 63, 299 08 Ronov nad Doubravou",
    ],
)
def test_street_addresses_with_their_units_postcodes_and_towns(address: str) -> None:
    text = f"the parcel goes to {address} by Friday"
    found = [f.value for f in addresses(text)]
    assert found == [address]


@pytest.mark.parametrize(
    "text",
    [
        "We shipped 20000 users in 2024 and v2.4.1 on March 5",
        "we go via Slack and via Zoom on Main Street tomorrow",
        "Room for improvement: 3 tests fail in 12 files",
        "see PR 4821 and RFC 7807 section 3",
    ],
)
def test_numbers_and_words_that_are_no_address(text: str) -> None:
    assert list(addresses(text)) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SSN 536-90-4399 on file", "536-90-4399"),
        ("my ssn is 536904399", "536904399"),
        ("NINO AB 12 34 56 C please", "AB 12 34 56 C"),
        ("BSN: 111222333", "111222333"),
        ("DNI 54362315K", "54362315K"),
        ("NIE X1234567L", "X1234567L"),
        ("Steuer-ID 86 095 742 719", "86 095 742 719"),
        ("NIR 1 84 12 76 451 089 46", "1 84 12 76 451 089 46"),
        ("codice fiscale RSSMRA85T10A562S", "RSSMRA85T10A562S"),
        ("PESEL 44051401359", "44051401359"),
        ("personnummer 811218-9876", "811218-9876"),
    ],
)
def test_national_ids_pass_their_checksum(text: str, value: str) -> None:
    assert [f.value for f in national_ids(text)] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "order 123456789 shipped",  # nine digits, no keyword
        "DNI 54362315J",  # wrong check letter
        "codice fiscale RSSMRA85T10A562T",  # wrong check character
        "PESEL 44051401358",  # wrong checksum
        "build 2024-05-06 and ticket 48213",
    ],
)
def test_numbers_that_fail_their_checksum_or_lack_a_keyword(text: str) -> None:
    assert list(national_ids(text)) == []


@pytest.mark.parametrize(
    "phone",
    [
        "+41 (0)69 979 80 58",
        "+44 20 7946 0958",
        "00420 604 115 244",
        "(351) 919 825 979",
        "(868)458-7840x05756",
        "568.959.5572",
        "030 901820",
        "04 20 00 57 56",
        "+48 723 909 266",
    ],
)
def test_phone_numbers_from_any_region(phone: str) -> None:
    found = [f.value for f in phone_detector()(f"call me on {phone} tonight")]
    assert found == [phone]


def test_a_national_number_of_the_users_locale_needs_no_prefix() -> None:
    text = "ring 12 90 40 47"  # a Danish mobile, grouped in pairs
    assert [f.value for f in phone_detector(("DK",))(text)] == ["12 90 40 47"]


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3.4 on 2024-03-05, at 14:30",
        "price 1 299 000 EUR, total €1.299,00 or $45.20",
        "ticket #48213 and JIRA-4821 closed",
    ],
)
def test_dates_versions_amounts_and_tickets_are_no_phone(text: str) -> None:
    assert list(phone_detector()(text)) == []


def test_cards_with_spaces_or_dashes_and_a_plain_text_stays() -> None:
    shield = Shield(people_from(), SALT)
    text = "cards 4111 1111 1111 1111 and 5500-0055-5555-5559; deploy at 10:30 as planned"
    redacted = shield.redact(text).text
    assert "4111" not in redacted and "5500" not in redacted
    assert redacted.endswith("; deploy at 10:30 as planned")


def test_the_texts_own_international_numbers_say_where_its_national_ones_are_from() -> None:
    detect = phone_detector(("US",))
    assert [f.value for f in detect("or 20123456 after five")] == []
    hinted = detect("office +45 33 12 34 56, or 20123456 after five")
    assert [f.value for f in hinted] == ["+45 33 12 34 56", "20123456"]
