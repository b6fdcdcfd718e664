"""Typed settings: ``config.toml``, overridden by ``.env`` and ``DBSBM_*`` environment variables.

Precedence (highest first): keyword arguments, environment (``DBSBM_DATABASE__URL`` overrides
``[database] url``), ``.env``, ``config.toml``, defaults. Plugin sections live under
``[plugins.<name>]`` with ``enabled`` plus the plugin's own keys, validated by the plugin's
settings model when it loads.

An invalid value is reported against where it was set: the environment variable, the ``.env``
entry, or the config file. A ``DBSBM_*`` variable whose first part names no setting is ignored by
the settings and returned by :func:`unknown_variables` for a warning at start.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG = Path("config.toml")
ENV_PREFIX = "DBSBM_"
CONFIG_ENV = "DBSBM_CONFIG"
DOTENV = Path(".env")
# DBSBM_* variables that are read by the project but are not settings, so never "unknown":
# the config file, the testing kit's Discord OpenAPI file (core/testing/spec.py), the test
# suite's services (DBSBM_TEST_POSTGRES_URL, ...) and the benchmarks' switches (benchmarks/).
NOT_SETTINGS = (CONFIG_ENV, "DBSBM_DISCORD_SPEC")
NOT_SETTINGS_PREFIXES = ("DBSBM_TEST_", "DBSBM_BENCH_")


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
    # with [cache] backend = "redis": Discord's REST limits and IDENTIFY spacing shared by every
    # process of the bot through that Redis (core/discord_budget.py)
    shared_limits: bool = True
    identify_interval: float = Field(default=5.0, gt=0)  # Discord's; shorter only for tests


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


class ClusterSettings(Section):
    """The processes of one bot sharing a Redis (:mod:`core.cluster`)."""

    key: str = Field(default="dbsbm:cluster", min_length=1)
    """The Redis key under which the processes of this bot keep their heartbeats."""
    heartbeat: float = Field(default=5.0, gt=0)
    """Seconds between a process's heartbeats."""
    down_after: float = Field(default=15.0, gt=0)
    """Seconds without a heartbeat after which a process is shown down."""
    forget_after: float = Field(default=600.0, gt=0)
    """Seconds without a heartbeat after which a process is no longer shown at all (one that
    was scaled away or moved, rather than one that failed)."""

    @model_validator(mode="after")
    def _down_after_beats(self) -> ClusterSettings:
        if self.down_after <= self.heartbeat:
            raise ValueError(
                f"down_after ({self.down_after:g}s) must be longer than heartbeat "
                f"({self.heartbeat:g}s), or live processes are shown down"
            )
        if self.forget_after <= self.down_after:
            raise ValueError(
                f"forget_after ({self.forget_after:g}s) must be longer than down_after "
                f"({self.down_after:g}s), or a failed process is never shown down"
            )
        return self


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
        env_file=DOTENV,
        # .env may hold other tools' variables (docker compose's POSTGRES_PASSWORD, ...), and
        # DBSBM_* ones that name no setting: like the environment's, they are not settings
        # (unknown_variables() words a warning for the latter).
        dotenv_filtering="only_existing",
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
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
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
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            _EnvSource(settings_cls),
            _DotEnvSource(settings_cls),
        ]
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


class _EnvSource(EnvSettingsSource):
    """The environment's ``DBSBM_*`` variables.

    A list or table setting whose variable is not JSON is passed on as the raw text, so that
    validation reports it against the variable ("Input should be a valid list") instead of
    pydantic-settings raising an error that names neither the variable nor the value."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            return value


class _DotEnvSource(_EnvSource, DotEnvSettingsSource):
    """The ``DBSBM_*`` entries of ``.env``, decoded like the environment's."""


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
    """Word a pydantic error as ``<source>: what is expected (got ...)``.

    The source is where the value was set (see :func:`source_of`): ``file: [section] key``,
    ``environment variable DBSBM_SECTION__KEY`` or ``.env: DBSBM_SECTION__KEY``.
    """
    parts = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        found = _set_by(loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = (
                f"unknown setting{_did_you_mean(found[0].name)}"
                if found and not found[1]
                else "unknown key (check the spelling; see config.toml's documented keys)"
            )
        elif found and err["type"] in _JSON_EXAMPLES:
            msg += f", written in JSON such as {_JSON_EXAMPLES[err['type']]}"
        got = err.get("input")
        got_text = "" if err["type"] in ("extra_forbidden", "missing") else f" (got {got!r})"
        parts.append(f"{_where(loc, file, found)}: {msg}{got_text}")
    return "; ".join(parts)


_JSON_EXAMPLES = {"list_type": "[1, 2]", "dict_type": '{"key": 1}', "model_type": '{"key": 1}'}


@dataclass(frozen=True)
class Variable:
    """A ``DBSBM_*`` variable, from the environment or from ``.env``."""

    name: str
    value: str
    in_dotenv: bool

    @property
    def where(self) -> str:
        """``environment variable NAME`` or ``.env: NAME``."""
        return f"{DOTENV}: {self.name}" if self.in_dotenv else f"environment variable {self.name}"

    @property
    def path(self) -> tuple[str, ...]:
        """The setting it names: ``DBSBM_DATABASE__POOL_SIZE`` -> ``("database", "pool_size")``."""
        return tuple(self.name[len(ENV_PREFIX) :].lower().split("__"))


def _variables() -> list[Variable]:
    """Every ``DBSBM_*`` variable of the environment and of ``.env``, as spelt there."""
    dotenv = DotEnvSettingsSource(Settings, case_sensitive=True).env_vars
    return [
        *(Variable(k, v, False) for k, v in os.environ.items() if _is_ours(k)),
        *(Variable(k, v or "", True) for k, v in dotenv.items() if _is_ours(k)),
    ]


def _is_ours(name: str) -> bool:
    return name.upper().startswith(ENV_PREFIX)


def source_of(loc: Sequence[str | int], file: Path | str) -> str:
    """Where the setting at ``loc`` (e.g. ``("database", "pool_size")``) was set, for a message:
    the variable that set it, or one that sets a key inside it (``environment variable NAME``,
    ``.env: NAME``), else ``file: [section] key``."""
    return _where(tuple(loc), file, _set_by(loc))


# The variable that set a value, and the rest of the value's location inside its JSON text.
SetBy = tuple[Variable, tuple[str | int, ...]]


def _where(loc: tuple[str | int, ...], file: Path | str, found: SetBy | None) -> str:
    if found is None:
        section = ".".join(str(p) for p in loc[:-1])
        key = str(loc[-1]) if loc else "?"
        return f"{file}: [{section}] {key}" if section else f"{file}: {key}"
    var, rest = found
    inside = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
    return f"{var.where}: {inside}" if inside else var.where


def _set_by(loc: Sequence[str | int]) -> SetBy | None:
    """The variable that set the value at ``loc`` and the rest of ``loc`` inside its JSON value.

    Precedence as the settings apply it: the environment before ``.env``, and within each the
    variable naming the deepest setting (``DBSBM_DATABASE__URL`` over ``DBSBM_DATABASE``).
    Without one, a variable that sets a key inside ``loc``; ``None`` when no variable did.
    """
    want = tuple(str(p).lower() for p in loc)
    read = [v for v in _variables() if _is_read(v)]
    ordered = sorted(read, key=lambda v: (v.in_dotenv, -len(v.path)))
    for var in ordered:
        depth = len(var.path)
        if depth <= len(want) and var.path == want[:depth] and _holds(var.value, loc[depth:]):
            return var, tuple(loc[depth:])
    for var in ordered:
        if var.path[: len(want)] == want:
            return var, ()
    return None


def _holds(value: str, rest: Sequence[str | int]) -> bool:
    """Whether the JSON text ``value`` has an item at ``rest`` (always, when ``rest`` is empty)."""
    if not rest:
        return True
    try:
        item = json.loads(value)
    except ValueError:
        return False
    for part in rest:
        if isinstance(item, dict) and str(part) in item:
            item = item[str(part)]
        elif isinstance(item, list) and isinstance(part, int) and -len(item) <= part < len(item):
            item = item[part]
        else:
            return False
    return True


def unknown_variables() -> list[str]:
    """A warning for each ``DBSBM_*`` variable that names no setting (the settings ignore it).

    The project's own variables that are not settings (:data:`NOT_SETTINGS`,
    :data:`NOT_SETTINGS_PREFIXES`) are not reported. A misspelt key inside a known section
    (``DBSBM_DATABASE__POOLSIZE``) is not here: validation refuses it, like in config.toml.
    """
    out = []
    for var in _variables():
        upper = var.name.upper()
        if upper in NOT_SETTINGS or upper.startswith(NOT_SETTINGS_PREFIXES) or _is_read(var):
            continue
        out.append(f"{var.where} matches no setting and is ignored{_did_you_mean(var.name)}")
    return out


def _is_read(var: Variable) -> bool:
    """Whether the settings read ``var``: it names a setting, or a key inside a section."""
    top = Settings.model_fields.get(var.path[0])
    return top is not None and (len(var.path) == 1 or _has_keys(top))


def _setting_variables() -> list[str]:
    """The variable of every core setting: ``DBSBM_DATA_DIR``, ``DBSBM_DATABASE__URL``, ...
    (a plugin's keys are its own: ``DBSBM_PLUGINS__<NAME>__<KEY>``)."""
    names = []
    for name, field in Settings.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            keys = [sub.alias or key for key, sub in model.model_fields.items()]
            names += [f"{ENV_PREFIX}{name}__{key}".upper() for key in keys]
        else:
            names.append(f"{ENV_PREFIX}{name}".upper())
    return names


def _has_keys(field: FieldInfo) -> bool:
    """Whether a setting has keys of its own (a section, or a table such as ``plugins``)."""
    kind = field.annotation
    return (isinstance(kind, type) and issubclass(kind, BaseModel)) or get_origin(kind) is dict


def _did_you_mean(name: str) -> str:
    """`` (did you mean DBSBM_...?)`` naming the closest setting's variable, or ``""``."""
    upper = name.upper()
    match = get_close_matches(upper, _setting_variables(), n=1, cutoff=0.8)
    head, sep, tail = upper.partition("__")
    fields = Settings.model_fields.items()
    sections = [f"{ENV_PREFIX}{n}".upper() for n, f in fields if _has_keys(f)]
    if not match and sep and head not in sections:  # misspelt: DBSBM_PLUGIN__WEATHER__API_KEY
        match = [f"{m}{sep}{tail}" for m in get_close_matches(head, sections, n=1, cutoff=0.8)]
    return f" (did you mean {match[0]}?)" if match else ""


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
