"""Odds and payout maths, exact to the cent.

Odds are kept as exact fractions (:class:`~fractions.Fraction`) of *decimal* odds: American
``+A`` is ``1 + A/100``, ``-A`` is ``1 + 100/A``, decimal odds are taken as typed. Amounts are
``Decimal`` units with two places; every rounding to the cent is ``ROUND_HALF_UP`` on the exact
value, so a payout never depends on how many digits an intermediate step kept.

Settlement, per pick:

- a win pays ``to_win`` (straight: ``stake * A/100`` at ``+A``, ``stake * 100/A`` at ``-A``,
  ``stake * (d - 1)`` at decimal ``d``); a loss costs the stake; push and void pay 0;
- a parlay multiplies its legs' decimal odds; push and void legs drop out; any lost leg loses
  it; if every leg dropped out the parlay is a push (or void when all legs are void).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

CENT = Decimal("0.01")
_HUNDRED = Fraction(100)


class Result(StrEnum):
    """The result of a pick or of one leg: pending until graded (:data:`GRADED`); a pick (never
    a leg) may instead be cancelled, which pays nothing."""

    PENDING = "pending"
    WON = "won"
    LOST = "lost"
    PUSH = "push"
    VOID = "void"
    CANCELLED = "cancelled"


class StakeMode(StrEnum):
    """What the units a member enters mean: the amount risked, or the amount to win."""

    RISK = "risk"
    WIN = "win"


class OddsFormat(StrEnum):
    AMERICAN = "american"
    DECIMAL = "decimal"


GRADED = (Result.WON, Result.LOST, Result.PUSH, Result.VOID)


def odds_fraction(fmt: OddsFormat | str, value: Decimal) -> Fraction:
    """The exact decimal odds of odds given as ``value`` in format ``fmt``."""
    if OddsFormat(fmt) is OddsFormat.AMERICAN:
        american = Fraction(value)
        if american >= _HUNDRED:
            return 1 + american / _HUNDRED
        if american <= -_HUNDRED:
            return 1 + _HUNDRED / -american
        raise ValueError(f"American odds must be at most -100 or at least +100, got {value}")
    decimal = Fraction(value)
    if decimal <= 1:
        raise ValueError(f"decimal odds must be more than 1, got {value}")
    return decimal


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact amount to ``places`` decimal places, halves away from zero."""
    scaled = value * 10**places
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    sign = "-" if value < 0 and whole else ""
    return Decimal(f"{sign}{whole}E-{places}")  # from text: exact at any size


def to_cents(value: Fraction) -> Decimal:
    """Round an exact amount to the cent, halves away from zero."""
    return round_half_up(value, 2)


def win_amount(stake: Decimal, odds: Fraction) -> Decimal:
    """What ``stake`` wins (profit, stake not included) at decimal odds ``odds``."""
    return to_cents(Fraction(stake) * (odds - 1))


def stake_and_win(
    mode: StakeMode | str, amount: Decimal, odds: Fraction
) -> tuple[Decimal, Decimal]:
    """``(stake, to_win)`` for ``amount`` entered in stake ``mode`` at ``odds``.

    "risk": the amount is the stake. "win": the amount is what the pick wins; the stake is
    what it takes to win it, rounded to the cent (never below one cent).
    """
    amount = amount.quantize(CENT)
    if StakeMode(mode) is StakeMode.RISK:
        return amount, win_amount(amount, odds)
    stake = max(to_cents(Fraction(amount) / (odds - 1)), CENT)
    return stake, amount


def combined_odds(odds: Iterable[Fraction]) -> Fraction:
    """The decimal odds of a parlay: the product of its legs' decimal odds."""
    total = Fraction(1)
    for leg in odds:
        total *= leg
    return total


def parlay_result(legs: Sequence[tuple[Result, Fraction]]) -> tuple[Result, Fraction]:
    """The result of a parlay from its legs' ``(result, odds)``, with the odds that pay.

    Any lost leg loses the parlay (even while others are pending); otherwise any pending leg
    keeps it pending; push and void legs drop out; with no leg left it is a push (void if every
    leg was void).
    """
    results = [r for r, _ in legs]
    if Result.LOST in results:
        return Result.LOST, combined_odds(o for _, o in legs)
    if Result.PENDING in results:
        return Result.PENDING, combined_odds(o for _, o in legs)
    winners = [o for r, o in legs if r is Result.WON]
    if not winners:
        return (Result.VOID if all(r is Result.VOID for r in results) else Result.PUSH), Fraction(1)
    return Result.WON, combined_odds(winners)


def settle(
    result: Result, stake: Decimal, to_win: Decimal, full_odds: Fraction, paid_odds: Fraction
) -> Decimal:
    """The units a graded pick adds to its author's record.

    ``to_win`` is what the pick pays at ``full_odds`` (stored when it was placed); when legs of
    a parlay dropped out (``paid_odds`` differs), the win is recomputed from the stake.
    """
    if result is Result.WON:
        return to_win if paid_odds == full_odds else win_amount(stake, paid_odds)
    if result is Result.LOST:
        return -stake
    if result in (Result.PUSH, Result.VOID):
        return Decimal("0.00")
    raise ValueError("a pending pick has no settlement yet")


def to_american(odds: Fraction) -> Decimal:
    """Decimal odds as American odds, rounded to a whole number (for display)."""
    if odds >= 2:
        value = (odds - 1) * _HUNDRED
    else:
        value = -_HUNDRED / (odds - 1)
    return round_half_up(value, 0)


def format_odds(odds: Fraction, fmt: OddsFormat | str) -> str:
    """Computed odds (a parlay's combined odds, an average) in a guild's preferred format.

    American: rounded to a whole number, ``-110`` / ``+150`` (never between -100 and +100).
    Decimal: rounded half-up to 2 places, or to as many more as it takes to stay above 1
    (``1.91``; ``1.001`` stays ``1.001``, never ``1.00``, a price no one can enter).
    """
    if OddsFormat(fmt) is OddsFormat.DECIMAL:
        places = 2
        while (shown := round_half_up(odds, places)) <= 1:
            places += 1
        return f"{shown}"
    american = to_american(odds)
    return f"+{american}" if american > 0 else f"{american}"


def format_entered(fmt: OddsFormat | str, value: Decimal) -> str:
    """A leg's odds as the member entered them: American as a signed whole number
    (``+150``, ``-110``), decimal with every place entered and at least two (``1.001``,
    ``2.50``)."""
    if OddsFormat(fmt) is OddsFormat.AMERICAN:
        whole = int(value)
        return f"+{whole}" if whole > 0 else f"{whole}"
    shown = value.normalize()
    exponent = shown.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        shown = shown.quantize(CENT)
    return f"{shown:f}"
