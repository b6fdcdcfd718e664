"""The autocompletes of ``/weather``'s ``location`` and ``when`` options."""

from __future__ import annotations

from datetime import timedelta

import disnake
from disnake.interactions.application_command import ApplicationCommandInteraction

from core import discord_limits
from plugins.weather.client import WeatherAPIError
from plugins.weather.commands.shared import WHEN_MAX, Weather
from plugins.weather.when import WEEKDAYS

WHEN_SUGGESTIONS = ("now", "today 18:00", "tomorrow 13:00", "tomorrow 19:00")


async def complete_location(
    weather: Weather, inter: ApplicationCommandInteraction, text: str
) -> list[disnake.OptionChoice]:
    """Places from WeatherAPI's search (none while fewer than 3 letters are typed, or while the
    service fails: the command itself then explains the problem)."""
    try:
        found = await weather.service.search(text)
    except WeatherAPIError as exc:
        weather.ctx.log.info("location autocomplete without suggestions: {}", type(exc).__name__)
        return []
    return discord_limits.choices(disnake.OptionChoice(label, query) for label, query in found)


def complete_when(weather: Weather, text: str) -> list[str]:
    """Suggestions of the accepted forms, filtered by what was typed."""
    today = weather.service.now().date()
    weekday = WEEKDAYS[(today + timedelta(days=2)).weekday()]
    options = [*WHEN_SUGGESTIONS, f"{weekday} 15:00"]
    typed = text.strip().lower()
    matches = [o for o in options if o.startswith(typed)]
    return matches or ([text.strip()[:WHEN_MAX]] if typed else options)
