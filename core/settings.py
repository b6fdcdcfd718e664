"""Typed settings: ``config.toml``, overridden by ``.env`` and ``DBSBM_*`` environment variables.

Precedence (highest first): keyword arguments, environment (``DBSBM_DATABASE__URL`` overrides
``[database] url``), ``.env``, ``config.toml``, defaults. Plugin sections live under
``[plugins.<name>]`` with ``enabled`` plus the plugin's own keys, validated by the plugin's
settings model when it loads.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG = Path("config.toml")
CONFIG_ENV = "DBSBM_CONFIG"


class ConfigError(Exception):
    """A configuration problem, worded for the operator: file, key and what is expected."""


class Section(BaseModel):
    """Base of every settings section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class DiscordSettings(Section):
    token: SecretStr | None = None
    owner_ids: list[int] = Field(default_factory=list)
    test_guilds: list[int] | None = None  # register commands per guild (fast) instead of globally
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[int] | None = None
    guild_ready_timeout: float = Field(default=2.0, ge=0)


class DatabaseSettings(Section):
    url: str = "sqlite://{data_dir}/dbsbm.sqlite3"
    pool_size: int = Field(default=10, ge=1, le=1000)
    connect_timeout: float = Field(default=10.0, gt=0, le=300)
    connect_retries: int = Field(default=5, ge=0, le=100)
    migrate_on_start: bool = True

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not v.startswith(("sqlite://", "postgres://", "mysql://")):
            raise ValueError("must start with sqlite://, postgres:// or mysql://")
        return v


class CacheSettings(Section):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    default_ttl: int = Field(default=300, ge=1)
    ttl: dict[str, int] = Field(default_factory=dict)  # namespace -> seconds
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown: float = Field(default=30.0, gt=0)


class RateLimitSettings(Section):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    default: str = "10/60s"  # per user, for every command without its own limit
    commands: dict[str, str] = Field(default_factory=dict)  # command or group -> "5/60s"
    guild: str | None = None
    channel: str | None = None
    global_: str | None = Field(default=None, alias="global")
    block_after: int = Field(default=5, ge=1)  # violations within block_window -> temporary block
    block_window: float = Field(default=60.0, gt=0)
    block_seconds: float = Field(default=60.0, gt=0)  # doubled on each repeated block
    web: str = "60/60s"  # per client address on the web server

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LoggingSettings(Section):
    level: Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    json_lines: bool = False
    file: Path | None = None


class ReloadSettings(Section):
    watch: bool = False
    debounce_ms: int = Field(default=50, ge=1, le=5000)


class WebSettings(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    token: SecretStr | None = None  # bearer token for /health/detailed beyond loopback


class Settings(BaseSettings):
    """The whole configuration of one bot process."""

    model_config = SettingsConfigDict(
        env_prefix="DBSBM_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
    )

    data_dir: Path = Path("data")
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    reload: ReloadSettings = Field(default_factory=ReloadSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    plugins: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _config_path_var
        if isinstance(dotenv_settings, DotEnvSettingsSource):
            # .env may hold other tools' variables (docker compose's POSTGRES_PASSWORD, ...):
            # only DBSBM_* keys are ours, or every other key would be an "unknown key" error.
            dotenv_settings.env_vars = {
                k: v for k, v in dotenv_settings.env_vars.items() if k.lower().startswith("dbsbm_")
            }
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if path is not None and path.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def database_url(self) -> str:
        """The database URL with ``{data_dir}`` filled in."""
        return self.database.url.replace("{data_dir}", str(self.data_dir))

    def plugin_enabled(self, name: str, default: bool = True) -> bool:
        return bool(self.plugins.get(name, {}).get("enabled", default))

    def plugin_section(self, name: str) -> dict[str, Any]:
        """The plugin's own keys (``enabled`` removed)."""
        return {k: v for k, v in self.plugins.get(name, {}).items() if k != "enabled"}


_config_path_var: Path | None = None


def config_path(explicit: Path | str | None = None) -> Path:
    """The config file in use: the argument, ``$DBSBM_CONFIG``, or ``./config.toml``."""
    if explicit is not None:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read and validate the settings, raising :class:`ConfigError` with a one-line reason."""
    global _config_path_var
    file = config_path(path)
    if file.exists():
        try:
            tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    elif path is not None:
        raise ConfigError(f"{file}: no such file")
    _config_path_var = file
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, file)) from None
    finally:
        _config_path_var = None


def describe_validation_error(
    exc: ValidationError, file: Path | str, prefix: tuple[str | int, ...] = ()
) -> str:
    """Word a pydantic error as ``file: [section] key: what is expected (got ...)``."""
    parts = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        section = ".".join(str(p) for p in loc[:-1])
        key = str(loc[-1]) if loc else "?"
        where = f"[{section}] {key}" if section else key
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see config.toml's documented keys)"
        got = err.get("input")
        got_text = "" if err["type"] in ("extra_forbidden", "missing") else f" (got {got!r})"
        parts.append(f"{file}: {where}: {msg}{got_text}")
    return "; ".join(parts)


def settings_summary(settings: BaseModel) -> dict[str, Any]:
    """The settings as a plain dict with every secret masked (safe to log and show)."""
    return _mask(settings.model_dump(mode="python", by_alias=True))


_SECRET_WORDS = ("token", "key", "password", "secret")


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    if isinstance(value, dict):
        return {k: _mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if isinstance(value, str) and any(w in key.lower() for w in _SECRET_WORDS) and value:
        return "********"
    if isinstance(value, str) and "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:********@{host}" if ":" in creds else value
    if isinstance(value, Path):
        return str(value)
    return value
