"""``/weather`` and its dropdown workflow (league → game → forecast at kick-off).

- ``/weather`` with no options: pick a league, then one of its upcoming games, and see the
  forecast for the venue at kick-off (needs the betting plugin's schedule; without it the member
  is told to use ``location``).
- ``/weather location:<place> [when:<day hour>]``: the weather now, or the forecast for a day and
  hour on the place's clock; ``location`` is autocompleted from WeatherAPI's search.

Errors of the weather service are :class:`~core.recovery.UserError`\\ s (shown ephemerally by
the pipeline); so are the refusals here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import disnake
from disnake.ext import commands
from disnake.interactions.application_command import ApplicationCommandInteraction
from disnake.interactions.message import MessageInteraction
from disnake.interactions.modal import ModalInteraction

from core import discord_limits
from core.recovery import UserError
from core.responder import PUBLIC
from core.validation import ValidationError, escape_markdown, free_text
from plugins.weather import schedule, views
from plugins.weather.client import WeatherAPIError
from plugins.weather.conditions import OutOfRange
from plugins.weather.when import WEEKDAYS, parse_when

if TYPE_CHECKING:
    from core.plugin import PluginContext
    from plugins.weather.service import WeatherService
    from plugins.weather.settings import WeatherSettings

LOCATION_MAX = 100
WHEN_MAX = 40
NO_SCHEDULE = (
    "Game schedules are not available on this bot (the betting plugin is off). "
    "Use `/weather location:<place>` to see the weather anywhere."
)
WHEN_SUGGESTIONS = ("now", "today 18:00", "tomorrow 13:00", "tomorrow 19:00")


def _out_of_range(error: OutOfRange) -> UserError:
    return UserError(
        f"WeatherAPI.com has no forecast for that time yet: {error}. Try a sooner time."
    )


class WeatherCommands:
    """The command and component handlers, closing over one plugin context (a reload makes a
    new one)."""

    def __init__(self, ctx: PluginContext, service: WeatherService) -> None:
        self.ctx = ctx
        self.service = service

    @property
    def settings(self) -> WeatherSettings:
        return self.ctx.settings  # type: ignore[return-value]

    # --- /weather location:... -----------------------------------------------------------

    async def show_place(
        self, inter: ApplicationCommandInteraction, location: str, when: str | None
    ) -> None:
        place = free_text(location, max_length=LOCATION_MAX, field="location")
        moment = parse_when(when, self.service.now().date(), self.service.forecast_days)
        try:
            if moment.is_now:
                conditions = await self.service.current(place)
            else:
                conditions = await self.service.on_local_day(place, moment)
        except OutOfRange as exc:
            raise _out_of_range(exc) from None
        title = (
            f"Weather in {conditions.place}"
            if moment.is_now
            else (f"Forecast for {conditions.place}, {moment.label()}")
        )
        await inter.send(embed=views.conditions_embed(conditions, title))
        await self.ctx.action(
            "weather.viewed",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            interaction_id=inter.id,
            target=conditions.place,
            data={"when": moment.label(), "forecast": conditions.forecast},
        )

    # --- /weather (the dropdown workflow) ------------------------------------------------

    def _window(self) -> tuple[datetime, datetime]:
        return self.service.now(), self.service.reach()

    def _schedule(self) -> schedule.Schedule:
        """The betting plugin's schedule (asked for each time: a reload of betting replaces
        it), or a refusal while betting is not loaded."""
        found: schedule.Schedule | None = self.ctx.service(schedule.SERVICE)
        if found is None:
            raise UserError(NO_SCHEDULE)
        return found

    async def _leagues(self, games: schedule.Schedule, guild_id: int | None) -> list[str]:
        return await games.leagues(guild_id, *self._window())

    async def start_workflow(self, inter: ApplicationCommandInteraction) -> None:
        leagues = await self._leagues(self._schedule(), inter.guild_id)
        if not leagues:
            raise UserError(
                f"No games are scheduled in the next {self.service.forecast_days} day(s), as far "
                "as the forecast reaches. Use `/weather location:<place>` for any place."
            )
        await inter.response.send_message(
            "Which league's game?",
            components=[views.league_select(leagues)],
            ephemeral=True,
        )

    async def on_component(self, inter: MessageInteraction | ModalInteraction, rest: str) -> None:
        """``weather:league`` and ``weather:game`` selections."""
        if not isinstance(inter, MessageInteraction):
            raise UserError("This weather form is out of date; run `/weather` again.")
        games = self._schedule()
        value = (inter.values or [""])[0]
        if rest == views.Menu.LEAGUE:
            await self._chose_league(inter, games, value)
        elif rest == views.Menu.GAME:
            await self._chose_game(inter, games, value)
        else:
            raise UserError("This weather menu is out of date; run `/weather` again.")

    async def _chose_league(
        self, inter: MessageInteraction, games: schedule.Schedule, league: str
    ) -> None:
        upcoming = await games.games(
            inter.guild_id, league, *self._window(), self.settings.games_shown
        )
        if not upcoming:
            raise UserError(
                f"{escape_markdown(league)} has no upcoming games within the forecast's reach "
                "any more. Run `/weather` again."
            )
        leagues = await self._leagues(games, inter.guild_id)
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
        self, inter: MessageInteraction, games: schedule.Schedule, value: str
    ) -> None:
        if not value.isdecimal():
            raise ValidationError("game", "choose a game from the list", value)
        game = await games.game(inter.guild_id, int(value))
        if game is None:
            raise UserError("That game is no longer on the schedule. Run `/weather` again.")
        kickoff = game.starts_at
        if kickoff > self.service.reach():
            raise UserError(
                f"The forecast reaches {self.service.forecast_days} day(s) ahead; "
                f"{escape_markdown(views.game_title(game))} starts "
                f"<t:{int(kickoff.timestamp())}:R>. "
                "Check again closer to the game."
            )
        try:
            conditions = await self.service.at_instant(schedule.place(game), kickoff)
        except OutOfRange as exc:
            raise _out_of_range(exc) from None
        await _update(inter, embed=views.game_embed(game, conditions))
        await self.ctx.action(
            "weather.viewed",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            interaction_id=inter.id,
            target=f"game:{game.id}",
            data={"place": conditions.place, "kickoff": kickoff.isoformat()},
        )

    # --- autocomplete ------------------------------------------------------------------------

    async def complete_location(
        self, inter: ApplicationCommandInteraction, text: str
    ) -> list[disnake.OptionChoice]:
        """Places from WeatherAPI's search (none while fewer than 3 letters are typed, or
        while the service fails: the command itself then explains the problem)."""
        try:
            found = await self.service.search(text)
        except WeatherAPIError as exc:
            self.ctx.log.info("location autocomplete without suggestions: {}", type(exc).__name__)
            return []
        return discord_limits.choices(disnake.OptionChoice(label, query) for label, query in found)

    def complete_when(self, text: str) -> list[str]:
        """Suggestions of the accepted forms, filtered by what was typed."""
        today = self.service.now().date()
        weekday = WEEKDAYS[(today + timedelta(days=2)).weekday()]
        options = [*WHEN_SUGGESTIONS, f"{weekday} 15:00"]
        typed = text.strip().lower()
        matches = [o for o in options if o.startswith(typed)]
        return matches or ([text.strip()[:WHEN_MAX]] if typed else options)


async def _update(inter: MessageInteraction, **fields: Any) -> None:
    """Edit the message the select sits on (also after the pipeline deferred the update)."""
    if inter.response.is_done():
        await inter.edit_original_response(**fields)
    else:
        await inter.response.edit_message(**fields)


def build_commands(handlers: WeatherCommands) -> list[Any]:
    """The ``/weather`` slash command, with autocomplete for both options."""

    @commands.slash_command(
        name="weather",
        description="Weather at an upcoming game's venue, or anywhere",
        extras=PUBLIC,
    )
    async def weather(
        inter: ApplicationCommandInteraction,
        location: str | None = commands.Param(
            None,
            description="A place (city, postcode, lat,lon); leave empty to pick a game",
            max_length=LOCATION_MAX,
        ),
        when: str | None = commands.Param(
            None,
            description="now (default), today 18:00, tomorrow 9pm, sat 15:00, 2025-05-01 18:00",
            max_length=WHEN_MAX,
        ),
    ) -> None:
        if location is None:
            if when is not None:
                raise ValidationError(
                    "location", "give a place with `when`, or leave both empty to pick a game"
                )
            await handlers.start_workflow(inter)
        else:
            await handlers.show_place(inter, location, when)

    @weather.autocomplete("location")
    async def complete_location(
        inter: ApplicationCommandInteraction, text: str
    ) -> list[disnake.OptionChoice]:
        return await handlers.complete_location(inter, text)

    @weather.autocomplete("when")
    async def complete_when(inter: ApplicationCommandInteraction, text: str) -> list[str]:
        return handlers.complete_when(text)

    return [weather]
