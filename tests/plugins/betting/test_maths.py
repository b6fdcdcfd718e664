"""Payout maths: a table of worked cases, and properties of the odds conversions."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.validation import american_to_decimal, decimal_to_american
from plugins.betting.maths import (
    Result,
    StakeMode,
    combined_odds,
    format_odds,
    odds_fraction,
    parlay_result,
    round_half_up,
    settle,
    stake_and_win,
    to_american,
    win_amount,
)


def am(value: int) -> Fraction:
    return odds_fraction("american", D(value))


def dec(value: str) -> Fraction:
    return odds_fraction("decimal", D(value))


@pytest.mark.parametrize(
    ("stake", "odds", "expected"),
    [
        ("1.00", am(+150), "1.50"),  # +A pays stake*A/100
        ("1.00", am(-110), "0.91"),  # -A pays stake*100/A = 0.909..
        ("1.10", am(-110), "1.00"),
        ("2.50", am(+100), "2.50"),
        ("2.50", am(-100), "2.50"),
        ("0.03", am(-600), "0.01"),  # 0.005 exactly: half rounds up
        ("0.01", am(-300), "0.00"),  # 0.0033..
        ("10.00", am(+10000), "1000.00"),
        ("3.00", dec("1.91"), "2.73"),
        ("1.00", dec("2.5"), "1.50"),
        ("7.77", am(-145), "5.36"),  # 5.3586..
    ],
)
def test_win_amount_table(stake: str, odds: Fraction, expected: str) -> None:
    assert win_amount(D(stake), odds) == D(expected)


@pytest.mark.parametrize(
    ("result", "stake", "to_win", "expected"),
    [
        (Result.WON, "2.00", "1.82", "1.82"),
        (Result.LOST, "2.00", "1.82", "-2.00"),
        (Result.PUSH, "2.00", "1.82", "0.00"),
        (Result.VOID, "2.00", "1.82", "0.00"),
    ],
)
def test_settle_straight(result: Result, stake: str, to_win: str, expected: str) -> None:
    odds = am(-110)
    assert settle(result, D(stake), D(to_win), odds, odds) == D(expected)


def test_settle_refuses_pending() -> None:
    with pytest.raises(ValueError, match="pending"):
        settle(Result.PENDING, D(1), D(1), am(-110), am(-110))


@pytest.mark.parametrize(
    ("legs", "result", "paid"),
    [
        # two -110 legs: 21/11 squared = 441/121 = 3.6446..
        ([(Result.WON, am(-110)), (Result.WON, am(-110))], Result.WON, Fraction(441, 121)),
        # a push drops out: the parlay pays the other leg alone
        ([(Result.WON, am(+150)), (Result.PUSH, am(-110))], Result.WON, Fraction(5, 2)),
        # void drops out the same way
        (
            [(Result.VOID, am(+150)), (Result.WON, am(-200)), (Result.WON, am(+100))],
            Result.WON,
            Fraction(3),
        ),
        # any loss loses, even with legs pending
        (
            [(Result.WON, am(-110)), (Result.LOST, am(+150)), (Result.PENDING, am(-110))],
            Result.LOST,
            None,
        ),
        ([(Result.WON, am(-110)), (Result.PENDING, am(+150))], Result.PENDING, None),
        ([(Result.PUSH, am(-110)), (Result.VOID, am(+150))], Result.PUSH, Fraction(1)),
        ([(Result.VOID, am(-110)), (Result.VOID, am(+150))], Result.VOID, Fraction(1)),
    ],
)
def test_parlay_results(
    legs: list[tuple[Result, Fraction]], result: Result, paid: Fraction | None
) -> None:
    got, odds = parlay_result(legs)
    assert got is result
    if paid is not None:
        assert odds == paid


def test_parlay_payouts_in_units() -> None:
    full = combined_odds([am(-110), am(-110), am(+150)])
    stake, to_win = stake_and_win(StakeMode.RISK, D("1.00"), full)
    assert to_win == D("8.11")  # 1 * (441/121 * 5/2 - 1) = 8.1115..
    assert settle(Result.WON, stake, to_win, full, full) == D("8.11")
    # the +150 leg pushes: pays 441/121 - 1 = 2.6446.. on the stake
    result, paid = parlay_result(
        [(Result.WON, am(-110)), (Result.WON, am(-110)), (Result.PUSH, am(+150))]
    )
    assert settle(result, stake, to_win, full, paid) == D("2.64")
    result, paid = parlay_result(
        [(Result.LOST, am(-110)), (Result.WON, am(-110)), (Result.WON, am(+150))]
    )
    assert settle(result, stake, to_win, full, paid) == D("-1.00")


@pytest.mark.parametrize(
    ("mode", "amount", "odds", "stake", "to_win"),
    [
        (StakeMode.RISK, "1.00", am(-110), "1.00", "0.91"),
        (StakeMode.WIN, "1.00", am(-110), "1.10", "1.00"),
        (StakeMode.WIN, "1.00", am(+150), "0.67", "1.00"),
        (StakeMode.WIN, "0.01", am(+10000), "0.01", "0.01"),  # never a stake below a cent
        (StakeMode.RISK, "5", am(+120), "5.00", "6.00"),
    ],
)
def test_stake_modes(mode: StakeMode, amount: str, odds: Fraction, stake: str, to_win: str) -> None:
    assert stake_and_win(mode, D(amount), odds) == (D(stake), D(to_win))


def test_round_half_up_is_exact() -> None:
    assert round_half_up(Fraction(1, 200)) == D("0.01")
    assert round_half_up(Fraction(-1, 200)) == D("-0.01")
    assert round_half_up(Fraction(4999999, 1000000000)) == D("0.00")
    assert round_half_up(Fraction(299, 2), 0) == D(150)


def test_odds_validation() -> None:
    with pytest.raises(ValueError):
        odds_fraction("american", D(0))
    with pytest.raises(ValueError):
        odds_fraction("american", D(-99))
    with pytest.raises(ValueError):
        odds_fraction("decimal", D(1))


def test_format_odds() -> None:
    assert format_odds(am(-110), "american") == "-110"
    assert format_odds(am(+150), "american") == "+150"
    assert format_odds(am(-110), "decimal") == "1.91"
    assert format_odds(dec("2.00"), "american") == "+100"


american = st.integers(min_value=100, max_value=100_000).flatmap(lambda a: st.sampled_from([a, -a]))


@given(american)
def test_american_decimal_round_trip_exact(value: int) -> None:
    """American -> decimal -> American is the identity on exact fractions (-100 and +100 are
    the same price, written +100)."""
    assert to_american(am(value)) == (100 if value == -100 else value)


@given(american)
def test_core_conversions_round_trip(value: int) -> None:
    """The core validators' Decimal conversions round-trip within Decimal's 28 digits."""
    back = decimal_to_american(american_to_decimal(D(value)))
    expected = 100 if value == -100 else value
    assert abs(back - expected) <= abs(expected) * D("1e-22")


@given(st.decimals(min_value="1.01", max_value="1000", places=2))
def test_decimal_american_round_trip(value: D) -> None:
    odds = dec(str(value))
    american_value = (odds - 1) * 100 if odds >= 2 else -100 / (odds - 1)
    assert odds_fraction(
        "american", D(american_value.numerator) / D(american_value.denominator)
    ) == pytest.approx(odds)
    assert (american_value >= 100) or (american_value <= -100)


@given(
    st.decimals(min_value="0.01", max_value="1000", places=2),
    st.lists(american, min_size=2, max_size=12),
)
def test_parlay_win_at_least_best_leg(stake: D, legs: list[int]) -> None:
    """More winning legs never pay less; payouts are whole cents."""
    odds = [am(a) for a in legs]
    full = win_amount(stake, combined_odds(odds))
    fewer = win_amount(stake, combined_odds(odds[:-1]))
    assert full >= fewer
    assert full == full.quantize(D("0.01"))
