"""``/weather location:... [when]`` end to end: members act through the local Discord, the real
disnake client runs the framework's bot, WeatherAPI is the fake server on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from fake_weatherapi import GOOD_KEY, QUOTA_KEY, FakeWeatherAPI

from core.app import App
from core.testing.driver import Actor, Callback, Embed


def fields(embed: Embed) -> dict[str, str]:
    return {f.name: f.value for f in embed.fields}


async def ask(actor: Actor, **options: Any) -> Callback:
    return await (await actor.slash("weather", **options)).wait_reply(within=5)


async def test_current_weather_for_a_place(
    weather_bot: App, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    reply = await ask(alice, location="London")
    assert reply.type == 4 and not reply.ephemeral and reply.message is not None
    embed = reply.message.embeds[0]
    assert embed.title == "Weather in London"
    assert "London, City of London, Greater London, United Kingdom" in (embed.description or "")
    assert fields(embed) == {
        "Condition": "Overcast",
        "Temperature": "52°F (11°C)",
        "Feels like": "50°F (10°C)",
        "Wind": "4 mph (6 km/h) from S (170°)",
        "Gusts": "10 mph (17 km/h)",
        "Humidity": "100%",
        "Precipitation": "0.00 in (0.0 mm)",
    }
    assert embed.raw["thumbnail"]["url"] == "https://cdn.weatherapi.com/weather/64x64/night/122.png"
    assert fake_api.queries[-1]["endpoint"] == "current.json"


async def test_forecast_for_a_day_and_hour(weather_bot: App, bob: Actor) -> None:
    reply = await ask(bob, location="London", when="tomorrow 6pm")
    assert reply.message is not None
    embed = reply.message.embeds[0]
    assert embed.title == "Forecast for London, tomorrow 18:00"
    assert " 18:00 local time" in (embed.description or "")
    assert fields(embed)["Chance of rain / snow"] == "89% / 0%"  # the recording at 18:00


async def test_bad_when_is_refused_with_the_accepted_forms(weather_bot: App, bob: Actor) -> None:
    reply = await ask(bob, location="London", when="someday")
    assert reply.ephemeral
    assert "when: use now, today 18:00" in reply.data["content"]


async def test_location_autocomplete_from_the_search_endpoint(
    weather_bot: App, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    choices = await alice.autocomplete("weather", focused="location", location="Lond")
    assert [(c.name, c.value) for c in choices] == [
        ("London, City of London, Greater London, United Kingdom", "id:2801268")
    ]
    assert await alice.autocomplete("weather", focused="location", location="Lo") == []
    reply = await ask(alice, location=str(choices[0].value))
    assert reply.message is not None and reply.message.embeds[0].title == "Weather in London"
    assert fake_api.counts["search.json"] == 1


async def test_when_autocomplete_suggests_the_forms(weather_bot: App, alice: Actor) -> None:
    choices = await alice.autocomplete("weather", focused="when", location="London", when="tom")
    assert [c.value for c in choices] == ["tomorrow 13:00", "tomorrow 19:00"]


async def test_repeated_asks_within_the_ttl_reach_weatherapi_once(
    weather_bot: App, alice: Actor, bob: Actor, fake_api: FakeWeatherAPI
) -> None:
    for actor in (alice, bob, alice, bob):
        reply = await ask(actor, location="london")
        assert reply.message is not None and reply.message.embeds
    assert fake_api.counts["current.json"] == 1


async def test_without_betting_no_game_dropdown(weather_bot: App, alice: Actor) -> None:
    reply = await ask(alice)
    assert reply.ephemeral and reply.message is not None
    assert "betting plugin is off" in reply.data["content"]
    assert "/weather location:" in reply.data["content"]
    assert reply.message.components == ()


# --- errors: each one an ephemeral message a member understands ---------------------------------


async def test_unknown_location(weather_bot: App, alice: Actor) -> None:
    reply = await ask(alice, location="Atlantis")
    assert reply.ephemeral
    assert "knows no place called “Atlantis”" in reply.data["content"]
    assert "Check the spelling" in reply.data["content"]


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [(401, 2006, "the API key is invalid"), (403, 2007, "over its monthly quota")],
)
async def test_key_invalid_or_over_quota(
    weather_bot: App, alice: Actor, fake_api: FakeWeatherAPI, status: int, code: int, reason: str
) -> None:
    fake_api.fail_next(status, code=code)
    reply = await ask(alice, location="London")
    assert reply.ephemeral
    assert reason in reply.data["content"] and "bot admin" in reply.data["content"]


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_rate_limited_or_down_retries_then_says_try_again(
    weather_bot: App, alice: Actor, fake_api: FakeWeatherAPI, status: int
) -> None:
    fake_api.fail_next(status, times=2)
    reply = await ask(alice, location="London")
    assert reply.ephemeral
    assert reply.data["content"] == (
        "The weather service is busy or down right now. Please try again in a minute."
    )
    assert fake_api.counts["current.json"] == 2  # tried, backed off, tried again


async def test_a_blip_is_retried_invisibly(
    weather_bot: App, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    fake_api.fail_next(503, times=1)
    reply = await ask(alice, location="London")
    assert not reply.ephemeral and reply.message is not None and reply.message.embeds


async def test_timeout(weather_bot: App, alice: Actor, fake_api: FakeWeatherAPI) -> None:
    fake_api.delay_next(1.0, times=2)
    reply = await ask(alice, location="London")
    assert reply.ephemeral
    assert "did not answer in time" in reply.data["content"]
    assert "try again in a minute" in reply.data["content"]


async def test_no_key_configured_tells_the_admin_what_to_set(
    bot_with: Any, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    async with bot_with(api_key=None):
        reply = await ask(alice, location="London")
    assert reply.ephemeral
    assert "DBSBM_PLUGINS__WEATHER__API_KEY" in reply.data["content"]
    assert sum(fake_api.counts.values()) == 0


async def test_health_check_reports_key_and_last_call(
    bot_with: Any, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    from core.health import plugin_checks

    async with bot_with(api_key=QUOTA_KEY) as app:
        await ask(alice, location="London")
        results = {r.component: r for r in await plugin_checks(app)}
    assert results["weather.api"].healthy is False
    assert "KeyRejected" in results["weather.api"].detail
    assert GOOD_KEY not in str(results) and QUOTA_KEY not in str(results)


async def test_without_a_key_health_reads_not_configured_and_stays_healthy(
    bot_with: Any,
) -> None:
    """An optional API nobody configured must not make ``/health/detailed`` answer 503."""
    from core.health import detailed

    async with bot_with(api_key=None) as app:
        report = await detailed(app)
    body = report.to_json()
    assert report.healthy and body["failing"] == [], body
    api = body["components"]["weather.api"]
    assert api["status"] == "not_configured"
    assert "DBSBM_PLUGINS__WEATHER__API_KEY" in api["detail"]


async def test_reload_keeps_weather_working_and_closes_the_old_session(
    weather_bot: App, alice: Actor, fake_api: FakeWeatherAPI
) -> None:
    import plugins.weather

    old_hooks = plugins.weather.hooks
    await ask(alice, location="London")
    ctx = weather_bot.plugins.records["weather"].ctx
    assert ctx is not None
    old_client = old_hooks.weather(ctx).service.client
    assert old_client._own_session is not None and not old_client._own_session.closed
    session = old_client._own_session

    [result] = await weather_bot.reloader.reload(["weather"])
    assert result.ok, result.error
    assert session.closed  # the old version's connections are gone
    reply = await ask(alice, location="London")
    assert reply.message is not None and reply.message.embeds[0].title == "Weather in London"
    assert fake_api.counts["current.json"] == 2  # unloading cleared the plugin's cache
