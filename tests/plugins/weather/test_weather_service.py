"""The cached weather service over the real core cache and the fake WeatherAPI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_weatherapi import FakeWeatherAPI

from core.cache import Cache
from plugins.weather.client import UnknownLocation
from plugins.weather.conditions import OutOfRange
from plugins.weather.when import When


def _next_hour(hours: int) -> datetime:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(hours=hours, minutes=20)


async def test_repeated_requests_within_the_ttl_reach_the_server_once(
    make_service: Any, fake_api: FakeWeatherAPI
) -> None:
    service = make_service()
    kickoff = _next_hour(5)
    first = await service.at_instant("London", kickoff)
    for place in ("London", "london", "  LONDON "):
        assert await service.at_instant(place, kickoff) == first
    assert fake_api.counts["forecast.json"] == 1
    await service.current("London")
    await service.current("london")
    assert fake_api.counts["current.json"] == 1


async def test_twenty_members_asking_at_once_cost_one_request(
    make_service: Any, fake_api: FakeWeatherAPI
) -> None:
    fake_api.delay_next(0.05)  # the first answer is slow, so the others arrive meanwhile
    service = make_service()
    kickoff = _next_hour(3)
    results = await asyncio.gather(*(service.at_instant("London", kickoff) for _ in range(20)))
    assert len(set(results)) == 1
    assert fake_api.counts["forecast.json"] == 1


async def test_another_hour_or_place_is_another_request(
    make_service: Any, fake_api: FakeWeatherAPI
) -> None:
    fake_api.places["paris"] = "Paris"
    service = make_service()
    await service.at_instant("London", _next_hour(2))
    await service.at_instant("London", _next_hour(3))
    await service.at_instant("Paris", _next_hour(3))
    assert fake_api.counts["forecast.json"] == 3


async def test_expired_entries_are_fetched_again(
    make_client: Any, fake_api: FakeWeatherAPI, health: Any
) -> None:
    from core.settings import CacheSettings
    from plugins.weather.service import WeatherService

    now = [0.0]
    cache = Cache(CacheSettings(ttl={"weather.forecast": 60}), clock=lambda: now[0])
    try:
        service = WeatherService(
            make_client(),
            cache.namespace("weather.forecast"),
            cache.namespace("weather.search"),
            search_ttl=60,
            forecast_days=3,
            health=health,
        )
        await service.current("London")
        now[0] = 59.0
        await service.current("London")
        assert fake_api.counts["current.json"] == 1
        now[0] = 61.0
        await service.current("London")
        assert fake_api.counts["current.json"] == 2
    finally:
        await cache.close()


async def test_the_kickoff_hour_is_chosen(make_service: Any) -> None:
    kickoff = _next_hour(4)
    c = await make_service().at_instant("London", kickoff)
    assert c.epoch <= kickoff.timestamp() < c.epoch + 3600
    assert c.forecast and c.chance_of_rain is not None


async def test_beyond_the_forecast_days(make_service: Any) -> None:
    with pytest.raises(OutOfRange):
        await make_service().at_instant("London", datetime.now(UTC) + timedelta(days=5))


async def test_local_day_and_hour(make_service: Any, fake_api: FakeWeatherAPI) -> None:
    service = make_service()
    tomorrow = await service.on_local_day("London", When(1, 18))
    assert tomorrow.local_time.endswith(" 18:00")
    assert fake_api.queries[-1]["days"] == "2"
    await service.on_local_day("London", When(1, 18))
    assert fake_api.counts["forecast.json"] == 1


async def test_errors_are_not_cached(make_service: Any, fake_api: FakeWeatherAPI) -> None:
    service = make_service()
    for _ in range(2):
        with pytest.raises(UnknownLocation):
            await service.current("Atlantis")
    assert fake_api.counts["current.json"] == 2


async def test_search_is_cached_and_gives_ids(make_service: Any, fake_api: FakeWeatherAPI) -> None:
    service = make_service()
    assert await service.search("lo") == []  # too short: no request
    found = await service.search("Lond")
    assert found == [("London, City of London, Greater London, United Kingdom", "id:2801268")]
    await service.search("lond")
    assert fake_api.counts["search.json"] == 1
    c = await service.current(found[0][1])
    assert c.place == "London"


async def test_health_follows_the_last_call(make_service: Any, fake_api: FakeWeatherAPI) -> None:
    service = make_service()
    assert service.health_result().healthy  # no call yet
    fake_api.fail_next(503, times=3)
    with pytest.raises(Exception, match="try again in a minute"):
        await service.current("London")
    result = service.health_result()
    assert (result.component, result.healthy) == ("api", False)
    assert "HTTP 503" in result.detail
    await service.current("London")
    assert service.health_result().healthy
    unconfigured = make_service(api_key=None).health_result()
    assert not unconfigured.configured and "DBSBM_PLUGINS__WEATHER__API_KEY" in unconfigured.detail
