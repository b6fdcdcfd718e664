"""The ``/weather`` dropdown workflow end to end: league → upcoming game (the betting plugin's
schedule) → forecast at kick-off, through the local Discord and the fake WeatherAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from fake_weatherapi import FakeWeatherAPI

from core.app import App
from core.testing.driver import Actor, Callback, Message
from core.testing.server import LocalDiscord


@pytest_asyncio.fixture
async def betting_bot(bot_with: Any, fake_api: FakeWeatherAPI) -> AsyncIterator[App]:
    """The bot with the betting and weather plugins; the fake WeatherAPI also knows Manchester."""
    fake_api.places["manchester"] = "Manchester"
    async with bot_with(plugins=("betting", "weather")) as app:
        assert app.plugins.is_loaded("betting"), app.plugins.records["betting"].error
        yield app


def _soon(hours: int) -> datetime:
    return datetime.now(UTC).replace(minute=30, second=0, microsecond=0) + timedelta(hours=hours)


async def add_game(league: str, home: str, away: str, starts_at: datetime, **extra: Any) -> int:
    from plugins.betting.models import Game

    game = await Game.create(
        source="manual", league=league, home=home, away=away, starts_at=starts_at, **extra
    )
    return int(game.id)


async def choose(actor: Actor, message: Message, menu: str, value: str) -> Callback:
    """Choose ``value`` in the ``weather:<menu>`` select."""
    response = await actor.select(message, [value], custom_id=f"weather:{menu}")
    return await response.wait_reply(within=5)


def options(message: Message) -> list[tuple[str, str]]:
    selects = [c for c in message.components if c.options]
    return [(o.label, o.value) for o in selects[-1].options]


async def test_league_then_game_then_forecast_at_kickoff(
    betting_bot: App,
    local_discord: LocalDiscord,
    alice: Actor,
    bob: Actor,
    fake_api: FakeWeatherAPI,
) -> None:
    kickoff = _soon(4)
    game_id = await add_game("Premier League", "London", "Arsenal", kickoff)
    await add_game("Premier League", "Manchester", "Chelsea", _soon(6))
    await add_game("MLS", "Manchester", "Austin", _soon(8))
    await add_game("Serie A", "London", "Roma", _soon(24 * 6))  # beyond the forecast's reach
    await add_game("Ligue 1", "London", "Lyon", _soon(5), guild_id=local_discord.guild.id + 1)

    start = await (await alice.slash("weather")).wait_reply(within=5)
    assert start.ephemeral and start.message is not None
    assert options(start.message) == [("MLS", "MLS"), ("Premier League", "Premier League")]

    league = await choose(alice, start.message, "league", "Premier League")
    assert league.type == 7 and league.message is not None  # the same message, updated
    labels = [label for label, _ in options(league.message)]
    assert labels == ["Arsenal @ London", "Chelsea @ Manchester"]

    game = await choose(alice, league.message, "game", str(game_id))
    assert game.type == 7 and game.message is not None
    embed = game.message.embeds[0]
    assert embed.title == "Weather at kick-off: Arsenal @ London"
    assert f"<t:{int(kickoff.timestamp())}:F>" in (embed.description or "")
    names = [f.name for f in embed.fields]
    for name in (
        "Temperature",
        "Feels like",
        "Wind",
        "Gusts",
        "Chance of rain / snow",
        "Precipitation",
        "Humidity",
        "Condition",
    ):
        assert name in names
    assert embed.raw["thumbnail"]["url"].startswith("https://cdn.weatherapi.com/")
    assert fake_api.queries[-1]["q"] == "London"

    # Bob asks about the same game: the cached forecast answers, WeatherAPI is not asked again.
    again = await (await bob.slash("weather")).wait_reply(within=5)
    assert again.message is not None
    bobs_league = await choose(bob, again.message, "league", "Premier League")
    assert bobs_league.message is not None
    bobs_game = await choose(bob, bobs_league.message, "game", str(game_id))
    assert bobs_game.message is not None
    assert bobs_game.message.embeds[0].fields == embed.fields
    assert fake_api.counts["forecast.json"] == 1


async def test_a_game_removed_meanwhile_is_explained(betting_bot: App, alice: Actor) -> None:
    from plugins.betting.models import Game

    game_id = await add_game("NFL", "London", "Jets", _soon(3))
    start = await (await alice.slash("weather")).wait_reply(within=5)
    assert start.message is not None
    league = await choose(alice, start.message, "league", "NFL")
    assert league.message is not None
    await Game.filter(id=game_id).delete()
    gone = await choose(alice, league.message, "game", str(game_id))
    assert gone.ephemeral and "no longer on the schedule" in gone.data["content"]


async def test_no_upcoming_games(betting_bot: App, alice: Actor) -> None:
    reply = await (await alice.slash("weather")).wait_reply(within=5)
    assert reply.ephemeral and "No games are scheduled" in reply.data["content"]


async def test_a_venue_weatherapi_does_not_know(
    betting_bot: App, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    game_id = await add_game("NBA", "Gotham Knights", "Metropolis", _soon(2))
    start = await (await alice.slash("weather")).wait_reply(within=5)
    assert start.message is not None
    league = await choose(alice, start.message, "league", "NBA")
    assert league.message is not None
    reply = await choose(alice, league.message, "game", str(game_id))
    assert reply.ephemeral and "knows no place called “Gotham Knights”" in reply.data["content"]


async def test_the_place_is_the_venue_and_city_from_the_schedule(
    betting_bot: App, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    """betting's ``betting.schedule`` service gives the venue: WeatherAPI is asked about
    "venue, city" when both are known, the venue alone when the city is not."""
    fake_api.places["old trafford, manchester"] = "Manchester"
    fake_api.places["mercedes-benz stadium"] = "London"
    full = await add_game(
        "EPL", "Manchester United", "Leeds", _soon(3), venue="Old Trafford", city="Manchester"
    )
    venue_only = await add_game(
        "EPL", "Atlanta Falcons", "New Orleans Saints", _soon(4), venue="Mercedes-Benz Stadium"
    )
    start = await (await alice.slash("weather")).wait_reply(within=5)
    assert start.message is not None
    league = await choose(alice, start.message, "league", "EPL")
    assert league.message is not None
    selects = [c for c in league.message.components if c.options]
    descriptions = [o.description or "" for o in selects[-1].options]
    assert [d.split(" · ")[1] for d in descriptions] == [
        "Old Trafford, Manchester",
        "Mercedes-Benz Stadium",
    ]
    for game_id, asked in (
        (full, "Old Trafford, Manchester"),
        (venue_only, "Mercedes-Benz Stadium"),
    ):
        shown = await choose(alice, league.message, "game", str(game_id))
        assert shown.message is not None and shown.message.embeds, shown.data
        assert fake_api.queries[-1]["q"] == asked
