"""Weather: /weather with a dropdown workflow over WeatherAPI.com (see docs/plugins/weather.md)."""

from core.plugin import Plugin
from plugins.weather.hooks import WeatherHooks

hooks = WeatherHooks()

plugin = Plugin(
    name="weather",
    version="0.1.0",
    description="Weather at a game's venue or any place, from WeatherAPI.com.",
    optional_depends_on=("betting",),
    hooks=hooks,
    setup=hooks.setup,
)
