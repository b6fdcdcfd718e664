"""What the parts of ``/weather`` share: the plugin context with its service, the options'
lengths, the refusal of a time beyond the forecast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.recovery import UserError
from plugins.weather.conditions import OutOfRange

if TYPE_CHECKING:
    from core.plugin import PluginContext
    from plugins.weather.service import WeatherService
    from plugins.weather.settings import WeatherSettings

LOCATION_MAX = 100
WHEN_MAX = 40


@dataclass(frozen=True, slots=True)
class Weather:
    """One plugin context and the weather service made for it (a reload makes new ones)."""

    ctx: PluginContext
    service: WeatherService

    @property
    def settings(self) -> WeatherSettings:
        return self.ctx.settings  # type: ignore[return-value]


def out_of_range(error: OutOfRange) -> UserError:
    return UserError(
        f"WeatherAPI.com has no forecast for that time yet: {error}. Try a sooner time."
    )
