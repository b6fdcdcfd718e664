"""Weather lookups with caching: one WeatherAPI request per place and hour, however many ask.

Answers are cached in the core cache (namespace ``weather.forecast``, TTL from ``[cache.ttl]``)
as :class:`~plugins.weather.conditions.Conditions`, keyed by the normalised place and the hour
asked about; the core cache computes a cold key once, so concurrent misses share one request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.cache import Namespace
from core.events import HealthResult
from plugins.weather.client import WeatherAPIClient
from plugins.weather.conditions import (
    Conditions,
    current_conditions,
    hour_at_epoch,
    hour_on_day,
    local_weekday_index,
)
from plugins.weather.settings import ENV_KEY
from plugins.weather.when import When, weekday_number

SEARCH_MIN_LENGTH = 3


def normalise_place(text: str) -> str:
    """The cache form of a place: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def _hour_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


class HealthState:
    """What the health check reports: the outcome of the last WeatherAPI call."""

    def __init__(self) -> None:
        self.ok: bool | None = None
        self.detail = "no call yet"
        self.at: float | None = None

    def record(self, ok: bool, detail: str) -> None:
        self.ok, self.detail, self.at = ok, detail, time.time()


@dataclass(eq=False)
class WeatherService:
    """Cached weather at a place: now, at an instant (a game's kick-off) or a local day and hour."""

    client: WeatherAPIClient
    forecasts: Namespace
    """Conditions by place and hour."""
    searches: Namespace
    """Location-autocomplete results, kept ``search_ttl`` seconds."""
    _: KW_ONLY
    search_ttl: int
    forecast_days: int
    health: HealthState
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.clock()

    async def current(self, place: str) -> Conditions:
        """The weather now (WeatherAPI updates it every 15 minutes; we cache per hour)."""
        key = f"current:{normalise_place(place)}:{_hour_key(self.now())}"

        async def fetch() -> dict[str, Any]:
            return current_conditions(await self.client.current(place)).to_json()

        return Conditions.from_json(await self.forecasts.get_or_set(key, fetch))

    async def at_instant(self, place: str, moment: datetime) -> Conditions:
        """The forecast hour containing ``moment`` (aware datetime), e.g. a game's kick-off.
        Raises :class:`~plugins.weather.conditions.OutOfRange` beyond the forecast's reach."""
        key = f"at:{normalise_place(place)}:{_hour_key(moment)}"
        today = self.now().date()
        days = max(1, min(self.forecast_days, (moment.astimezone(UTC).date() - today).days + 2))

        async def fetch() -> dict[str, Any]:
            body = await self.client.forecast(place, days)
            return hour_at_epoch(body, int(moment.timestamp())).to_json()

        return Conditions.from_json(await self.forecasts.get_or_set(key, fetch))

    async def on_local_day(self, place: str, when: When) -> Conditions:
        """The forecast for ``when`` (a day and an hour on the place's clock)."""
        today = self.now().date()
        key = f"day:{normalise_place(place)}:{today.isoformat()}:{when.key()}"
        days = when.days_needed(today, self.forecast_days)

        async def fetch() -> dict[str, Any]:
            body = await self.client.forecast(place, days)
            day: date | int
            if isinstance(when.day, str):
                day = local_weekday_index(body, weekday_number(when.day))
            else:
                assert when.day is not None  # nosec B101 # type narrowing
                day = when.day
            return hour_on_day(body, day, when.hour).to_json()

        return Conditions.from_json(await self.forecasts.get_or_set(key, fetch))

    def reach(self) -> datetime:
        """The last instant the forecast reaches (end of the last forecast day, UTC)."""
        today = datetime.combine(self.now().date(), datetime.min.time(), UTC)
        return today + timedelta(days=self.forecast_days)

    async def search(self, text: str) -> list[tuple[str, str]]:
        """Places matching ``text`` as ``(label, query)`` pairs; the query is ``id:<n>``."""
        text = " ".join(text.split())
        if len(text) < SEARCH_MIN_LENGTH or not self.client.configured:
            return []
        key = f"search:{normalise_place(text)}"

        async def fetch() -> list[list[str]]:
            places = await self.client.search(text)
            return [
                [
                    ", ".join(p for p in (r.get("name"), r.get("region"), r.get("country")) if p),
                    f"id:{r['id']}" if r.get("id") else str(r.get("url") or r.get("name")),
                ]
                for r in places
            ]

        found = await self.searches.get_or_set(key, fetch, ttl=self.search_ttl)
        return [(label, query) for label, query in found]

    def health_result(self) -> HealthResult:
        """``api``: not configured without a key; else healthy while the last call worked."""
        data = {"last_call_at": self.health.at}
        if not self.client.configured:
            detail = f"not configured: set {ENV_KEY} (or api_key under [plugins.weather])"
            return HealthResult("api", True, detail, data=data, configured=False)
        if self.health.ok is False:
            return HealthResult("api", False, f"last call failed: {self.health.detail}", data=data)
        return HealthResult("api", True, self.health.detail, data=data)
