"""What members see: the forecast embed and the league and game dropdowns.

Component custom ids are ``weather:league`` (values: league names) and ``weather:game`` (values:
game ids); they carry all the state, so a dropdown keeps working across restarts and reloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import disnake
from disnake.ui.select.string import StringSelect

from core import discord_limits
from core.validation import escape_markdown
from plugins.weather.conditions import Conditions
from plugins.weather.schedule import Game, place

PREFIX = "weather"


class Menu(StrEnum):
    """The workflow's dropdowns (the part of their custom id after :data:`PREFIX`)."""

    LEAGUE = "league"
    GAME = "game"


LEAGUE_SELECT = f"{PREFIX}:{Menu.LEAGUE}"
GAME_SELECT = f"{PREFIX}:{Menu.GAME}"
COLOUR = disnake.Colour(0x3B82F6)
ATTRIBUTION = "Weather by WeatherAPI.com"


def _timestamp(moment: datetime | int, style: str = "f") -> str:
    epoch = moment if isinstance(moment, int) else int(moment.timestamp())
    return f"<t:{epoch}:{style}>"


def place_line(c: Conditions) -> str:
    return ", ".join(p for p in (c.place, c.region, c.country) if p)


def conditions_embed(c: Conditions, title: str, description: str = "") -> disnake.Embed:
    """The weather card: temperature, feels-like, wind and gusts, precipitation chances, humidity,
    condition with its icon."""
    when = "Forecast for" if c.forecast else "Observed at"
    lines = [description] if description else []
    lines.append(f"**{escape_markdown(place_line(c))}**")
    lines.append(f"{when} {c.local_time} local time ({_timestamp(c.epoch)})")
    embed = disnake.Embed(title=title, description="\n".join(lines), colour=COLOUR)
    if c.icon_url:
        embed.set_thumbnail(url=c.icon_url)
    embed.add_field("Condition", c.condition, inline=True)
    embed.add_field("Temperature", f"{c.temp_f:.0f}°F ({c.temp_c:.0f}°C)", inline=True)
    embed.add_field("Feels like", f"{c.feelslike_f:.0f}°F ({c.feelslike_c:.0f}°C)", inline=True)
    embed.add_field(
        "Wind",
        f"{c.wind_mph:.0f} mph ({c.wind_kph:.0f} km/h) from {c.wind_dir} ({c.wind_degree}°)",
        inline=True,
    )
    embed.add_field("Gusts", f"{c.gust_mph:.0f} mph ({c.gust_kph:.0f} km/h)", inline=True)
    embed.add_field("Humidity", f"{c.humidity}%", inline=True)
    if c.chance_of_rain is not None:
        embed.add_field(
            "Chance of rain / snow", f"{c.chance_of_rain}% / {c.chance_of_snow}%", inline=True
        )
    embed.add_field("Precipitation", f"{c.precip_in:.2f} in ({c.precip_mm:.1f} mm)", inline=True)
    embed.set_footer(text=ATTRIBUTION)
    return discord_limits.fit(embed)


def game_title(game: Game) -> str:
    return f"{game.away} @ {game.home}"


def league_select(leagues: list[str]) -> StringSelect[None]:
    options = [disnake.SelectOption(label=name, value=name) for name in leagues]
    return discord_limits.select(LEAGUE_SELECT, options, "Choose a league")


def game_select(games: Sequence[Game]) -> StringSelect[None]:
    options = [
        disnake.SelectOption(
            label=game_title(game),
            value=str(game.id),
            description=f"{game.starts_at:%a %d %b %H:%M} UTC · {place(game)}",
        )
        for game in games
    ]
    return discord_limits.select(GAME_SELECT, options, "Choose a game")


def game_embed(game: Game, c: Conditions) -> disnake.Embed:
    description = (
        f"{escape_markdown(game.league)} · kick-off {_timestamp(game.starts_at, 'F')} "
        f"({_timestamp(game.starts_at, 'R')})"
    )
    return conditions_embed(c, f"Weather at kick-off: {game_title(game)}", description)
