"""Weather: /weather with a dropdown workflow over WeatherAPI.com."""

from core.plugin import Plugin

plugin = Plugin(
    name="weather",
    version="0.1.0",
    description="Weather at a game's venue, from WeatherAPI.com.",
    optional_depends_on=("betting",),
)
