"""Weather conditions at one place and hour, read from WeatherAPI.com's JSON.

:class:`Conditions` is what the plugin caches and shows: a flat, JSON-serialisable record built
from the ``current`` block of ``current.json`` or one ``hour`` block of ``forecast.json``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any


class OutOfRange(LookupError):
    """The forecast in hand does not cover the wanted time; the message says which it covers."""


@dataclass(frozen=True, slots=True)
class Conditions:
    """The weather at ``place`` for the hour ``local_time`` (the place's own clock).

    ``chance_of_rain``/``chance_of_snow`` are percentages and exist only in forecasts.
    """

    place: str
    region: str
    country: str
    tz_id: str
    forecast: bool
    epoch: int
    local_time: str
    condition: str
    icon_url: str
    temp_c: float
    temp_f: float
    feelslike_c: float
    feelslike_f: float
    wind_kph: float
    wind_mph: float
    wind_degree: int
    wind_dir: str
    gust_kph: float
    gust_mph: float
    precip_mm: float
    precip_in: float
    humidity: int
    chance_of_rain: int | None = None
    chance_of_snow: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conditions:
        return cls(**data)


def _icon_url(icon: str) -> str:
    """WeatherAPI gives protocol-relative icon URLs (``//cdn.weatherapi.com/...``)."""
    return f"https:{icon}" if icon.startswith("//") else icon


def _read(
    location: dict[str, Any], block: dict[str, Any], *, forecast: bool, epoch: int, local_time: str
) -> Conditions:
    return Conditions(
        place=location["name"],
        region=location.get("region", ""),
        country=location.get("country", ""),
        tz_id=location.get("tz_id", "UTC"),
        forecast=forecast,
        epoch=epoch,
        local_time=local_time,
        condition=block["condition"]["text"],
        icon_url=_icon_url(block["condition"].get("icon", "")),
        temp_c=block["temp_c"],
        temp_f=block["temp_f"],
        feelslike_c=block["feelslike_c"],
        feelslike_f=block["feelslike_f"],
        wind_kph=block["wind_kph"],
        wind_mph=block["wind_mph"],
        wind_degree=int(block["wind_degree"]),
        wind_dir=block["wind_dir"],
        gust_kph=block.get("gust_kph", 0.0),
        gust_mph=block.get("gust_mph", 0.0),
        precip_mm=block["precip_mm"],
        precip_in=block["precip_in"],
        humidity=int(block["humidity"]),
        chance_of_rain=int(block["chance_of_rain"]) if forecast else None,
        chance_of_snow=int(block["chance_of_snow"]) if forecast else None,
    )


def current_conditions(body: dict[str, Any]) -> Conditions:
    """The ``current`` block of a ``current.json`` (or ``forecast.json``) answer."""
    current = body["current"]
    return _read(
        body["location"],
        current,
        forecast=False,
        epoch=int(current["last_updated_epoch"]),
        local_time=current["last_updated"],
    )


def _hours(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [hour for day in body["forecast"]["forecastday"] for hour in day["hour"]]


def _not_covered(body: dict[str, Any]) -> OutOfRange:
    """The forecast's days do not hold the moment asked about: say which days they are."""
    days = [day["date"] for day in body["forecast"]["forecastday"]]
    covered = f"{days[0]} to {days[-1]}" if days else "no days"
    return OutOfRange(f"the forecast covers {covered} (local time)")


def _forecast_hour(body: dict[str, Any], hour: dict[str, Any]) -> Conditions:
    """One hour of the forecast at the place of ``body``."""
    return _read(
        body["location"], hour, forecast=True, epoch=hour["time_epoch"], local_time=hour["time"]
    )


def hour_at_epoch(body: dict[str, Any], epoch: int) -> Conditions:
    """The forecast hour that contains the instant ``epoch`` (seconds, UTC)."""
    for hour in _hours(body):
        if hour["time_epoch"] <= epoch < hour["time_epoch"] + 3600:
            return _forecast_hour(body, hour)
    raise _not_covered(body)


def hour_on_day(body: dict[str, Any], day: date | int, hour: int) -> Conditions:
    """The forecast for ``hour`` o'clock, local time, on ``day``: a date, or an index into the
    forecast's days (0 = the place's today)."""
    days = body["forecast"]["forecastday"]
    if isinstance(day, int):
        chosen = days[day] if 0 <= day < len(days) else None
    else:
        chosen = next((d for d in days if d["date"] == day.isoformat()), None)
    if chosen is None:
        raise _not_covered(body)
    for entry in chosen["hour"]:
        if int(entry["time"].rsplit(" ", 1)[1].split(":", 1)[0]) == hour:
            return _forecast_hour(body, entry)
    raise OutOfRange(f"the forecast for {chosen['date']} has no {hour:02d}:00")


def local_weekday_index(body: dict[str, Any], weekday: int) -> int:
    """Index of the first forecast day (from the place's today) falling on ``weekday`` (0=Mon)."""
    for index, day in enumerate(body["forecast"]["forecastday"]):
        if date.fromisoformat(day["date"]).weekday() == weekday:
            return index
    raise _not_covered(body)
