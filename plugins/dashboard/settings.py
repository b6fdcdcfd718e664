"""The ``[plugins.dashboard]`` settings (documented in config.toml and docs/DASHBOARD.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

SECRET_ENV = "DBSBM_PLUGINS__DASHBOARD__CLIENT_SECRET"  # nosec B105 # a variable name, no secret
"""The environment variable an operator sets to give the dashboard its OAuth2 client secret."""


class DashboardSettings(BaseModel):
    """How members log in with Discord and how long they stay logged in."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = None
    """The OAuth2 client id; by default the bot's application id."""
    client_secret: SecretStr | None = None
    """The application's OAuth2 secret (Discord's developer portal); best set through
    ``SECRET_ENV``. Without it nobody can log in; public pages still work."""
    public_url: str | None = None
    """The address members open (``https://bets.example.org``), for the OAuth2 redirect
    ``<public_url>/login/callback``; by default the web server's own address."""
    session_store: Literal["database", "redis"] = "database"
    """Where sessions are kept: the database, or the Redis of ``[cache] redis_url``."""
    session_days: int = Field(default=30, ge=1, le=365)
    """Days a login lasts without use; each visit extends it."""
    cors_origins: list[str] = Field(default_factory=list)
    """Origins whose pages may call ``/api/v1`` from a browser; none by default."""
    api_rate: str = "120/1m"
    """Requests per token (and per address without one) to ``/api/v1``."""
    page_size: int = Field(default=25, ge=1, le=100)
    """Rows per page of lists, and the API's default ``limit``."""
