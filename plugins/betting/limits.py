"""A guild's limits on one pick: the stake, the combined odds and the payout.

- The stake bounds (``min_units`` .. ``max_units``) apply to the stake — what the pick risks — in
  every stake mode: in ``win`` mode the units entered are what the pick wins, and the stake they
  take at the pick's odds must lie within the bounds.
- ``max_odds``: the highest (combined) decimal odds of a pick; ``max_payout``: the most units a
  pick may win.

Every breach is a :class:`~core.validation.ValidationError` saying what the limit is (and what
the stake would be), checked before anything is computed from odds beyond the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from core import validation
from core.validation import ValidationError
from plugins.betting.maths import OddsFormat, StakeMode, format_odds, stake_and_win
from plugins.betting.models import GuildConfig

MAX_ODDS_RANGE = (Decimal("1.01"), Decimal(1_000_000))
"""What ``/setup max_odds`` accepts (decimal odds; fits ``Pick.odds_decimal``)."""
MAX_PAYOUT_RANGE = (Decimal("0.01"), Decimal(1_000_000_000))
"""What ``/setup max_payout`` accepts (units; fits ``Pick.to_win``)."""


def shown_units(amount: Decimal) -> str:
    """``10000.00u``."""
    return f"{amount:.2f}u"


def shown_odds(odds: Fraction | Decimal) -> str:
    """Decimal odds with their American price: ``1001 (+100000)``."""
    exact = Fraction(odds)
    return f"{format_odds(exact, OddsFormat.DECIMAL)} ({format_odds(exact, OddsFormat.AMERICAN)})"


@dataclass(frozen=True, slots=True)
class Limits:
    min_units: Decimal
    max_units: Decimal
    max_odds: Decimal
    max_payout: Decimal

    @classmethod
    def of(cls, config: GuildConfig) -> Limits:
        return cls(
            Decimal(config.min_units),
            Decimal(config.max_units),
            Decimal(config.max_odds),
            Decimal(config.max_payout),
        )

    def amount(self, value: str | Decimal, mode: StakeMode) -> Decimal:
        """The units a member entered. ``risk``: the stake, within the stake bounds. ``win``:
        what the pick wins, at most ``max_payout`` (its stake is checked once the odds are
        known, by :meth:`terms`)."""
        if mode is StakeMode.RISK:
            return validation.units(value, self.min_units, self.max_units)
        return validation.units(value, maximum=self.max_payout)

    def breach(
        self, mode: StakeMode, amount: Decimal, odds: Fraction, *, building: bool = False
    ) -> ValidationError | None:
        """The first limit ``amount`` in ``mode`` at ``odds`` breaks, or None.

        ``building``: a parlay still taking legs. More legs only raise its odds — and its
        payout (``risk``) or lower its stake (``win``) — so a stake above the maximum is let
        through (a longer leg can bring it down); every other breach only grows.
        """
        if odds > self.max_odds:
            return ValidationError("odds", f"must be at most {shown_odds(self.max_odds)} here")
        stake, to_win = stake_and_win(mode, amount, odds)
        if to_win > self.max_payout:
            limit = shown_units(self.max_payout)
            rule = f"this pick would win {to_win}u; a pick may win at most {limit} here"
            return ValidationError("units", rule)
        if stake < self.min_units or (stake > self.max_units and not building):
            low, high = shown_units(self.min_units), shown_units(self.max_units)
            bounds = f"stakes must be between {low} and {high} here"
            if mode is StakeMode.WIN:
                rule = f"to win {to_win}u at these odds the stake would be {stake}u; {bounds}"
            else:
                rule = f"the stake is {stake}u; {bounds}"
            return ValidationError("units", rule)
        return None

    def terms(
        self, mode: StakeMode, amount: Decimal, odds: Fraction, *, building: bool = False
    ) -> tuple[Decimal, Decimal]:
        """``(stake, to_win)`` of ``amount`` in ``mode`` at ``odds``; raises the
        :meth:`breach` if there is one."""
        if (error := self.breach(mode, amount, odds, building=building)) is not None:
            raise error
        return stake_and_win(mode, amount, odds)
