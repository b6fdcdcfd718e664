"""The placing path over the whole input range, on SQLite, PostgreSQL and MariaDB: any legs (1 to
12, every odds at its bounds), any units in either stake mode and any limits /setup allows give a
stored pick whose every number is what the maths says, or a clear refusal that writes nothing —
never an internal error (the issue: 12 legs at +10000 overflowed ``Pick.odds_decimal``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from fractions import Fraction
from itertools import count
from pathlib import Path

import pytest
from betting_support import BETTING_APP
from db_backends import BACKENDS, fresh_database  # type: ignore[import-not-found]
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_limits import amounts, entered_odds, limits  # type: ignore[import-not-found]

from core.database import Database
from core.validation import ValidationError
from plugins.betting import picks
from plugins.betting.legs import LegSpec
from plugins.betting.limits import MAX_ODDS_RANGE, MAX_PAYOUT_RANGE, Limits
from plugins.betting.markets import Market, Side
from plugins.betting.maths import (
    OddsFormat,
    StakeMode,
    combined_odds,
    odds_fraction,
    round_half_up,
)
from plugins.betting.models import Game, Leg, Pick
from plugins.betting.statuses import PickKind

GUILD = 222
interactions = count(1)
BAD_AMOUNTS = [D(0), D("-1"), D("0.001"), D("1e30"), D("99999999999.99")]


@pytest.fixture(params=BACKENDS)
async def games(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Game]]:
    """Twelve open games in a fresh database of each kind."""
    (tmp_path / "db").mkdir()
    async with fresh_database(request.param, tmp_path) as url:
        db = Database(url, retries=0)
        await db.connect([BETTING_APP])
        try:
            await db.context.generate_schemas()
            starts = datetime.now(UTC) + timedelta(days=1)
            yield [
                await Game.create(
                    source="test",
                    external_id=str(i),
                    league="NFL",
                    home=f"Home{i}",
                    away=f"Away{i}",
                    starts_at=starts,
                )
                for i in range(12)
            ]
        finally:
            await db.close()


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[tuple[OddsFormat, D]], StakeMode, D, Limits]:
    """Legs, a stake mode, units and limits; the units are often within what the limits allow
    at those odds (else nearly every example would only be refused)."""
    favourites = st.one_of(
        st.integers(-100_000, -100).map(lambda n: (OddsFormat.AMERICAN, D(n))),
        st.integers(10_001, 30_000).map(lambda n: (OddsFormat.DECIMAL, D(n) / 10**4)),
    )
    legs = draw(st.lists(st.one_of(entered_odds(), favourites), min_size=1, max_size=12))
    mode = draw(st.sampled_from(StakeMode))
    bounds = draw(limits())
    if draw(st.booleans()):  # the widest odds and payout limits /setup allows
        bounds = replace(bounds, max_odds=MAX_ODDS_RANGE[1], max_payout=MAX_PAYOUT_RANGE[1])
    odds = combined_odds(odds_fraction(*leg) for leg in legs)
    low, high = bounds.min_units, bounds.max_units
    if mode is StakeMode.WIN:  # what the stake bounds win at these odds, within the payout
        low = max(round_half_up(Fraction(low) * (odds - 1)), D("0.01"))
        high = min(round_half_up(Fraction(high) * (odds - 1)), bounds.max_payout)
    else:  # stakes whose win is within the payout
        high = min(high, round_half_up(Fraction(bounds.max_payout) / (odds - 1)))
    high = max(high, low)
    fitting = st.integers(int(low * 100), int(high * 100)).map(lambda n: D(n) / 100)
    amount = draw(st.one_of(fitting, fitting, fitting, amounts(), st.sampled_from(BAD_AMOUNTS)))
    return legs, mode, amount, bounds


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=orders())
async def test_any_pick_is_stored_exactly_or_refused(
    games: list[Game], order: tuple[list[tuple[OddsFormat, D]], StakeMode, D, Limits]
) -> None:
    legs, mode, amount, bounds = order
    specs = [
        LegSpec(g.id, g.league, g.matchup, Market.MONEYLINE, Side.HOME, g.home, None, fmt, value)
        for g, (fmt, value) in zip(games, legs, strict=False)
    ]
    interaction_id = next(interactions)
    try:
        request = picks.PickOrder(
            guild_id=GUILD,
            user_id=1,
            interaction_id=interaction_id,
            kind=PickKind.STRAIGHT if len(specs) == 1 else PickKind.PARLAY,
            legs=specs,
            amount=amount,
        )
        pick, stored = await picks.place(
            request, stake_mode=mode, limits=bounds, now=datetime.now(UTC)
        )
    except ValidationError as refused:
        event(f"refused: {refused.field}")
        assert refused.field in ("odds", "units")
        assert not await Pick.filter(interaction_id=interaction_id).exists()
        return
    event("placed")
    odds = combined_odds(spec.odds for spec in specs)
    stake, to_win = bounds.terms(mode, amount.quantize(D("0.01")), odds)
    again = await Pick.get(id=pick.id)
    assert (again.stake, again.to_win) == (pick.stake, pick.to_win) == (stake, to_win)
    assert again.odds_decimal == round_half_up(odds, 4)
    rows = await Leg.filter(pick_id=pick.id).order_by("position")
    assert [(r.odds_format, r.odds_value) for r in rows] == [
        (spec.odds_format.value, spec.odds_value) for spec in specs
    ]
    assert len(stored) == len(rows)
