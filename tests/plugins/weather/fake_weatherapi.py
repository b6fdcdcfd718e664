"""A fake WeatherAPI.com on loopback that answers in the service's real formats.

Forecasts are the real recording ``tests/fixtures/weatherapi/forecast_london.json`` (MIT, see the
LICENSE beside it) moved to the current dates, one copy of the recorded day per forecast day;
``current.json`` answers the recording's ``current`` block. Errors use WeatherAPI's real statuses
and body ``{"error": {"code": N, "message": "..."}}``. ``search.json`` answers in the documented
format (a JSON array of places); the recordings hold no search answer.

    async with FakeWeatherAPI() as api:
        settings = WeatherSettings(api_key="test-key", base_url=api.base_url)
        api.fail_next(503, times=2)          # the next two requests answer 503
        ...
        assert api.counts["forecast.json"] == 1
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

RECORDING = Path(__file__).parents[2] / "fixtures" / "weatherapi" / "forecast_london.json"
GOOD_KEY = "test-key-0123456789"
QUOTA_KEY = "over-quota-key"
DISABLED_KEY = "disabled-key"
LONDON_ID = 2801268
LONDON_SEARCH = {
    "id": LONDON_ID,
    "name": "London",
    "region": "City of London, Greater London",
    "country": "United Kingdom",
    "lat": 51.52,
    "lon": -0.11,
    "url": "london-city-of-london-greater-london-united-kingdom",
}
ERRORS = {
    1002: (401, "API key is invalid or not provided."),
    1003: (400, "Parameter q is missing."),
    1006: (400, "No matching location found."),
    2006: (401, "API key provided is invalid"),
    2007: (403, "API key has exceeded calls per month quota."),
    2008: (403, "API key has been disabled."),
    1005: (400, "API request url is invalid."),
    9999: (400, "Internal application error."),
}


def error_body(code: int) -> dict[str, Any]:
    return {"error": {"code": code, "message": ERRORS[code][1]}}


def _reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class _Fault:
    status: int
    code: int | None
    retry_after: str | None
    times: int


class FakeWeatherAPI:
    """The fake server. ``places`` maps accepted ``q`` values (case-insensitive) to a location
    name; every place answers with the London recording under that name."""

    def __init__(self) -> None:
        self.recording: dict[str, Any] = json.loads(RECORDING.read_text(encoding="utf-8"))
        self.places: dict[str, str] = {"london": "London", f"id:{LONDON_ID}": "London"}
        self.counts: Counter[str] = Counter()
        self.queries: list[dict[str, str]] = []
        self._faults: list[_Fault] = []
        self._delay = 0.0
        self._delay_times = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeWeatherAPI:
        app = web.Application()
        app.router.add_get("/v1/{endpoint}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.05, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    # --- scripting ------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        code: int | None = None,
        retry_after: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests answer ``status`` (with WeatherAPI error ``code``'s body,
        or an HTML error page like a proxy's when ``code`` is None)."""
        self._faults.append(_Fault(status, code, retry_after, times))

    def clear_faults(self) -> None:
        """Forget scripted failures that were not used up."""
        self._faults.clear()

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """The next ``times`` requests answer only after ``seconds``."""
        self._delay, self._delay_times = seconds, times

    # --- serving --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        endpoint = request.match_info["endpoint"]
        self.counts[endpoint] += 1
        self.queries.append({"endpoint": endpoint, **request.query})
        if self._delay_times:
            self._delay_times -= 1
            await asyncio.sleep(self._delay)
        if self._faults:
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.code is None:
                return web.Response(
                    status=fault.status, text="<html>bad gateway</html>", headers=headers
                )
            return _reply(error_body(fault.code), fault.status, headers)
        key = request.query.get("key")
        if not key:
            return _reply(error_body(1002), 401)
        if key == QUOTA_KEY:
            return _reply(error_body(2007), 403)
        if key == DISABLED_KEY:
            return _reply(error_body(2008), 403)
        if key != GOOD_KEY:
            return _reply(error_body(2006), 401)
        q = request.query.get("q", "").strip()
        if not q:
            return _reply(error_body(1003), 400)
        if endpoint == "search.json":
            return _reply([LONDON_SEARCH] if "lon" in q.lower() else [])
        name = self.places.get(q.lower())
        if name is None:
            return _reply(error_body(1006), 400)
        if endpoint == "current.json":
            return _reply(self._current(name))
        if endpoint == "forecast.json":
            return _reply(self._forecast(name, int(request.query.get("days", "1"))))
        return _reply(error_body(1005), 400)

    def _location(self, name: str, now: datetime) -> dict[str, Any]:
        location = copy.deepcopy(self.recording["location"])
        local = now.astimezone(ZoneInfo(location["tz_id"]))
        location["name"] = name
        location["localtime_epoch"] = int(now.timestamp())
        location["localtime"] = f"{local:%Y-%m-%d} {local.hour}:{local:%M}"  # not zero-padded
        return location

    def _current(self, name: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        current = copy.deepcopy(self.recording["current"])
        updated = (now - timedelta(minutes=now.minute % 15)).replace(second=0, microsecond=0)
        tz = ZoneInfo(self.recording["location"]["tz_id"])
        current["last_updated_epoch"] = int(updated.timestamp())
        current["last_updated"] = f"{updated.astimezone(tz):%Y-%m-%d %H:%M}"
        return {"location": self._location(name, now), "current": current}

    def _forecast(self, name: str, days: int) -> dict[str, Any]:
        now = datetime.now(UTC)
        body = self._current(name)
        tz = ZoneInfo(body["location"]["tz_id"])
        today = now.astimezone(tz).date()
        recorded = self.recording["forecast"]["forecastday"][0]
        body["forecast"] = {
            "forecastday": [
                _moved_day(recorded, today + timedelta(days=k), tz) for k in range(min(days, 14))
            ]
        }
        return body


def _moved_day(recorded: dict[str, Any], day: date, tz: ZoneInfo) -> dict[str, Any]:
    """The recorded day with its dates and epochs moved to ``day`` (hours on the place's clock)."""
    moved = copy.deepcopy(recorded)
    moved["date"] = day.isoformat()
    moved["date_epoch"] = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    for hour_number, hour in enumerate(moved["hour"]):
        local = datetime(day.year, day.month, day.day, hour_number, tzinfo=tz)
        hour["time"] = f"{local:%Y-%m-%d %H:%M}"
        hour["time_epoch"] = int(local.timestamp())
    return moved
