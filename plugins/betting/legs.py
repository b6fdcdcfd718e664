"""What a member picks: :class:`LegSpec`, built and checked before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from plugins.betting.markets import Market, Side
from plugins.betting.maths import OddsFormat, odds_fraction


@dataclass(frozen=True, slots=True)
class LegSpec:
    """One selection on one game, with the odds as the member gave them."""

    game_id: int
    league: str
    matchup: str
    market: Market
    side: Side | None
    selection: str
    line: Decimal | None
    odds_format: OddsFormat
    odds_value: Decimal

    @property
    def odds(self) -> Fraction:
        return odds_fraction(self.odds_format, self.odds_value)

    def describe(self) -> str:
        """``Moneyline · Chiefs`` / ``Spread · Chiefs -3.5`` / ``Total · Over 45.5``."""
        line = ""
        if self.line is not None:
            shown = (
                f"+{self.line}"
                if self.market is Market.SPREAD and self.line > 0
                else str(self.line)
            )
            line = f" {shown}"
        return f"{self.market.label} · {self.selection}{line}"

    def to_json(self) -> dict[str, Any]:
        return {
            "game_id": self.game_id,
            "league": self.league,
            "matchup": self.matchup,
            "market": self.market.value,
            "side": self.side.value if self.side else None,
            "selection": self.selection,
            "line": None if self.line is None else str(self.line),
            "odds_format": self.odds_format.value,
            "odds_value": str(self.odds_value),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LegSpec:
        return cls(
            game_id=int(data["game_id"]),
            league=data["league"],
            matchup=data["matchup"],
            market=Market(data["market"]),
            side=Side(data["side"]) if data["side"] else None,
            selection=data["selection"],
            line=None if data["line"] is None else Decimal(data["line"]),
            odds_format=OddsFormat(data["odds_format"]),
            odds_value=Decimal(data["odds_value"]),
        )
