"""``/weather`` with no options: pick a league, then one of its upcoming games, and see the
forecast for the venue at kick-off.

The games come from the betting plugin's schedule (asked for at each step: a reload of betting
replaces it); while betting is not loaded the member is told to use ``location``. The dropdowns'
custom ids carry all the state (see :mod:`plugins.weather.views`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import disnake
from disnake.interactions.application_command import ApplicationCommandInteraction
from disnake.interactions.message import MessageInteraction
from disnake.interactions.modal import ModalInteraction

from core.recovery import UserError
from core.validation import ValidationError, escape_markdown
from plugins.weather import schedule, views
from plugins.weather.commands.shared import Weather, out_of_range
from plugins.weather.conditions import OutOfRange

NO_SCHEDULE = (
    "Game schedules are not available on this bot (the betting plugin is off). "
    "Use `/weather location:<place>` to see the weather anywhere."
)


def _window(weather: Weather) -> tuple[datetime, datetime]:
    return weather.service.now(), weather.service.reach()


def _schedule(weather: Weather) -> schedule.Schedule:
    """The betting plugin's schedule, or a refusal while betting is not loaded."""
    found: schedule.Schedule | None = weather.ctx.service(schedule.SERVICE)
    if found is None:
        raise UserError(NO_SCHEDULE)
    return found


async def _leagues(weather: Weather, games: schedule.Schedule, guild_id: int | None) -> list[str]:
    return await games.leagues(guild_id, *_window(weather))


async def start(weather: Weather, inter: ApplicationCommandInteraction) -> None:
    """The first step: the leagues with games within the forecast's reach."""
    leagues = await _leagues(weather, _schedule(weather), inter.guild_id)
    if not leagues:
        raise UserError(
            f"No games are scheduled in the next {weather.service.forecast_days} day(s), as far "
            "as the forecast reaches. Use `/weather location:<place>` for any place."
        )
    await inter.response.send_message(
        "Which league's game?",
        components=[views.league_select(leagues)],
        ephemeral=True,
    )


async def on_component(
    weather: Weather, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """``weather:league`` and ``weather:game`` selections."""
    if not isinstance(inter, MessageInteraction):
        raise UserError("This weather form is out of date; run `/weather` again.")
    games = _schedule(weather)
    value = (inter.values or [""])[0]
    if rest == views.Menu.LEAGUE:
        await _chose_league(weather, inter, games, value)
    elif rest == views.Menu.GAME:
        await _chose_game(weather, inter, games, value)
    else:
        raise UserError("This weather menu is out of date; run `/weather` again.")


async def _chose_league(
    weather: Weather, inter: MessageInteraction, games: schedule.Schedule, league: str
) -> None:
    upcoming = await games.games(
        inter.guild_id, league, *_window(weather), weather.settings.games_shown
    )
    if not upcoming:
        raise UserError(
            f"{escape_markdown(league)} has no upcoming games within the forecast's reach "
            "any more. Run `/weather` again."
        )
    leagues = await _leagues(weather, games, inter.guild_id)
    await _update(
        inter,
        content=f"Which {escape_markdown(league)} game?",
        embed=None,
        components=[
            disnake.ui.ActionRow(views.league_select(leagues)),
            disnake.ui.ActionRow(views.game_select(upcoming)),
        ],
    )


async def _chose_game(
    weather: Weather, inter: MessageInteraction, games: schedule.Schedule, value: str
) -> None:
    if not value.isdecimal():
        raise ValidationError("game", "choose a game from the list", value)
    game = await games.game(inter.guild_id, int(value))
    if game is None:
        raise UserError("That game is no longer on the schedule. Run `/weather` again.")
    kickoff = game.starts_at
    if kickoff > weather.service.reach():
        raise UserError(
            f"The forecast reaches {weather.service.forecast_days} day(s) ahead; "
            f"{escape_markdown(views.game_title(game))} starts "
            f"<t:{int(kickoff.timestamp())}:R>. "
            "Check again closer to the game."
        )
    try:
        conditions = await weather.service.at_instant(schedule.place(game), kickoff)
    except OutOfRange as exc:
        raise out_of_range(exc) from None
    await _update(inter, embed=views.game_embed(game, conditions))
    await weather.ctx.action(
        "weather.viewed",
        user_id=inter.author.id,
        guild_id=inter.guild_id,
        interaction_id=inter.id,
        target=f"game:{game.id}",
        data={"place": conditions.place, "kickoff": kickoff.isoformat()},
    )


async def _update(inter: MessageInteraction, **fields: Any) -> None:
    """Edit the message the select sits on (also after the pipeline deferred the update)."""
    if inter.response.is_done():
        await inter.edit_original_response(**fields)
    else:
        await inter.response.edit_message(**fields)
