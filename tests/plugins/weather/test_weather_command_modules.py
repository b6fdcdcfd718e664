"""Each part of ``/weather`` lives in the module named for it and works from that module alone:
the command built by :mod:`plugins.weather.commands.weather` is the one the plugin registers, and
the place lookup, the workflow and the autocompletes run given only a :class:`Weather`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fake_weatherapi import FakeWeatherAPI

from core.app import App
from core.recovery import UserError
from plugins.weather.commands import Weather, autocomplete, place, workflow
from plugins.weather.commands import weather as weather_module
from plugins.weather.commands.shared import WHEN_MAX
from plugins.weather.settings import WeatherSettings
from plugins.weather.when import WEEKDAYS


@dataclass
class StubContext:
    """What the command modules use of a plugin context: settings, services, actions, a log."""

    settings: WeatherSettings = field(default_factory=WeatherSettings)
    services: dict[str, object] = field(default_factory=dict)
    actions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    log: Any = field(default_factory=lambda: SimpleNamespace(info=lambda *_: None))

    def service(self, name: str) -> object | None:
        return self.services.get(name)

    async def action(self, kind: str, **fields: Any) -> None:
        self.actions.append((kind, fields))


class StubInteraction:
    """A slash command's interaction that records what was sent."""

    def __init__(self) -> None:
        self.author = SimpleNamespace(id=11)
        self.guild_id = 22
        self.id = 33
        self.sent: list[dict[str, Any]] = []

    async def send(self, **fields: Any) -> None:
        self.sent.append(fields)


@pytest.fixture
def weather(make_service: Any) -> Weather:
    return Weather(StubContext(), make_service())


async def test_the_command_is_built_by_the_module_named_for_it(weather_bot: App) -> None:
    ctx = weather_bot.plugins.records["weather"].ctx
    assert ctx is not None
    import plugins.weather

    alone = weather_module.build(plugins.weather.hooks.weather(ctx))
    assert alone.name == weather_module.__name__.rsplit(".", 1)[-1]
    registered = weather_bot.bot.get_slash_command(alone.name)
    assert registered is not None and registered is not alone
    assert alone.body.to_dict() == registered.body.to_dict()


async def test_place_alone_shows_the_weather_and_reports_it(
    weather: Weather, fake_api: FakeWeatherAPI
) -> None:
    inter = StubInteraction()
    await place.show_place(weather, inter, "London", None)
    [sent] = inter.sent
    assert sent["embed"].title == "Weather in London"
    [(kind, fields)] = weather.ctx.actions
    assert kind == "weather.viewed"
    assert fields["target"] == "London" and fields["guild_id"] == 22
    assert fields["data"] == {"when": "now", "forecast": False}
    assert fake_api.counts["current.json"] == 1


async def test_workflow_alone_refuses_without_the_betting_schedule(weather: Weather) -> None:
    with pytest.raises(UserError) as refused:
        await workflow.start(weather, StubInteraction())
    assert str(refused.value) == workflow.NO_SCHEDULE


def test_when_autocomplete_alone(weather: Weather) -> None:
    in_two_days = WEEKDAYS[(weather.service.now().date() + timedelta(days=2)).weekday()]
    assert autocomplete.complete_when(weather, "") == [
        *autocomplete.WHEN_SUGGESTIONS,
        f"{in_two_days} 15:00",
    ]
    assert autocomplete.complete_when(weather, "TOM") == ["tomorrow 13:00", "tomorrow 19:00"]
    typed = "x" * (WHEN_MAX + 5)
    assert autocomplete.complete_when(weather, typed) == ["x" * WHEN_MAX]


async def test_location_autocomplete_alone(weather: Weather, fake_api: FakeWeatherAPI) -> None:
    fake_api.fail_next(503, times=5)
    assert await autocomplete.complete_location(weather, StubInteraction(), "Lond") == []
    choices = await autocomplete.complete_location(weather, StubInteraction(), "Lond")
    assert [(c.name, c.value) for c in choices] == [
        ("London, City of London, Greater London, United Kingdom", "id:2801268")
    ]
