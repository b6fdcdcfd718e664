"""Reading what a member typed (plugins.betting.inputs): each rule's refusal names the field and
the rule, and what passes comes back in the form stored."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.validation import ValidationError
from plugins.betting import inputs
from plugins.betting.markets import Market, Side
from plugins.betting.maths import OddsFormat


def refusal(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(ValidationError) as raised:
        call(*args)
    return str(raised.value)


def test_american_guilds_take_american_odds_only() -> None:
    assert inputs.odds(" -110 ", OddsFormat.AMERICAN) == (OddsFormat.AMERICAN, Decimal(-110))
    assert refusal(inputs.odds, "1.91", "american").startswith("odds: ")


def test_decimal_guilds_take_decimal_odds_and_american_odds() -> None:
    assert inputs.odds("1.9100", OddsFormat.DECIMAL) == (OddsFormat.DECIMAL, Decimal("1.9100"))
    assert inputs.odds("+150", "decimal") == (OddsFormat.AMERICAN, Decimal(150))
    assert refusal(inputs.odds, "1.91234", OddsFormat.DECIMAL) == (
        "odds: decimal odds may have at most 4 decimal places (got 1.91234)"
    )


def test_units_are_kept_within_the_guilds_bounds() -> None:
    assert inputs.units("2.5", Decimal("0.5"), Decimal(10)) == Decimal("2.50")
    assert refusal(inputs.units, "11", Decimal("0.5"), Decimal(10)).startswith("units: ")


@pytest.mark.parametrize(
    ("typed", "market", "stored"),
    [
        ("-3.5", Market.SPREAD, Decimal("-3.50")),
        (" 45.5 ", Market.TOTAL, Decimal("45.50")),
        (Decimal("2"), Market.PROP, Decimal("2.00")),
        (None, Market.MONEYLINE, None),
        ("  ", Market.MONEYLINE, None),
    ],
)
def test_a_line_is_stored_with_two_places_or_absent_for_a_moneyline(
    typed: str | Decimal | None, market: Market, stored: Decimal | None
) -> None:
    assert inputs.line(typed, market) == stored


@pytest.mark.parametrize(
    ("typed", "market", "message"),
    [
        (None, Market.SPREAD, "line: a spread pick needs a line, e.g. -3.5"),
        ("", Market.PROP, "line: a player prop pick needs a line, e.g. -3.5"),
        ("-3.5", Market.MONEYLINE, "line: a moneyline pick takes no line (leave it empty)"),
        ("three", Market.SPREAD, "line: must be a number such as -3.5 or 45.5 (got three)"),
        ("NaN", Market.SPREAD, "line: must be a number such as -3.5 or 45.5 (got NaN)"),
        ("-3.125", Market.SPREAD, "line: must have at most 2 decimal places (got -3.125)"),
        ("1000", Market.TOTAL, "line: must be between -1000 and 1000 (got 1000)"),
        ("-1000", Market.SPREAD, "line: must be between -1000 and 1000 (got -1000)"),
        ("0", Market.TOTAL, "line: a total must be more than 0 (got 0)"),
    ],
)
def test_a_line_that_breaks_a_rule_is_refused_with_the_rule(
    typed: str | None, market: Market, message: str
) -> None:
    assert refusal(inputs.line, typed, market) == message


@pytest.mark.parametrize(
    ("typed", "market", "picked"),
    [
        ("chiefs", Market.MONEYLINE, (Side.HOME, "Chiefs")),
        ("AWAY", Market.SPREAD, (Side.AWAY, "Bills")),
        (" over ", Market.TOTAL, (Side.OVER, "Over")),
        ("u", Market.TOTAL, (Side.UNDER, "Under")),
        ("Mahomes   over 2.5 TDs", Market.PROP, (None, "Mahomes over 2.5 TDs")),
    ],
)
def test_a_selection_is_a_side_by_name_or_letter_or_free_text_for_props(
    typed: str, market: Market, picked: tuple[Side | None, str]
) -> None:
    assert inputs.selection(typed, market, "Chiefs", "Bills") == picked


def test_a_selection_outside_the_markets_sides_names_the_choices() -> None:
    assert refusal(inputs.selection, "Jets", Market.MONEYLINE, "Chiefs", "Bills") == (
        "selection: pick Bills or Chiefs (got Jets)"
    )
    assert refusal(inputs.selection, "o", Market.SPREAD, "Chiefs", "Bills") == (
        "selection: pick Bills or Chiefs (got o)"
    )
    assert refusal(inputs.selection, "home", Market.TOTAL, "Chiefs", "Bills") == (
        "selection: pick Over or Under (got home)"
    )


def test_a_start_time_is_read_as_utc_or_refused_with_the_format() -> None:
    assert inputs.start_time(" 2026-12-24 18:30 ") == datetime(2026, 12, 24, 18, 30, tzinfo=UTC)
    assert refusal(inputs.start_time, "24/12/2026") == (
        "starts: write the start as YYYY-MM-DD HH:MM (UTC) (got 24/12/2026)"
    )
