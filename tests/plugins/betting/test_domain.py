"""Placing, grading, cancelling and auto-grading picks against a real SQLite database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from itertools import count

import pytest

from core.recovery import UserError
from core.validation import ValidationError
from plugins.betting import grading, picks
from plugins.betting.games import GameStatus, GameUpdate, upsert
from plugins.betting.legs import LegSpec
from plugins.betting.limits import Limits
from plugins.betting.markets import Market, Side
from plugins.betting.maths import OddsFormat, Result, StakeMode
from plugins.betting.models import Game, GradeChange, Leg, Pick
from plugins.betting.statuses import PickKind

GUILD = 111
GameFactory = Callable[..., Awaitable[Game]]
ids = count(1000)
WIDE = Limits(D("0.01"), D(1_000_000), D(1_000_000), D(1_000_000_000))
"""The widest limits /setup allows: these tests are about placing and grading, not limits."""


def leg(
    game: Game,
    market: Market = Market.MONEYLINE,
    side: Side | None = Side.HOME,
    odds: int = -110,
    line: str | None = None,
    selection: str | None = None,
) -> LegSpec:
    return LegSpec(
        game.id,
        game.league,
        game.matchup,
        market,
        side,
        selection or (game.home if side is Side.HOME else game.away),
        None if line is None else D(line),
        OddsFormat.AMERICAN,
        D(odds),
    )


async def place(
    legs: list[LegSpec],
    amount: str = "1.00",
    *,
    user: int = 1,
    kind: str | None = None,
    mode: StakeMode = StakeMode.RISK,
    interaction_id: int | None = None,
) -> Pick:
    order = picks.PickOrder(
        guild_id=GUILD,
        user_id=user,
        interaction_id=interaction_id or next(ids),
        kind=PickKind(kind or ("straight" if len(legs) == 1 else "parlay")),
        legs=legs,
        amount=D(amount),
    )
    pick, _ = await picks.place(order, stake_mode=mode, limits=WIDE, now=datetime.now(UTC))
    return pick


async def test_place_straight_stores_stake_and_payout(make_game: GameFactory) -> None:
    game = await make_game()
    pick = await place([leg(game, odds=-110)], "2.20")
    stored = await Pick.get(id=pick.id)
    assert (stored.stake, stored.to_win, stored.status) == (D("2.20"), D("2.00"), "pending")
    assert await Leg.filter(pick_id=pick.id).count() == 1


async def test_to_win_mode(make_game: GameFactory) -> None:
    game = await make_game()
    pick = await place([leg(game, odds=+150)], "3.00", mode=StakeMode.WIN)
    assert (pick.stake, pick.to_win) == (D("2.00"), D("3.00"))


async def test_same_interaction_writes_once(make_game: GameFactory) -> None:
    game = await make_game()
    first = await place([leg(game)], interaction_id=42)
    with pytest.raises(
        picks.AlreadyPlaced
    ) as again:  # e.g. a retry after a commit whose answer was lost
        await place([leg(game)], interaction_id=42)
    assert again.value.pick.id == first.id and [x.position for x in again.value.legs] == [1]
    assert await Pick.all().count() == 1
    assert await Leg.all().count() == 1


async def test_started_game_is_refused_and_nothing_written(make_game: GameFactory) -> None:
    game = await make_game(starts_in=timedelta(minutes=-1))
    with pytest.raises(UserError, match="already started"):
        await place([leg(game)])
    assert await Pick.all().count() == 0


async def test_unknown_game_and_other_guilds_games_are_refused(make_game: GameFactory) -> None:
    other = await make_game(guild_id=999)
    with pytest.raises(ValidationError, match="unknown game"):
        await place([leg(other)])
    assert await Pick.all().count() == 0


async def test_parlay_leg_counts(make_game: GameFactory) -> None:
    games = [await make_game(home=f"Home {i}", away=f"Away {i}") for i in range(13)]
    with pytest.raises(ValidationError, match="2 to 12 legs"):
        await place([leg(g) for g in games], kind="parlay")
    with pytest.raises(ValidationError, match="2 to 12 legs"):
        await place([leg(games[0])], kind="parlay")
    with pytest.raises(ValidationError, match="one leg per game"):
        await place([leg(games[0]), leg(games[0], side=Side.AWAY)], kind="parlay")
    assert await Pick.all().count() == 0
    pick = await place([leg(g) for g in games[:12]])
    assert await Leg.filter(pick_id=pick.id).count() == 12


async def test_manual_game_is_created_with_the_pick(make_game: GameFactory) -> None:
    manual = Game(guild_id=GUILD, source="manual", league="KBO", home="Twins", away="Bears")
    spec = LegSpec(
        0,
        "KBO",
        manual.matchup,
        Market.MONEYLINE,
        Side.AWAY,
        "Bears",
        None,
        OddsFormat.AMERICAN,
        D(120),
    )
    order = picks.PickOrder(
        guild_id=GUILD,
        user_id=1,
        interaction_id=7,
        kind=PickKind.STRAIGHT,
        legs=[spec],
        amount=D(1),
        manual_game=manual,
    )
    pick, _ = await picks.place(
        order, stake_mode=StakeMode.RISK, limits=WIDE, now=datetime.now(UTC)
    )
    stored_leg = await Leg.get(pick_id=pick.id)
    assert stored_leg.game_id == manual.id and manual.id is not None


async def test_grade_and_correct_straight(make_game: GameFactory) -> None:
    game = await make_game()
    pick = await place([leg(game, odds=+150)], "2.00")
    outcome = await grading.grade(pick.id, GUILD, Result.WON, by=5)
    assert (outcome.new_status, outcome.corrected) == ("won", False)
    assert (await Pick.get(id=pick.id)).result_units == D("3.00")
    corrected = await grading.grade(pick.id, GUILD, Result.LOST, by=6)
    assert corrected.corrected
    stored = await Pick.get(id=pick.id)
    assert (stored.status, stored.result_units, stored.graded_by) == ("lost", D("-2.00"), 6)
    changes = (
        await GradeChange.filter(pick_id=pick.id).order_by("id").values_list("old", "new", "by")
    )
    assert changes == [
        ("pending", "won", 5),
        ("pending", "won", 5),
        ("won", "lost", 6),
        ("won", "lost", 6),
    ]


async def test_parlay_grades_per_leg_with_push(make_game: GameFactory) -> None:
    a, b, c = [await make_game(home=f"H{i}", away=f"A{i}") for i in range(3)]
    pick = await place([leg(a, odds=-110), leg(b, odds=-110), leg(c, odds=+150)], "1.00")
    assert pick.to_win == D("8.11")
    with pytest.raises(UserError, match="one leg at a time"):
        await grading.grade(pick.id, GUILD, Result.WON, by=5)
    await grading.grade(pick.id, GUILD, Result.WON, by=5, leg=1)
    assert (await Pick.get(id=pick.id)).status == "pending"
    await grading.grade(pick.id, GUILD, Result.PUSH, by=5, leg=3)
    final = await grading.grade(pick.id, GUILD, Result.WON, by=5, leg=2)
    assert final.new_status == "won"
    assert final.pick.result_units == D("2.64")
    lost = await grading.grade(pick.id, GUILD, Result.LOST, by=5, leg=2)
    assert (lost.new_status, lost.pick.result_units) == ("lost", D("-1.00"))


async def test_cancel_keeps_the_pick(make_game: GameFactory) -> None:
    game = await make_game()
    pick = await place([leg(game)])
    await grading.cancel(pick.id, GUILD, by=1, reason="")
    stored = await Pick.get(id=pick.id)
    assert (stored.status, stored.result_units) == ("cancelled", D("0.00"))
    with pytest.raises(UserError, match="only pending"):
        await grading.cancel(pick.id, GUILD, by=1, reason="")
    with pytest.raises(UserError, match="cancelled"):
        await grading.grade(pick.id, GUILD, Result.WON, by=2)


async def test_auto_grade_from_final_score(make_game: GameFactory) -> None:
    game = await make_game(home="Chiefs", away="Bills")
    ml = await place([leg(game, side=Side.HOME, odds=-150)], "1.50")
    spread = await place([leg(game, Market.SPREAD, Side.AWAY, line="3.5")])
    total = await place([leg(game, Market.TOTAL, Side.OVER, line="44.5", selection="Over")])
    push = await place([leg(game, Market.SPREAD, Side.HOME, line="-3")])
    prop = await place(
        [leg(game, Market.PROP, None, line="250.5", selection="Mahomes passing yards over")]
    )
    game.status, game.home_score, game.away_score = "final", 24, 21
    await game.save()
    outcomes = await grading.auto_grade(game)
    assert len(outcomes) == 4
    status = {p.id: p.status for p in await Pick.all()}
    assert status == {
        ml.id: "won",
        spread.id: "won",
        total.id: "won",
        push.id: "push",
        prop.id: "pending",
    }
    assert (await Pick.get(id=ml.id)).result_units == D("1.00")
    auto = await GradeChange.filter(pick_id=ml.id, auto=True).count()
    assert auto == 2 and await GradeChange.filter(pick_id=ml.id, by=0).count() == 2


async def test_source_update_settles_once(make_game: GameFactory) -> None:
    start = datetime.now(UTC) + timedelta(hours=1)
    update = GameUpdate("api-sports", "9", "EPL", "Arsenal", "Chelsea", start, GameStatus.SCHEDULED)
    game, settled = await upsert(update)
    assert not settled
    final = GameUpdate(
        "api-sports", "9", "EPL", "Arsenal", "Chelsea", start, GameStatus.FINAL, 1, 1
    )
    again, settled = await upsert(final)
    assert settled and again.id == game.id
    _, settled = await upsert(final)
    assert not settled


async def test_cancelled_game_voids_props_too(make_game: GameFactory) -> None:
    game = await make_game()
    prop = await place([leg(game, Market.PROP, None, line="1.5", selection="Kelce TDs over")])
    game.status = "cancelled"
    await game.save()
    await grading.auto_grade(game)
    assert (await Pick.get(id=prop.id)).status == "void"
