"""The ``[plugins.betting]`` section of config.toml (documented there, key by key)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class FollowedLeague(BaseModel):
    """One API-Sports query to keep in sync: a league (or a team) for a season."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    league: int | None = None
    team: int | None = None
    season: int


class ApiSportsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SecretStr | None = None
    base_url: str = "https://v3.football.api-sports.io"
    timeout: float = Field(default=10.0, gt=0, le=120)
    sync_interval: float = Field(default=900.0, ge=1)
    max_backoff: float = Field(default=3600.0, ge=1)
    retry_attempts: int = Field(default=4, ge=1, le=10)
    follow: list[FollowedLeague] = Field(default_factory=list)


class BettingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    leaderboard_min_picks: int = Field(default=5, ge=1)
    page_size: int = Field(default=10, ge=1, le=25)
    default_min_units: Decimal = Field(default=Decimal("0.5"), gt=0)
    default_max_units: Decimal = Field(default=Decimal("10"), gt=0)
    default_max_odds: Decimal = Field(default=Decimal("1001"), gt=1, le=1_000_000)
    default_max_payout: Decimal = Field(default=Decimal("10000"), gt=0, le=1_000_000_000)
    api_sports: ApiSportsSettings = Field(default_factory=ApiSportsSettings)
