"""A pick's limits (stake bounds on the risk, combined odds, payout) and how odds are shown:
worked cases, and properties over the whole input range (hypothesis)."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.validation import ValidationError
from plugins.betting import inputs
from plugins.betting.limits import MAX_ODDS_RANGE, MAX_PAYOUT_RANGE, Limits
from plugins.betting.maths import (
    CENT,
    OddsFormat,
    StakeMode,
    combined_odds,
    format_entered,
    format_odds,
    odds_fraction,
    round_half_up,
    stake_and_win,
)

DEFAULT = Limits(D("0.5"), D("10"), D("1001"), D("10000"))
AMERICAN_BOUNDS = [-100_000, -101, -100, 100, 101, 100_000]
DECIMAL_BOUNDS = [D("1.0001"), D("1.001"), D("1.9999"), D("2"), D("1000.9999"), D("1001")]
UNIT_BOUNDS = [D("0.01"), D("0.5"), D("10"), D("10000"), D(1_000_000), D(1_000_000_000)]


def american() -> st.SearchStrategy[tuple[OddsFormat, D]]:
    """Every American price the bot takes, its bounds drawn often."""
    whole = st.one_of(
        st.sampled_from(AMERICAN_BOUNDS),
        st.integers(100, 100_000),
        st.integers(-100_000, -100),
    )
    return whole.map(lambda n: (OddsFormat.AMERICAN, D(n)))


def decimal() -> st.SearchStrategy[tuple[OddsFormat, D]]:
    """Every decimal price the bot takes (more than 1, at most 1001, 4 places)."""
    value = st.one_of(
        st.sampled_from(DECIMAL_BOUNDS), st.integers(10_001, 10_010_000).map(lambda n: D(n) / 10**4)
    )
    return value.map(lambda v: (OddsFormat.DECIMAL, v))


def entered_odds() -> st.SearchStrategy[tuple[OddsFormat, D]]:
    return st.one_of(american(), decimal())


def amounts(high: int = 1_000_000_000) -> st.SearchStrategy[D]:
    """Amounts in units, 0.01 to ``high`` (bounds drawn often)."""
    cents = st.integers(1, high * 100).map(lambda n: D(n) / 100)
    return st.one_of(st.sampled_from([u for u in UNIT_BOUNDS if u <= high]), cents)


@st.composite
def limits(draw: st.DrawFn) -> Limits:
    """Any limits /setup allows (stake bounds 0.01..1,000,000; odds and payout their ranges)."""
    low = draw(amounts(1_000_000))
    high = draw(amounts(1_000_000).filter(lambda u: u >= low))
    odds_cents = st.integers(int(MAX_ODDS_RANGE[0] * 100), int(MAX_ODDS_RANGE[1] * 100))
    max_odds = draw(
        st.one_of(st.sampled_from(MAX_ODDS_RANGE), odds_cents.map(lambda n: D(n) / 100))
    )
    max_payout = draw(st.one_of(st.sampled_from(MAX_PAYOUT_RANGE), amounts()))
    return Limits(low, high, max_odds, max_payout)


def fraction_of(leg: tuple[OddsFormat, D]) -> Fraction:
    return odds_fraction(*leg)


# --- the stake rule and the limits, worked cases ------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "amount", "odds", "problem"),
    [
        # the case: "win" mode placed "risk 10000.00u to win 10.00u" within 0.50-10.00
        (
            StakeMode.WIN,
            "10",
            ("american", -100_000),
            "units: to win 10.00u at these odds the stake would be 10000.00u; "
            "stakes must be between 0.50u and 10.00u here",
        ),
        (
            StakeMode.WIN,
            "0.01",
            ("american", +100_000),
            "units: to win 0.01u at these odds the stake would be 0.01u; "
            "stakes must be between 0.50u and 10.00u here",
        ),
        (
            StakeMode.RISK,
            "10",
            ("decimal", "1001.01"),
            "odds: must be at most 1001.00 (+100000) here",
        ),
    ],
)
def test_terms_refuse_with_the_limit(
    mode: StakeMode, amount: str, odds: tuple[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        DEFAULT.terms(mode, D(amount), odds_fraction(odds[0], D(str(odds[1]))))
    assert str(refused.value) == problem


def test_terms_at_the_limits_are_taken() -> None:
    top = odds_fraction("american", D(100_000))
    assert DEFAULT.terms(StakeMode.RISK, D("10.00"), top) == (D("10.00"), D("10000.00"))
    assert DEFAULT.terms(StakeMode.WIN, D("10000"), top) == (D("10.00"), D("10000.00"))
    assert DEFAULT.terms(StakeMode.WIN, D("0.50"), odds_fraction("american", D(100))) == (
        D("0.50"),
        D("0.50"),
    )
    payout = Limits(D("0.5"), D("10"), D("1001"), D("9999.99"))
    with pytest.raises(ValidationError, match=r"would win 10000\.00u; .* at most 9999\.99u here"):
        payout.terms(StakeMode.RISK, D("10.00"), top)


def test_a_growing_parlay_may_hold_a_stake_above_the_maximum() -> None:
    """In "win" mode one leg at -110 takes 11.00u to win 10u; a second leg brings it to 3.78u."""
    one = odds_fraction("american", D(-110))
    with pytest.raises(ValidationError, match=r"the stake would be 11\.00u"):
        DEFAULT.terms(StakeMode.WIN, D(10), one)
    assert DEFAULT.terms(StakeMode.WIN, D(10), one, building=True) == (D("11.00"), D("10.00"))
    assert DEFAULT.terms(StakeMode.WIN, D(10), one * one) == (D("3.78"), D("10.00"))


def test_amount_entered_in_each_mode() -> None:
    assert DEFAULT.amount("10", StakeMode.RISK) == D("10.00")
    with pytest.raises(ValidationError, match="units: must be at most 10"):
        DEFAULT.amount("10.01", StakeMode.RISK)
    assert DEFAULT.amount("10000", StakeMode.WIN) == D("10000.00")  # what it wins, at most
    with pytest.raises(ValidationError, match="units: must be at most 10000"):
        DEFAULT.amount("10000.01", StakeMode.WIN)


# --- how odds are shown -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "value", "shown"),
    [
        ("decimal", "1.001", "1.001"),  # the case: was "1.00"
        ("decimal", "1.0010", "1.001"),  # as stored (4 places)
        ("decimal", "1.0001", "1.0001"),
        ("decimal", "2.5", "2.50"),
        ("decimal", "2", "2.00"),
        ("decimal", "1001.0000", "1001.00"),
        ("american", "-100000.0000", "-100000"),
        ("american", "150", "+150"),
        ("american", "-110", "-110"),
    ],
)
def test_format_entered(fmt: str, value: str, shown: str) -> None:
    assert format_entered(fmt, D(value)) == shown


@pytest.mark.parametrize(
    ("odds", "shown"),
    [
        (Fraction(1001, 1000), "1.001"),
        (Fraction(1001, 1000) ** 2, "1.002"),  # 1.002001
        (Fraction(10001, 10000) ** 2, "1.0002"),
        (Fraction(1049, 1000), "1.05"),
        (Fraction(1004, 1000), "1.004"),  # 2 places would show 1.00
        (Fraction(21, 11) ** 2, "3.64"),
    ],
)
def test_combined_decimal_odds_never_show_one(odds: Fraction, shown: str) -> None:
    assert format_odds(odds, "decimal") == shown


# --- properties over the whole input range ------------------------------------------------------


@given(st.lists(entered_odds(), min_size=1, max_size=12), amounts(), st.sampled_from(StakeMode))
def test_stake_and_win_are_exact_for_any_legs_and_units(
    legs: list[tuple[OddsFormat, D]], amount: D, mode: StakeMode
) -> None:
    odds = combined_odds(fraction_of(leg) for leg in legs)
    stake, to_win = stake_and_win(mode, amount, odds)
    assert stake.as_tuple().exponent == to_win.as_tuple().exponent == -2
    if mode is StakeMode.RISK:
        assert stake == amount
        assert abs(Fraction(to_win) - Fraction(amount) * (odds - 1)) <= Fraction(1, 200)
    else:
        assert to_win == amount and stake >= CENT
        exact = Fraction(amount) / (odds - 1)
        assert stake == CENT or abs(Fraction(stake) - exact) <= Fraction(1, 200)


@given(st.lists(entered_odds(), min_size=1, max_size=12), st.sampled_from(OddsFormat))
def test_shown_odds_are_always_a_valid_price(
    legs: list[tuple[OddsFormat, D]], fmt: OddsFormat
) -> None:
    shown = format_odds(combined_odds(fraction_of(leg) for leg in legs), fmt)
    if fmt is OddsFormat.DECIMAL:
        assert D(shown) > 1
    else:
        assert shown[0] in "+-" and abs(int(shown)) >= 100


@given(entered_odds())
def test_odds_shown_as_entered_read_back_the_same(leg: tuple[OddsFormat, D]) -> None:
    fmt, value = leg
    stored = value.quantize(D("0.0001"))  # Leg.odds_value keeps 4 places
    assert inputs.odds(format_entered(fmt, stored), OddsFormat.DECIMAL) == (fmt, value)
    if fmt is OddsFormat.AMERICAN:
        assert inputs.odds(format_entered(fmt, stored), OddsFormat.AMERICAN) == (fmt, value)


@given(
    limits(),
    st.sampled_from(StakeMode),
    amounts(),
    st.lists(entered_odds(), min_size=1, max_size=12),
    st.booleans(),
)
@example(  # to win the most a parlay may at 1.001 while building: a 1e12 stake, never stored
    Limits(D("0.01"), D(1_000_000), MAX_ODDS_RANGE[1], MAX_PAYOUT_RANGE[1]),
    StakeMode.WIN,
    D(1_000_000_000),
    [(OddsFormat.DECIMAL, D("1.001"))],
    True,
)
def test_terms_within_limits_or_a_clear_refusal(
    bounds: Limits, mode: StakeMode, amount: D, legs: list[tuple[OddsFormat, D]], building: bool
) -> None:
    odds = combined_odds(fraction_of(leg) for leg in legs)
    try:
        stake, to_win = bounds.terms(mode, amount, odds, building=building)
    except ValidationError as refused:
        assert refused.field in ("odds", "units") and len(str(refused)) < 200
        return
    assert odds <= bounds.max_odds and to_win <= bounds.max_payout
    assert bounds.min_units <= stake and (building or stake <= bounds.max_units)
    # what a placed pick stores fits its column: stake 12 digits, to_win 14, odds_decimal 16 (4
    # places); while a parlay is building its terms are only checked, not stored, and its stake
    # may be above max_units (a longer leg brings it down; placing refuses it otherwise)
    assert building or stake < 10**10
    assert to_win < 10**12 and round_half_up(odds, 4) < 10**12


@given(st.text(max_size=40), st.sampled_from(StakeMode), limits())
def test_any_units_text_is_read_or_refused(text: str, mode: StakeMode, bounds: Limits) -> None:
    try:
        amount = bounds.amount(text, mode)
    except ValidationError:
        return
    high = bounds.max_units if mode is StakeMode.RISK else bounds.max_payout
    assert D("0.01") <= amount <= high


@given(
    st.one_of(
        st.text(max_size=20),
        st.from_regex(r"\A[+-]?\d{1,9}(\.\d{0,6})?([eE][+-]?\d{1,4})?\Z"),
    ),
    st.sampled_from(OddsFormat),
)
def test_any_odds_text_is_read_or_refused(text: str, guild_format: OddsFormat) -> None:
    try:
        fmt, value = inputs.odds(text, guild_format)
    except ValidationError:
        return
    assert 1 < odds_fraction(fmt, value) <= 1001
    assert value == value.quantize(D("0.0001"))  # fits Leg.odds_value
