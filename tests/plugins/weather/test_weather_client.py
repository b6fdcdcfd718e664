"""The WeatherAPI client against the fake server: answers, every error case, retries, secrecy."""

from __future__ import annotations

from typing import Any

import pytest
from fake_weatherapi import DISABLED_KEY, GOOD_KEY, QUOTA_KEY, FakeWeatherAPI
from loguru import logger

from plugins.weather.client import (
    KeyRejected,
    MissingKey,
    ServiceTimeout,
    ServiceUnavailable,
    UnknownLocation,
)
from plugins.weather.service import HealthState


async def test_forecast_and_current_come_back_in_weatherapis_format(
    make_client: Any, fake_api: FakeWeatherAPI
) -> None:
    client = make_client()
    forecast = await client.forecast("London", days=2)
    current = await client.current("London")
    assert [d["hour"][0]["temp_c"] for d in forecast["forecast"]["forecastday"]] == [10.6, 10.6]
    assert current["current"]["condition"]["text"] == "Overcast"
    query = fake_api.queries[0]
    assert (query["endpoint"], query["q"], query["days"], query["key"]) == (
        "forecast.json",
        "London",
        "2",
        GOOD_KEY,
    )


async def test_search_returns_places(make_client: Any) -> None:
    places = await make_client().search("Lond")
    assert places[0]["name"] == "London" and places[0]["id"] == 2801268


async def test_no_key_configured_tells_the_admin_what_to_set(
    make_client: Any, fake_api: FakeWeatherAPI, health: HealthState
) -> None:
    with pytest.raises(MissingKey) as caught:
        await make_client(api_key=None).current("London")
    assert "DBSBM_PLUGINS__WEATHER__API_KEY" in str(caught.value)
    assert "api_key" in str(caught.value)
    assert sum(fake_api.counts.values()) == 0  # no request without a key
    assert health.ok is False


async def test_unknown_location_code_1006(make_client: Any, health: HealthState) -> None:
    with pytest.raises(UnknownLocation) as caught:
        await make_client().current("Atlantis @everyone")
    message = str(caught.value)
    assert "Atlantis @everyone" in message  # as typed: allowed mentions keep it from pinging
    assert "spelling" in message
    assert health.ok is True  # the service worked; the place is the member's problem


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("wrong-key", "invalid"),
        (QUOTA_KEY, "monthly quota"),
        (DISABLED_KEY, "disabled"),
    ],
)
async def test_key_invalid_or_over_quota_401_403(
    make_client: Any, fake_api: FakeWeatherAPI, health: HealthState, key: str, reason: str
) -> None:
    with pytest.raises(KeyRejected) as caught:
        await make_client(api_key=key).forecast("London", days=1)
    assert reason in str(caught.value) and "admin" in str(caught.value)
    assert caught.value.status in (401, 403)
    assert fake_api.counts["forecast.json"] == 1  # never retried
    assert health.ok is False


async def test_rate_limited_then_ok_is_retried_honouring_retry_after(
    make_client: Any, fake_api: FakeWeatherAPI, sleeps: Any
) -> None:
    fake_api.fail_next(429, code=None, retry_after="2")
    body = await make_client().current("London")
    assert body["location"]["name"] == "London"
    assert fake_api.counts["current.json"] == 2
    assert sleeps.delays == [2.0]


@pytest.mark.parametrize(("status", "code"), [(429, None), (503, None), (502, None), (400, 9999)])
async def test_down_or_rate_limited_gives_up_after_backoff(
    make_client: Any,
    fake_api: FakeWeatherAPI,
    sleeps: Any,
    health: HealthState,
    status: int,
    code: int | None,
) -> None:
    fake_api.fail_next(status, code=code, times=10)
    with pytest.raises(ServiceUnavailable) as caught:
        await make_client(attempts=3).current("London")
    assert "try again in a minute" in str(caught.value)
    assert fake_api.counts["current.json"] == 3
    assert len(sleeps.delays) == 2 and sleeps.delays[1] >= sleeps.delays[0] / 2
    assert health.ok is False


async def test_timeout_is_retried_then_reported(
    make_client: Any, fake_api: FakeWeatherAPI, health: HealthState
) -> None:
    fake_api.delay_next(1.0, times=2)
    with pytest.raises(ServiceTimeout) as caught:
        await make_client(timeout=0.1, attempts=2).current("London")
    assert "did not answer in time" in str(caught.value)
    assert fake_api.counts["current.json"] == 2
    assert health.detail == "current.json: timeout"


async def test_a_timeout_then_an_answer_succeeds(
    make_client: Any, fake_api: FakeWeatherAPI
) -> None:
    fake_api.delay_next(1.0, times=1)
    body = await make_client(timeout=0.2, attempts=2).current("London")
    assert body["current"]["temp_c"] == 11.0


async def test_unreachable_service_is_down(make_client: Any, fake_api: FakeWeatherAPI) -> None:
    base = fake_api.base_url
    await fake_api.__aexit__(None, None, None)  # nothing listens on the port any more
    with pytest.raises(ServiceUnavailable):
        await make_client(base_url=base, attempts=2).current("London")
    await fake_api.__aenter__()  # the fixture's teardown closes it again


async def test_the_key_never_reaches_the_log(make_client: Any, fake_api: FakeWeatherAPI) -> None:
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{message} {exception}")
    try:
        for status, code in ((503, None), (401, 2006), (400, 1006)):
            fake_api.fail_next(status, code=code, times=2)
            with pytest.raises(Exception) as caught:
                await make_client(attempts=2).current("London")
            assert GOOD_KEY not in repr(caught.value) and GOOD_KEY not in str(caught.value)
            fake_api.clear_faults()
        fake_api.delay_next(1.0, times=2)
        with pytest.raises(ServiceTimeout):
            await make_client(timeout=0.05, attempts=2).current("London")
    finally:
        logger.remove(sink)
    assert lines, "the client logs its retries and failures"
    assert not [line for line in lines if GOOD_KEY in line]
