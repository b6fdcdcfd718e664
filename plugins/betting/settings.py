"""The ``[plugins.betting]`` section of config.toml (documented there, key by key)."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class Sport(StrEnum):
    """An API-Sports sport: each is its own API, with its own base URL, format and quota."""

    FOOTBALL = "football"
    AMERICAN_FOOTBALL = "american-football"
    BASKETBALL = "basketball"
    BASEBALL = "baseball"
    HOCKEY = "hockey"


DEFAULT_BASE_URLS: dict[Sport, str] = {
    Sport.FOOTBALL: "https://v3.football.api-sports.io",
    Sport.AMERICAN_FOOTBALL: "https://v1.american-football.api-sports.io",
    Sport.BASKETBALL: "https://v1.basketball.api-sports.io",
    Sport.BASEBALL: "https://v1.baseball.api-sports.io",
    Sport.HOCKEY: "https://v1.hockey.api-sports.io",
}


class FollowedLeague(BaseModel):
    """One API-Sports query to keep in sync: a league (or a team) of a sport for a season."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    sport: Sport = Sport.FOOTBALL
    league: int | None = None
    team: int | None = None
    season: int | str
    """A year (``2024``), or for basketball's split seasons ``"2024-2025"``."""

    @field_validator("season")
    @classmethod
    def _season(cls, value: int | str) -> int | str:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}(-\d{4})?", value):
            raise ValueError('a season is a year (2024) or two joined by a dash ("2024-2025")')
        return value

    @model_validator(mode="after")
    def _league_or_team(self) -> FollowedLeague:
        if self.league is None and self.team is None:
            raise ValueError("give the league id or the team id (or both) to follow")
        return self


class ApiSportsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SecretStr | None = None
    base_urls: dict[Sport, str] = Field(default_factory=lambda: dict(DEFAULT_BASE_URLS))
    """Each sport's API; sports not named keep their real API (only tests change these)."""
    timeout: float = Field(default=10.0, gt=0, le=120)
    sync_interval: float = Field(default=900.0, ge=1)
    max_backoff: float = Field(default=3600.0, ge=1)
    retry_attempts: int = Field(default=4, ge=1, le=10)
    follow: list[FollowedLeague] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _legacy_base_url(cls, data: Any) -> Any:
        """``base_url`` (before several sports were read) is football's URL."""
        if isinstance(data, dict) and "base_url" in data:
            data = dict(data)
            urls = dict(data.get("base_urls") or {})
            urls.setdefault(Sport.FOOTBALL.value, data.pop("base_url"))
            data["base_urls"] = urls
        return data

    @field_validator("base_urls")
    @classmethod
    def _all_sports(cls, value: dict[Sport, str]) -> dict[Sport, str]:
        return {**DEFAULT_BASE_URLS, **value}

    def sports(self) -> list[Sport]:
        """The sports with at least one followed league, in the order first followed."""
        return list(dict.fromkeys(f.sport for f in self.follow))


class BettingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    leaderboard_min_picks: int = Field(default=5, ge=1)
    page_size: int = Field(default=10, ge=1, le=25)
    default_min_units: Decimal = Field(default=Decimal("0.5"), gt=0)
    default_max_units: Decimal = Field(default=Decimal("10"), gt=0)
    default_max_odds: Decimal = Field(default=Decimal("1001"), gt=1, le=1_000_000)
    default_max_payout: Decimal = Field(default=Decimal("10000"), gt=0, le=1_000_000_000)
    api_sports: ApiSportsSettings = Field(default_factory=ApiSportsSettings)
