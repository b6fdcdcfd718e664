"""The ``betting.schedule`` service other plugins read (the weather plugin: see
tests/plugins/weather/test_weather_games_e2e.py for its use through the local Discord)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.database import Database
from plugins.betting.schedule import MAX_ID, Schedule, ScheduledGame
from tests.plugins.betting.betting_support import GameFactory


async def test_games_come_as_plain_values_with_their_venue(
    betting_db: Database, make_game: GameFactory
) -> None:
    shared = await make_game(
        "NFL", "Atlanta Falcons", "New Orleans Saints", venue="Mercedes-Benz Stadium"
    )
    own = await make_game("NFL", "Chiefs", "Bills", guild_id=7, city="Kansas City")
    await make_game("NFL", "Jets", "Bears", guild_id=8)  # another guild's
    await make_game("NHL", "Bruins", "Rangers", status="final")  # not scheduled
    await make_game("NBA", "Knicks", "Celtics", starts_in=timedelta(days=30))  # beyond the window
    now = datetime.now(UTC)
    schedule = Schedule()
    assert await schedule.leagues(7, now, now + timedelta(days=3)) == ["NFL"]
    games = await schedule.games(7, "NFL", now, now + timedelta(days=3), limit=25)
    assert [g.id for g in games] == [shared.id, own.id]
    first = games[0]
    assert isinstance(first, ScheduledGame) and first.starts_at.tzinfo is not None
    assert (first.home, first.away, first.venue, first.city) == (
        "Atlanta Falcons",
        "New Orleans Saints",
        "Mercedes-Benz Stadium",
        None,
    )
    outside = await schedule.games(None, "NFL", now, now + timedelta(days=3), limit=25)
    assert [g.id for g in outside] == [shared.id]  # outside a guild: the shared schedule
    assert await schedule.game(8, own.id) is None  # another guild's game
    assert (await schedule.game(7, own.id)) == games[1]


async def test_an_id_no_game_can_have_is_none(betting_db: Database, make_game: GameFactory) -> None:
    await make_game()
    schedule = Schedule()
    for game_id in (0, -1, MAX_ID + 1, 10**30):
        assert await schedule.game(None, game_id) is None
    assert await schedule.game(None, 1) is not None
