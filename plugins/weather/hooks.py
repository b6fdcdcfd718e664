"""The weather plugin's setup (commands, components, one service per plugin context) and its
health check."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from core.events import HealthResult
from core.hookspecs import hookimpl
from plugins.weather import schedule, views
from plugins.weather.client import WeatherAPIClient
from plugins.weather.commands import Weather, build_commands, on_component
from plugins.weather.service import HealthState, WeatherService
from plugins.weather.settings import ENV_KEY, WeatherSettings

if TYPE_CHECKING:
    from core.plugin import PluginContext


class WeatherHooks:
    """Built once per import of the plugin; :meth:`weather` creates the client and the service
    for a plugin context on first use and closes the client's session when the context is
    disposed."""

    def __init__(self) -> None:
        self._weather: Weather | None = None

    def weather(self, ctx: PluginContext) -> Weather:
        if self._weather is not None and self._weather.ctx is ctx:
            return self._weather
        settings = ctx.settings
        assert isinstance(settings, WeatherSettings)  # nosec B101 # the settings model
        health = HealthState()
        client = WeatherAPIClient(settings, on_result=health.record)
        service = WeatherService(
            client,
            ctx.cache("forecast"),
            ctx.cache("search"),
            search_ttl=settings.search_ttl,
            forecast_days=settings.forecast_days,
            health=health,
        )
        weather = Weather(ctx, service)
        self._weather = weather

        async def close() -> None:
            await client.close()
            if self._weather is weather:
                self._weather = None

        ctx.on_cleanup("weatherapi session", close)
        return weather

    async def setup(self, ctx: PluginContext) -> None:
        weather = self.weather(ctx)
        for command in build_commands(weather):
            ctx.add_command(command)
        ctx.add_component(views.PREFIX, partial(on_component, weather))
        if not weather.service.client.configured:
            ctx.log.warning(
                "no WeatherAPI key configured: /weather will ask members to tell an admin; "
                "set {} (or api_key under [plugins.weather])",
                ENV_KEY,
            )
        if ctx.service(schedule.SERVICE) is None:
            ctx.log.info("no game schedule (betting not loaded): /weather offers places only")

    @hookimpl
    def dbsbm_health_check(self) -> HealthResult | None:
        """``weather.api``: not configured without a key; unhealthy when the last WeatherAPI
        call failed."""
        return None if self._weather is None else self._weather.service.health_result()
