"""``/weather [location] [when]``: with a place, :mod:`.place`; with neither option, the game
dropdowns of :mod:`.workflow`. Both options are autocompleted (:mod:`.autocomplete`)."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions.application_command import ApplicationCommandInteraction

from core.responder import PUBLIC
from core.validation import ValidationError
from plugins.weather.commands import autocomplete, place, workflow
from plugins.weather.commands.shared import LOCATION_MAX, WHEN_MAX, Weather


def build(weather: Weather) -> commands.InvokableSlashCommand:
    """The ``/weather`` slash command, closing over ``weather``."""

    @commands.slash_command(
        name="weather",
        description="Weather at an upcoming game's venue, or anywhere",
        extras=PUBLIC,
    )
    async def weather_command(
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
            await workflow.start(weather, inter)
        else:
            await place.show_place(weather, inter, location, when)

    @weather_command.autocomplete("location")
    async def complete_location(
        inter: ApplicationCommandInteraction, text: str
    ) -> list[disnake.OptionChoice]:
        return await autocomplete.complete_location(weather, inter, text)

    @weather_command.autocomplete("when")
    async def complete_when(inter: ApplicationCommandInteraction, text: str) -> list[str]:
        return autocomplete.complete_when(weather, text)

    return weather_command
