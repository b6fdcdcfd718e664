"""The ``[plugins.weather]`` settings (documented key by key in ``config.toml``)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_BASE_URL = "https://api.weatherapi.com/v1"
ENV_KEY = "DBSBM_PLUGINS__WEATHER__API_KEY"
"""The environment variable an operator sets to give the plugin its WeatherAPI key."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WeatherSettings(BaseModel):
    """Settings of the weather plugin. The key is a secret: never logged, masked in summaries."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = None
    """Best set through ``ENV_KEY`` rather than in config.toml."""
    base_url: str = DEFAULT_BASE_URL
    timeout: float = Field(default=8.0, gt=0, le=60)
    """Seconds one request may take."""
    attempts: int = Field(default=3, ge=1, le=6)
    """Tries per request for 429, 5xx, code 9999, timeouts and refused connections."""
    retry_base_delay: float = Field(default=0.5, ge=0, le=10)
    retry_max_delay: float = Field(default=10.0, gt=0, le=60)
    """A ``Retry-After`` longer than this ends the retries at once."""
    forecast_days: int = Field(default=3, ge=1, le=14)
    """How far ahead forecasts reach (WeatherAPI's free plan gives 3)."""
    search_ttl: int = Field(default=86_400, ge=60)
    """Seconds to keep location-autocomplete results."""
    games_shown: int = Field(default=25, ge=1, le=25)

    @field_validator("base_url")
    @classmethod
    def _https_only(cls, value: str) -> str:
        """HTTPS, except plain HTTP to a loopback address (the tests' fake server)."""
        parts = urlsplit(value)
        if not parts.hostname:
            raise ValueError("must be a full URL such as https://api.weatherapi.com/v1")
        if parts.scheme == "https":
            return value.rstrip("/")
        if parts.scheme == "http" and is_loopback(parts.hostname):
            return value.rstrip("/")
        raise ValueError(
            "must use https:// (the API key travels in the query string); plain http is "
            "allowed only to a loopback address such as http://127.0.0.1:8081"
        )

    @property
    def key(self) -> str | None:
        """The API key, or ``None`` when none is configured (an empty string counts as none)."""
        if self.api_key is None or not self.api_key.get_secret_value().strip():
            return None
        return self.api_key.get_secret_value().strip()
