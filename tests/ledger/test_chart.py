"""Default charts of accounts (docs/formats.md § 6)."""

from __future__ import annotations

from collections import Counter

import pytest

from forening.ledger.chart import REQUIRED_ROLES, ROLES, AccountSeed, chart_for

COUNTRIES = ["SE", "DK"]


def expected_kind(number: str) -> str:
    """The SIE account type BAS implies for an account number.

    Class 1 assets (T), class 2 equity and liabilities (S), class 3 income (I), classes 4–7
    expenses (K). Class 8 is mixed: groups 80–83 are financial income (I), 84–89 interest
    expense, appropriations, tax and the year's result (K), as the SIE files in
    tests/ledger/data/sie type them.
    """
    first, group = number[0], int(number[:2])
    if first == "8":
        return "I" if group <= 83 else "K"
    return {"1": "T", "2": "S", "3": "I"}.get(first, "K")


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_required_role_is_on_exactly_one_account(country: str) -> None:
    roles = Counter(seed.role for seed in chart_for(country) if seed.role is not None)
    assert set(roles) == REQUIRED_ROLES[country]
    assert all(count == 1 for count in roles.values()), roles


def test_roles_lists_every_role_a_chart_may_use() -> None:
    assert len(ROLES) == len(set(ROLES))
    assert set(ROLES) == set().union(*REQUIRED_ROLES.values())


@pytest.mark.parametrize("country", COUNTRIES)
def test_numbers_are_four_digits_and_unique(country: str) -> None:
    numbers = [seed.number for seed in chart_for(country)]
    assert all(len(number) == 4 and number.isdigit() for number in numbers)
    assert len(numbers) == len(set(numbers))
    assert numbers == sorted(numbers)


@pytest.mark.parametrize("country", COUNTRIES)
def test_kinds_follow_the_account_class(country: str) -> None:
    wrong = [
        (seed.number, seed.kind)
        for seed in chart_for(country)
        if seed.kind != expected_kind(seed.number)
    ]
    assert wrong == []


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_account_is_named_in_all_three_languages(country: str) -> None:
    unnamed = [
        seed.number
        for seed in chart_for(country)
        if not all(name.strip() for name in (seed.name_sv, seed.name_da, seed.name_en))
    ]
    assert unnamed == []


def test_kind_rule_matches_known_accounts() -> None:
    assert [expected_kind(n) for n in ["1930", "2440", "3740", "6570", "8311", "8420"]] == [
        "T",
        "S",
        "I",
        "K",
        "I",
        "K",
    ]


@pytest.mark.parametrize(
    ("role", "number"),
    [
        ("receivables", "1510"),
        ("cash", "1910"),
        ("plusgiro", "1920"),
        ("bank", "1930"),
        ("swish_clearing", "1940"),
        ("card_clearing", "1686"),
        ("credit_balances", "2420"),
        ("unplaced_payments", "2891"),
        ("vat_out_25", "2611"),
        ("vat_out_12", "2621"),
        ("vat_out_6", "2631"),
        ("prepaid_income", "2970"),
        ("rounding", "3740"),
        ("grants_state", "3985"),
        ("grants_municipal", "3987"),
        ("gifts", "3993"),
        ("bad_debts", "6351"),
        ("bank_fees", "6570"),
    ],
)
def test_swedish_roles_sit_on_their_bas_accounts(role: str, number: str) -> None:
    (seed,) = [seed for seed in chart_for("SE") if seed.role == role]
    assert seed.number == number


def test_swedish_chart_has_the_usual_association_accounts() -> None:
    numbers = {seed.number for seed in chart_for("SE")}
    # rent of premises, equipment, travel, federation fees, bank charges, annual meeting
    assert {"5010", "5410", "5810", "6981", "6982", "6570", "6450"} <= numbers
    assert 40 <= len(numbers) <= 64


def test_country_code_is_case_insensitive_and_unknown_countries_fail() -> None:
    assert chart_for("se") is chart_for("SE")
    with pytest.raises(ValueError, match="NO"):
        chart_for("NO")


def test_seeds_are_immutable() -> None:
    seed = chart_for("SE")[0]
    assert isinstance(seed, AccountSeed)
    with pytest.raises(AttributeError):
        seed.number = "9999"  # type: ignore[misc]
