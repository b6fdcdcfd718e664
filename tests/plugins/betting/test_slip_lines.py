"""A leg's line on a slip: the market's short name, a spread's sign, the line as stored (two
decimal places), the odds as entered, and clipping to a width; the same for a leg still being
built and a stored one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugins.betting.legs import LegSpec
from plugins.betting.markets import Market, Side
from plugins.betting.maths import OddsFormat
from plugins.betting.models import Leg
from plugins.betting.slips import leg_line


def spec(market: Market, selection: str, line: str | None) -> LegSpec:
    return LegSpec(
        game_id=1,
        league="NFL",
        matchup="Chiefs @ Bills",
        market=market,
        side=Side.HOME if market is not Market.PROP else None,
        selection=selection,
        line=None if line is None else Decimal(line),
        odds_format=OddsFormat.AMERICAN,
        odds_value=Decimal(-110),
    )


@pytest.mark.parametrize(
    ("market", "selection", "line", "shown"),
    [
        (Market.MONEYLINE, "Bills", None, "Chiefs @ Bills — Moneyline · Bills (-110)"),
        (Market.SPREAD, "Bills", "3.50", "Chiefs @ Bills — Spread · Bills +3.50 (-110)"),
        (Market.SPREAD, "Bills", "-3.50", "Chiefs @ Bills — Spread · Bills -3.50 (-110)"),
        (Market.TOTAL, "Over", "45.50", "Chiefs @ Bills — Total · Over 45.50 (-110)"),
        (Market.PROP, "Allen over", "250.50", "Chiefs @ Bills — Prop · Allen over 250.50 (-110)"),
    ],
)
def test_each_market_reads_the_same_building_and_stored(
    market: Market, selection: str, line: str | None, shown: str
) -> None:
    building = spec(market, selection, line)
    stored = Leg(
        matchup=building.matchup,
        market=market.value,
        selection=selection,
        line=building.line,
        odds_format=building.odds_format.value,
        odds_value=building.odds_value,
    )
    assert leg_line(building) == shown
    assert leg_line(stored) == shown


def test_a_width_clips_the_selection_then_the_matchup_and_keeps_the_odds() -> None:
    long = spec(Market.PROP, "Josh Allen over passing yards " * 4, "250.5")
    line = leg_line(long, width=60)
    assert len(line) <= 60
    assert line.endswith(" (-110)") and " — Prop · " in line
