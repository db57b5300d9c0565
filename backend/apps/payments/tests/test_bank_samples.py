# ruff: noqa: E501  (expected values are copied from the README tables)
"""The real bank files in shared/bank-samples, read as their README says.

The files are not copied into the project (their licences differ); they are
found at BANK_SAMPLES_DIR, by default `<repo>/../shared/bank-samples`. Absent,
these tests skip with a reason, except under CI=true, where that fails.
"""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from apps.payments.exceptions import StatementUnreadable
from apps.payments.statements import (
    CSV_PRESETS,
    detect_csv_dialect,
    parse_statement,
)
from apps.payments.statements.lines import collapse

REPO = Path(__file__).resolve().parents[4]
SAMPLES = Path(
    os.environ.get("BANK_SAMPLES_DIR") or REPO.parent / "shared" / "bank-samples"
)

# file -> (csv preset, debits, [(date, amount, ccy, remittance, name, account, id)])
EXPECTED = {
    "camt053-abnamro-1.xml": (
        None,
        3,
        [  # batch debit: 2 TxDtls
            (
                "2014-01-05",
                "1405.31",
                "EUR",
                "#RD PARTY MEDIA CUSNO 90782 4210773",
                "3rd party Media",
                "NL69ABNA0522123643",
                "115",
            ),
        ],
    ),
    "camt053-postfinance-1.xml": (
        None,
        0,
        [
            (
                "2017-03-22",
                "2187.00",
                "CHF",
                "302388292000011111111111111 ?REJECT?0",
                "Banque Cantonale Vaudoise",
                "CH2222000000123456789",
                None,
            ),
            (
                "2017-03-22",
                "1296.00",
                "CHF",
                "302388292000022222222222222 ?REJECT?0",
                "Banque Cantonale Vaudoise",
                "CH3333000000123456789",
                None,
            ),
        ],
    ),
    "camt053-ing-1.xml": (
        None,
        1,
        [
            (
                "2019-06-13",
                "2688.00",
                "EUR",
                "TERUGGAAF",
                "TEST",
                "NL86INGB00066666666",
                "s8ecaaf0f96f492f603167c748a0b1c6",
            ),
            (
                "2019-06-18",
                "5000.00",
                "EUR",
                "",
                "Bedrijf BV",
                "NL11INGB0001234567",
                "d36e51a0ff7e4561b11c2b1c5d79d9ea",
            ),
        ],
    ),
    "camt053-ubs-1.xml": (
        None,
        1,
        [
            (
                "2023-06-20",
                "474.4",
                "CHF",
                "INVOICE R77561",
                "Jon Doe",
                "",
                "9999181ZC0283079",
            ),
            (
                "2023-06-20",
                "88.85",
                "CHF",
                "RF38000000000000000000552",
                "Finanz AG",
                "",
                "0123171DO5126811",
            ),
        ],
    ),
    "mt940-ing-1.940": (
        None,
        4,
        [
            (
                "2014-02-20",
                "1.56",
                "EUR",
                "EV10001REP1000000T1000",
                "ING BANK NV INZAKE WEB",
                "NL32INGB0000012345",
                "00000000001005",
            ),
            (
                "2014-02-20",
                "1.57",
                "EUR",
                "Factuurnr 123456 Klantnr 00123",
                "J.Janssen",
                "NL32INGB0000012345",
                "00000000001007",
            ),
            ("2014-02-20", "1.45", "EUR", "TOTAAL 1 POSTEN", "", "", "00000000001008"),
            (
                "2014-02-20",
                "32.00",
                "EUR",
                "9001123412341234",
                "J.Janssen",
                "NL32INGB0000012345",
                "00000000001011",
            ),
        ],
    ),
    "mt940-rabobank-1.swi": (
        None,
        1,
        [
            (
                "2014-01-02",
                "400.00",
                "EUR",
                "Test money paid by other partner:",
                "R. SMITH",
                "NL66RABO0160878799",
                "",
            ),
        ],
    ),
    "mt940-knab-1.sta": (
        None,
        1,
        [
            (
                "2014-05-07",
                "500",
                "EUR",
                "HIER EEN MOOIE OMSCHRIJVING IN HOOFDLETTERS\n"
                "WANT DAT IS ZOALS DE NEDERLANDSE BANKEN COMMUNICEREN",
                "",
                "",
                "B4E07XM00J000023",
            ),
            (
                "2014-07-29",
                "500",
                "EUR",
                "12160475 0050001631430920 ORDERID: 264267 MEDIA MARKT ONLINE NE",
                "MMS ONLINE NEDERLAND B.V.",
                "NL84INGB0234561789",
                "B4G29PGDCK1QFV3E",
            ),
        ],
    ),
    "mt940-asn-1.940": (
        None,
        5,
        [
            (
                "2020-01-05",
                "1000.00",
                "EUR",
                "INTERNE OVERBOEKING VIA MOBIEL",
                "paulissen g j l m",
                "NL56ASNB9999999999",
                "",
            ),
            (
                "2020-01-29",
                "828.72",
                "EUR",
                "2020-01-28T14:32:46-000000000000089-"
                "NL25INGB9999999999-Transfer Solutions BV-DIVIDEND 28/01/2020",
                "transfer solutions bv",
                "NL25INGB9999999999",
                "",
            ),
            (
                "2020-01-31",
                "1000.18",
                "EUR",
                "INTERNE OVERBOEKING VIA MOBIEL",
                "paulissen g j l m",
                "NL56ASNB9999999999",
                "",
            ),
        ],
    ),
    "mt940-raiffeisen-hu-1.sta": (
        None,
        6,
        [
            (
                "2018-04-17",
                "2066637.00",
                "HUF",
                "UV, napi összevont utánvét, 2018.04.17, "
                "A13947109201804175000000097, X",
                "HUNGARY KFT.",
                "109876543210000012345678",
                "CAB18D1700041116",
            ),
        ],
    ),
    "mt940-volksbank-1.sta": (
        None,
        0,
        [
            (d, a, "EUR", r, n, i, "")
            for d, a, r, n, i in [
                (
                    "2020-02-19",
                    "65.00",
                    "einfach so fuer euch IBAN: DE40500105174675974588 BIC: HEISDE66",
                    "Olivia Dorn",
                    "DE40500105174675974588",
                ),
                (
                    "2020-02-19",
                    "80.00",
                    "Beitrag Musical fuer FRIDA inklusive 1 CD IBAN: DE10500105174381957749 BIC: KRHADE21",
                    "friedbert und ronja engel",
                    "DE10500105174381957749",
                ),
                (
                    "2020-02-21",
                    "80.00",
                    "Musical Emilio CDIBAN: DE83500105179219844142 BIC: SBCRDE66",
                    "Antonio Sueto",
                    "DE83500105179219844142",
                ),
                (
                    "2020-02-24",
                    "55.00",
                    "Musical Sonja Schulz CD EREF: ZV0100284190949300000002 IBAN: DE88500105178285756556 BIC: SAKSDE55",
                    "Thomas Schulz",
                    "DE88500105178285756556",
                ),
                (
                    "2020-02-24",
                    "65.00",
                    "musical spende IBAN: DE16500105178726218653 BIC: SBCRDE66",
                    "Yasmin OENOEGLUE",
                    "DE16500105178726218653",
                ),
                (
                    "2020-02-25",
                    "80.00",
                    "Musical, Martin Hellwig,plus CD IBAN: DE42500105171213694382 BIC: SOLSDE33",
                    "Hellwig, Annegret, Hellwig, Dieter",
                    "DE42500105171213694382",
                ),
                (
                    "2020-02-25",
                    "55.00",
                    "Musical, carmen Furter, Plus CD IBAN: DE35500105172334664338 BIC: SPBIDE3B",
                    "Werner Furter",
                    "DE35500105172334664338",
                ),
                (
                    "2020-02-25",
                    "55.00",
                    "Musical Ruth, Kevin Vogthaupt, plus CD EREF: ZV0100284284592300000002 IBAN: DE81500105175436439494 BIC: ULMVDE66",
                    "Helmut und Ulrike Vogthaupt",
                    "DE81500105175436439494",
                ),
                (
                    "2020-02-26",
                    "65.00",
                    "Musical Lukas und Esmeralda IBAN: DE29500105179614179699 BIC: WELADE8L",
                    "Heinz Schoen",
                    "DE29500105179614179699",
                ),
                (
                    "2020-02-28",
                    "50.00",
                    "Spende IBAN: DE31500105174278239442 BIC: NORSDE51",
                    "Edeltraud Meyer",
                    "DE31500105174278239442",
                ),
                (
                    "2020-03-02",
                    "40.00",
                    "Musical Ruth Musical Ruth Kim Chong IBAN: DE18500105177615914228 BIC: NOLADE22",
                    "Wu Chong",
                    "DE18500105177615914228",
                ),
                (
                    "2020-03-10",
                    "55.00",
                    "MUSICAL RUTH, AARON, CD IBAN: DE81500105171714979786 BIC: SDUEDE33",
                    "Kannen, Manfred und Kristin",
                    "DE81500105171714979786",
                ),
            ]
        ],
    ),
    "csv-postbank-1.csv": (
        "postbank",
        0,
        [
            (
                "2016-08-07",
                "42.00",
                "EUR",
                "Verwendungszweck 2015ABCDE",
                "Karla Kundin",
                "",
                "",
            ),
            (
                "2016-07-29",
                "56.76",
                "EUR",
                "Referenz NOTPROVIDED",
                "Lars Lieferant",
                "",
                "",
            ),
        ],
    ),
    "csv-sparkasse-1.csv": (
        "sparkasse",
        1,
        [
            (
                "2015-03-03",
                "42.32",
                "EUR",
                "EREF+123456789 Ticket-Bestellung 2015XALSK",
                "Karl Kunde",
                "DE89701226010601035858",
                "",
            ),
        ],
    ),
    "csv-bbbank-1.csv": (
        "bbbank",
        1,
        [
            (
                "2015-04-08",
                "42.23",
                "EUR",
                "GUTSCHRIFT\nTicket 2015XAZTY IBAN: DE83\n839857672994615084",
                "Kunde, Karl",
                "",
                "",
            ),
        ],
    ),
    "csv-lloyds-1.csv": (
        "lloyds",
        0,
        [
            (
                "2025-01-27",
                "214",
                "GBP",
                "SMITH J ABCDE 111111111111111111 111111     10 25JAN25 13:34",
                "",
                "",
                "",
            ),
            (
                "2025-01-25",
                "213",
                "GBP",
                "JONES A FGHIJ 111111111111111112 111112     10 25JAN25 10:34",
                "",
                "",
                "",
            ),
        ],
    ),
}


@pytest.fixture(scope="module")
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the bank samples are missing at {SAMPLES}")
        pytest.skip(f"bank samples not found at {SAMPLES} (set BANK_SAMPLES_DIR)")
    return SAMPLES


def test_every_sample_file_is_covered(samples_dir):
    present = {path.name for path in samples_dir.iterdir() if path.suffix != ".md"}
    assert present == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_reads_as_the_readme_says(samples_dir, name):
    preset, debits, credits = EXPECTED[name]
    content = (samples_dir / name).read_bytes()
    statement = parse_statement(
        content, csv_dialect=CSV_PRESETS[preset] if preset else None
    )
    assert len(statement.debits) == debits
    assert len(statement.credits) == len(credits)
    for line, expected in zip(statement.credits, credits, strict=True):
        day, amount, currency, remittance, name_, account, bank_id = expected
        assert line.booking_date == date.fromisoformat(day)
        assert line.amount == Decimal(amount)
        assert line.currency == currency
        if "\n" in remittance:
            assert line.remittance == remittance  # the line break is the bank's
        else:
            assert collapse(line.remittance) == collapse(remittance)
        assert line.counterparty_name == name_
        assert line.counterparty_account == account
        if bank_id is not None:
            assert line.bank_transaction_id == bank_id
        assert line.dedup_key
    keys = [line.dedup_key for line in statement.credits]
    assert len(set(keys)) == len(keys)


def test_postfinance_batch_ids_are_distinct_and_stable(samples_dir):
    content = (samples_dir / "camt053-postfinance-1.xml").read_bytes()
    first = [line.dedup_key for line in parse_statement(content).credits]
    again = [line.dedup_key for line in parse_statement(content).credits]
    assert first == again and len(set(first)) == 2


@pytest.mark.parametrize(
    "name", sorted(name for name, (preset, _, _) in EXPECTED.items() if preset)
)
def test_a_bank_csv_is_recognised_without_naming_its_layout(samples_dir, name):
    preset = EXPECTED[name][0]
    content = (samples_dir / name).read_bytes()
    assert detect_csv_dialect(content) == CSV_PRESETS[preset]
    recognised = parse_statement(content).credits
    named = parse_statement(content, csv_dialect=CSV_PRESETS[preset]).credits
    assert recognised == named


def test_a_csv_of_no_known_layout_names_the_presets():
    with pytest.raises(StatementUnreadable, match=r"no known layout .*sparkasse"):
        detect_csv_dialect(b"a;b\n1;2\n")
