"""The weather plugin's ``/weather`` command, a module for each part:

- :mod:`.weather`: the command itself, its two options and their autocompletes;
- :mod:`.place`: ``/weather location:<place> [when:<day hour>]``, the weather now, or the
  forecast for a day and hour on the place's clock;
- :mod:`.workflow`: ``/weather`` with no options, the league → game → forecast at kick-off
  dropdowns (needs the betting plugin's schedule; without it the member is told to use
  ``location``) and their component handler;
- :mod:`.autocomplete`: places from WeatherAPI's search, and the forms ``when`` accepts;
- :mod:`.shared`: :class:`~.shared.Weather`, the plugin context with its service, that every
  part is given (a reload makes a new one: no module-level state).

Errors of the weather service are :class:`~core.recovery.UserError`\\ s (shown ephemerally by
the pipeline); so are the refusals here.
"""

from __future__ import annotations

from disnake.ext.commands import InvokableSlashCommand

from plugins.weather.commands import weather as weather_command
from plugins.weather.commands.shared import Weather
from plugins.weather.commands.workflow import on_component

__all__ = ["Weather", "build_commands", "on_component"]


def build_commands(weather: Weather) -> list[InvokableSlashCommand]:
    """Every command of the plugin, for ``setup`` to add through its context."""
    return [weather_command.build(weather)]
