"""Fixtures of the weather plugin's tests: the fake WeatherAPI, a client and a cached service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from fake_weatherapi import GOOD_KEY, FakeWeatherAPI

from core.app import App
from core.cache import Cache
from core.settings import CacheSettings
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from plugins.weather.client import WeatherAPIClient
from plugins.weather.service import HealthState, WeatherService
from plugins.weather.settings import WeatherSettings


class Sleeps:
    """Records the backoff's sleeps instead of sleeping (the tests stay fast)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeWeatherAPI]:
    async with FakeWeatherAPI() as api:
        yield api


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_settings(fake_api: FakeWeatherAPI) -> Any:
    def make(**overrides: Any) -> WeatherSettings:
        values: dict[str, Any] = {
            "api_key": GOOD_KEY,
            "base_url": fake_api.base_url,
            "timeout": 2.0,
            "attempts": 3,
            "retry_base_delay": 0.01,
        }
        values.update(overrides)
        return WeatherSettings.model_validate(values)

    return make


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def health() -> HealthState:
    return HealthState()


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, make_settings: Any, sleeps: Sleeps, health: HealthState
) -> Any:
    def make(**overrides: Any) -> WeatherAPIClient:
        return WeatherAPIClient(
            make_settings(**overrides), session=session, on_result=health.record, sleep=sleeps
        )

    return make


@pytest_asyncio.fixture
async def cache() -> AsyncIterator[Cache]:
    cache = Cache(CacheSettings(ttl={"weather.forecast": 1800}))
    yield cache
    await cache.close()


@pytest.fixture
def make_service(make_client: Any, cache: Cache, health: HealthState) -> Any:
    def make(**overrides: Any) -> WeatherService:
        client = make_client(**overrides)
        return WeatherService(
            client,
            cache.namespace("weather.forecast"),
            cache.namespace("weather.search"),
            search_ttl=3600,
            forecast_days=3,
            health=health,
        )

    return make


@asynccontextmanager
async def running_bot(
    discord: LocalDiscord,
    data_dir: Path,
    api: FakeWeatherAPI,
    *,
    plugins: tuple[str, ...] = ("weather",),
    **weather: Any,
) -> AsyncIterator[App]:
    """The framework's bot with ``plugins`` on a fresh SQLite database, WeatherAPI pointed at the
    fake server (fast retries), roomy rate limits."""
    section = {
        "api_key": GOOD_KEY,
        "base_url": api.base_url,
        "timeout": 0.3,
        "attempts": 2,
        "retry_base_delay": 0.01,
        **weather,
    }
    settings = {
        "plugins": {"weather": section},
        "ratelimit": {"default": "1000/60s", "commands": {}},
        "web": {"enabled": False},
    }
    async with run_app(discord, data_dir, plugins=plugins, settings=settings) as app:
        record = app.plugins.records["weather"]
        assert record.error is None, record.error
        yield app


@pytest.fixture
def bot_with(local_discord: LocalDiscord, tmp_path: Path, fake_api: FakeWeatherAPI) -> Any:
    """``async with bot_with(plugins=(...), **weather_settings) as app``."""

    def make(**kwargs: Any) -> Any:
        return running_bot(local_discord, tmp_path, fake_api, **kwargs)

    return make


@pytest_asyncio.fixture
async def weather_bot(bot_with: Any) -> AsyncIterator[App]:
    """The bot with only the weather plugin (no betting: no game dropdown)."""
    async with bot_with() as app:
        yield app
