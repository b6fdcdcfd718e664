"""Reading WeatherAPI's JSON (the real recording), the ``when`` option and the settings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as PydanticError

from core.validation import ValidationError
from plugins.weather.conditions import (
    Conditions,
    OutOfRange,
    current_conditions,
    hour_at_epoch,
    hour_on_day,
    local_weekday_index,
)
from plugins.weather.settings import WeatherSettings
from plugins.weather.when import When, parse_when

RECORDING = Path(__file__).parents[2] / "fixtures" / "weatherapi" / "forecast_london.json"
TODAY = date(2023, 4, 28)  # a Friday, the recording's day


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    return json.loads(RECORDING.read_text(encoding="utf-8"))


def test_current_block(body: dict[str, Any]) -> None:
    c = current_conditions(body)
    assert (c.place, c.country, c.forecast) == ("London", "United Kingdom", False)
    assert (c.temp_c, c.feelslike_f, c.wind_dir, c.gust_mph, c.humidity) == (
        11.0,
        49.7,
        "S",
        10.5,
        100,
    )
    assert c.icon_url == "https://cdn.weatherapi.com/weather/64x64/night/122.png"
    assert c.chance_of_rain is None
    assert Conditions.from_json(json.loads(json.dumps(c.to_json()))) == c


def test_hour_containing_an_instant(body: dict[str, Any]) -> None:
    hours = body["forecast"]["forecastday"][0]["hour"]
    kickoff = hours[15]["time_epoch"] + 30 * 60  # 15:30 local
    c = hour_at_epoch(body, kickoff)
    assert c.local_time == "2023-04-28 15:00"
    assert (c.temp_c, c.chance_of_rain, c.chance_of_snow) == (
        hours[15]["temp_c"],
        hours[15]["chance_of_rain"],
        hours[15]["chance_of_snow"],
    )
    assert c.forecast is True


def test_instant_beyond_the_forecast(body: dict[str, Any]) -> None:
    last = body["forecast"]["forecastday"][0]["hour"][-1]["time_epoch"]
    with pytest.raises(OutOfRange, match="2023-04-28 to 2023-04-28"):
        hour_at_epoch(body, last + 3600)


def test_hour_on_a_day(body: dict[str, Any]) -> None:
    assert hour_on_day(body, 0, 9).local_time == "2023-04-28 09:00"
    assert hour_on_day(body, TODAY, 21).local_time == "2023-04-28 21:00"
    with pytest.raises(OutOfRange):
        hour_on_day(body, 1, 9)
    assert local_weekday_index(body, 4) == 0  # Friday
    with pytest.raises(OutOfRange):
        local_weekday_index(body, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, When(None)),
        ("now", When(None)),
        ("  NOW ", When(None)),
        ("today 18:00", When(0, 18)),
        ("tomorrow 9pm", When(1, 21)),
        ("tomorrow", When(1, 12)),
        ("18", When(0, 18)),
        ("6:30 am", When(0, 6)),
        ("noon", When(0, 12)),
        ("sat 15:00", When("saturday", 15)),
        ("Sunday 12am", When("sunday", 0)),
        ("2023-04-29 07:00", When(date(2023, 4, 29), 7)),
    ],
)
def test_when_forms(text: str | None, expected: When) -> None:
    assert parse_when(text, TODAY, max_days=3) == expected


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("whenever", "use now, today 18:00"),
        ("today 25:00", "use now, today 18:00"),
        ("13pm", "use now, today 18:00"),
        ("2023-05-10 12:00", "reaches 3 days ahead, up to 2023-04-30"),
        ("2023-01-01 12:00", "in the past"),
    ],
)
def test_when_refusals_name_the_rule(text: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_when(text, TODAY, max_days=3)
    assert caught.value.field == "when"
    assert rule in caught.value.user_message


def test_tomorrow_needs_two_forecast_days() -> None:
    with pytest.raises(ValidationError, match="only 1 day"):
        parse_when("tomorrow", TODAY, max_days=1)
    assert When(1, 9).days_needed(TODAY, 3) == 2
    assert When(date(2023, 4, 29), 9).days_needed(TODAY, 3) == 3  # one day of margin
    assert When("saturday", 9).days_needed(TODAY, 3) == 3


def test_settings_require_https_except_loopback() -> None:
    assert WeatherSettings().base_url == "https://api.weatherapi.com/v1"
    assert WeatherSettings(base_url="http://127.0.0.1:9/v1/").base_url == "http://127.0.0.1:9/v1"
    assert WeatherSettings(base_url="http://[::1]:9/v1").base_url == "http://[::1]:9/v1"
    with pytest.raises(PydanticError, match="must use https"):
        WeatherSettings(base_url="http://api.weatherapi.com/v1")
    with pytest.raises(PydanticError, match=r"[Ee]xtra inputs"):
        WeatherSettings.model_validate({"apikey": "x"})


def test_key_is_secret_and_blank_counts_as_none() -> None:
    settings = WeatherSettings.model_validate({"api_key": "abc123"})
    assert settings.key == "abc123"
    assert "abc123" not in repr(settings) and "abc123" not in str(settings.model_dump())
    assert WeatherSettings.model_validate({"api_key": "  "}).key is None
    assert WeatherSettings().key is None


def test_config_toml_section_is_valid() -> None:
    import tomllib

    config = tomllib.loads((Path(__file__).parents[3] / "config.toml").read_text(encoding="utf-8"))
    section = {k: v for k, v in config["plugins"]["weather"].items() if k != "enabled"}
    settings = WeatherSettings.model_validate(section)
    assert settings.base_url.startswith("https://")
    assert config["cache"]["ttl"]["weather.forecast"] > 0
