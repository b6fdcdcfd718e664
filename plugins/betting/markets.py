"""Markets and how a final score settles them (pure functions, no database)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from plugins.betting.maths import Result


class Market(StrEnum):
    MONEYLINE = "moneyline"
    SPREAD = "spread"
    TOTAL = "total"
    PROP = "prop"

    @property
    def label(self) -> str:
        return {
            "moneyline": "Moneyline",
            "spread": "Spread",
            "total": "Total",
            "prop": "Player prop",
        }[self.value]

    @property
    def needs_line(self) -> bool:
        return self is not Market.MONEYLINE

    @property
    def auto_graded(self) -> bool:
        """Whether the bot grades it from a final score (props stay manual)."""
        return self is not Market.PROP


class Side(StrEnum):
    """What a non-prop selection backs."""

    HOME = "home"
    AWAY = "away"
    OVER = "over"
    UNDER = "under"


def sides_for(market: Market) -> tuple[Side, ...]:
    """The sides a member can pick in ``market`` (props have free-text selections)."""
    if market is Market.TOTAL:
        return (Side.OVER, Side.UNDER)
    if market is Market.PROP:
        return ()
    return (Side.AWAY, Side.HOME)


def side_names(home: str, away: str) -> dict[Side, str]:
    """What each side is shown as: the team it backs, or ``Over``/``Under``."""
    return {Side.HOME: home, Side.AWAY: away, Side.OVER: "Over", Side.UNDER: "Under"}


def _compare(a: Decimal, b: Decimal) -> Result:
    if a > b:
        return Result.WON
    if a < b:
        return Result.LOST
    return Result.PUSH


def grade_from_score(
    market: Market, side: Side, line: Decimal | None, home: int, away: int
) -> Result:
    """The result of one selection given the final score.

    Moneyline: the backed team must score more; a draw is a push. Spread: the backed team's
    score plus the line against the other's. Total: the sum of both scores against the line.
    A score equal to the line is a push.
    """
    if market is Market.PROP:
        raise ValueError("props are graded by hand")
    if side not in sides_for(market):
        raise ValueError(f"{side} is not a side of a {market} market")
    if market is Market.TOTAL:
        if line is None:
            raise ValueError("a total needs a line")
        total = Decimal(home + away)
        result = _compare(total, line)
        if side is Side.UNDER:
            return {Result.WON: Result.LOST, Result.LOST: Result.WON}.get(result, result)
        return result
    mine, theirs = (home, away) if side is Side.HOME else (away, home)
    handicap = Decimal(0) if market is Market.MONEYLINE else (line or Decimal(0))
    return _compare(Decimal(mine) + handicap, Decimal(theirs))
