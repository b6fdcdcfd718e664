"""``/weather location:<place> [when:<day hour>]``: the weather now, or the forecast for a day
and hour on the place's clock."""

from __future__ import annotations

from disnake.interactions.application_command import ApplicationCommandInteraction

from core.validation import free_text
from plugins.weather import views
from plugins.weather.commands.shared import LOCATION_MAX, Weather, out_of_range
from plugins.weather.conditions import OutOfRange
from plugins.weather.when import parse_when


async def show_place(
    weather: Weather, inter: ApplicationCommandInteraction, location: str, when: str | None
) -> None:
    service = weather.service
    place = free_text(location, max_length=LOCATION_MAX, field="location")
    moment = parse_when(when, service.now().date(), service.forecast_days)
    try:
        if moment.is_now:
            conditions = await service.current(place)
        else:
            conditions = await service.on_local_day(place, moment)
    except OutOfRange as exc:
        raise out_of_range(exc) from None
    title = (
        f"Weather in {conditions.place}"
        if moment.is_now
        else (f"Forecast for {conditions.place}, {moment.label()}")
    )
    await inter.send(embed=views.conditions_embed(conditions, title))
    await weather.ctx.action(
        "weather.viewed",
        user_id=inter.author.id,
        guild_id=inter.guild_id,
        interaction_id=inter.id,
        target=conditions.place,
        data={"when": moment.label(), "forecast": conditions.forecast},
    )
