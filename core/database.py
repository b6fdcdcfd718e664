"""The database: one Tortoise app per plugin on one connection, with retries, health and hot reload.

Every plugin's models form a Tortoise app named after the plugin; aerich's version table lives in
the ``core`` app. :class:`Database` owns the live ORM context of the process::

    db = Database.from_settings(settings, on_retry=print)
    await db.connect([AppSpec("betting", ["plugins.betting.models"], Path("migrations"))])
    try:
        ...  # models of every app now work in every task
        db.replace_app(new_betting_spec)  # hot reload: no second Tortoise.init
    finally:
        await db.close()

What this module relies on of tortoise beyond its public API (the global fallback context, the
app registry, and behaviour such as ``TortoiseContext.init`` opening no connection) is listed,
with the version checked, in :mod:`core.compat.tortoise`.
"""

from __future__ import annotations

import asyncio
import importlib
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from loguru import logger
from tortoise.apps import Apps
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import ConfigurationError

from core.compat.tortoise import (
    active,
    add_app,
    build_querysets,
    forget_executors,
    global_context,
    init_global,
    remove_app,
)
from core.events import HealthResult

if TYPE_CHECKING:
    from asyncpg import Connection

CORE_APP = "core"
AERICH_MODELS = "aerich.models"
CONNECTION = "default"
DIALECTS = ("sqlite", "postgres", "mysql")

_SCHEME_DIALECT = {
    "sqlite": "sqlite",
    "postgres": "postgres",
    "postgresql": "postgres",
    "asyncpg": "postgres",
    "mysql": "mysql",
}


SQLITE_BUSY_TIMEOUT_MS = 2000
"""How long one SQLite statement waits for a lock another process holds before it fails with
``database is locked`` (and error recovery tries it again)."""
PROBE_INTERVAL = 1.0
"""Seconds between probes of a database that stopped answering, at most (they start faster)."""


class DatabaseError(Exception):
    """A database problem worded for the operator."""


class DatabaseUnavailable(DatabaseError):
    """The database could not be reached after every retry."""


@dataclass(frozen=True)
class AppSpec:
    """One Tortoise app: a plugin's models and where its migration files live.

    ``migrations`` is the *location* folder; the app's files are in ``migrations / label``
    (aerich's layout), e.g. ``<repo>/migrations/betting/``.
    """

    label: str
    models: list[str] = field(default_factory=list)
    migrations: Path = Path("migrations")

    @property
    def migrations_dir(self) -> Path:
        """The folder holding this app's migration files."""
        return Path(self.migrations) / self.label


def dialect_of(url: str) -> str:
    """``sqlite``, ``postgres`` or ``mysql`` (tortoise's ``schema_generator.DIALECT`` names)."""
    scheme = url.split("://", 1)[0].lower()
    try:
        return _SCHEME_DIALECT[scheme]
    except KeyError:
        raise DatabaseError(
            f"unsupported database URL {mask_url(url)}: use sqlite://, postgres:// or mysql://"
        ) from None


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (safe to log and show)."""
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    if not password:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _mask_text(text: str, url: str) -> str:
    try:
        password = urllib.parse.urlsplit(url).password
    except ValueError:
        password = None
    text = text.replace(url, mask_url(url))
    if password:
        text = text.replace(password, "***").replace(urllib.parse.unquote(password), "***")
    return text


async def keep_session(connection: Connection) -> None:
    """asyncpg's pool ``reset`` for a connection given back: nothing beyond what asyncpg always
    does first (roll back a transaction left open, drop listeners).

    asyncpg's default sends one more statement on every release (``pg_advisory_unlock_all(); CLOSE
    ALL; UNLISTEN *; RESET ALL``), two round trips of the seven a pick takes. Nothing in the
    framework leaves session state behind (``SET LOCAL`` ends with its transaction); a plugin that
    changes the session outside a transaction undoes it before the connection goes back
    (docs/WRITING_PLUGINS.md, "Database sessions").
    """


def connection_config(url: str, pool_size: int = 10, connect_timeout: float = 10.0) -> dict:
    """Tortoise's connection dict for ``url``, with the pool size and connect timeout applied.

    PostgreSQL (asyncpg) takes ``minsize``/``maxsize``, ``timeout`` and the pool's ``reset``
    (:func:`keep_session`); MySQL/MariaDB (asyncmy)
    ``minsize``/``maxsize`` and ``connect_timeout``; values given in the URL's query win. For
    SQLite files the parent folder is created, WAL journaling is on (tortoise's default) and a
    write waits at most :data:`SQLITE_BUSY_TIMEOUT_MS` for another process's lock.
    """
    dialect = dialect_of(url)
    try:
        info = expand_db_url(url)
    except ConfigurationError as exc:
        raise DatabaseError(f"invalid database URL {mask_url(url)}: {exc}") from None
    creds = info["credentials"]
    if dialect in ("postgres", "mysql"):
        creds.setdefault("minsize", 1)
        creds.setdefault("maxsize", pool_size)
        creds.setdefault("timeout" if dialect == "postgres" else "connect_timeout", connect_timeout)
        if dialect == "postgres":
            creds.setdefault("reset", keep_session)
    else:
        path = creds["file_path"]
        if path != ":memory:" and not path.startswith("file:"):
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the folder of the SQLite database {path}: {exc.strerror}"
                    " (check [database] url and data_dir)"
                ) from None
        creds.setdefault("journal_mode", "WAL")
        creds.setdefault("busy_timeout", SQLITE_BUSY_TIMEOUT_MS)
    return info


def tortoise_config(
    url: str, apps: Sequence[AppSpec], pool_size: int = 10, connect_timeout: float = 10.0
) -> dict[str, Any]:
    """A Tortoise config: one ``default`` connection, one app per spec, plus ``core`` (aerich)."""
    apps_config: dict[str, dict[str, Any]] = {
        CORE_APP: {"models": [AERICH_MODELS], "default_connection": CONNECTION}
    }
    seen: set[str] = set()
    for spec in apps:
        if spec.label in seen:
            raise DatabaseError(f"two apps are named {spec.label!r}: app labels must be unique")
        seen.add(spec.label)
        if spec.label == CORE_APP:
            apps_config[CORE_APP]["models"] = [*spec.models, AERICH_MODELS]
        else:
            apps_config[spec.label] = {
                "models": list(spec.models),
                "default_connection": CONNECTION,
            }
    return {
        "connections": {CONNECTION: connection_config(url, pool_size, connect_timeout)},
        "apps": apps_config,
        "use_tz": True,
        "timezone": "UTC",
    }


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of ``exc``'s chain (``__cause__``, else an unsuppressed
    ``__context__``). Cycle-safe: a chain that loops back (re-raising a wrapped exception inside
    the ``except`` that caught its wrapper makes one) ends where it would repeat."""
    seen = {id(exc)}
    while True:
        inner = exc.__cause__
        if inner is None and not exc.__suppress_context__:
            inner = exc.__context__
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def one_line(exc: BaseException) -> str:
    """The root cause of ``exc`` on one line (tortoise wraps driver errors, e.g. MySQL's)."""
    exc = root_cause(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Database:
    """The process's database: connects with retries, reports health, re-registers apps live.

    :param url: ``sqlite://``, ``postgres://`` or ``mysql://`` URL (``{data_dir}`` already filled).
    :param retries: how many times to retry after the first failed attempt.
    :param backoff: the first retry delay in seconds; it doubles up to ``max_backoff``.
    :param on_retry: called with the one-line message before each retry (besides the log).
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        connect_timeout: float = 10.0,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.dialect = dialect_of(url)
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.on_retry = on_retry
        self.down_since: float | None = None
        """When (``time.monotonic()``) the server stopped answering; ``None`` while it answers."""
        self._ctx: TortoiseContext | None = None
        self._probe: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Database:
        """Build from :class:`core.settings.Settings` (its ``[database]`` section)."""
        section = settings.database
        return cls(
            settings.database_url,
            pool_size=section.pool_size,
            connect_timeout=section.connect_timeout,
            retries=section.connect_retries,
            **kwargs,
        )

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    @property
    def connected(self) -> bool:
        return self._ctx is not None

    @property
    def context(self) -> TortoiseContext:
        """The live ORM context (raises :class:`DatabaseError` before :meth:`connect`)."""
        if self._ctx is None:
            raise DatabaseError("the database is not connected: call Database.connect() first")
        return self._ctx

    @property
    def connection(self) -> BaseDBAsyncClient:
        """The ``default`` connection of the live context."""
        return self.context.connections.get(CONNECTION)

    def labels(self) -> list[str]:
        """The registered app labels (``core`` included)."""
        apps = self.context.apps
        return list(apps.keys()) if apps is not None else []

    async def connect(self, apps: Sequence[AppSpec] = ()) -> None:
        """Initialise the ORM for ``apps`` (plus ``core``) and wait until the server answers.

        Each failed attempt logs ``cannot reach the database at <url>: <reason>; retrying in Ns
        (attempt k of n)``; after the last one :class:`DatabaseUnavailable` is raised.
        """
        if self._ctx is not None:
            raise DatabaseError("the database is already connected: close() it first")
        if global_context() is not None:
            raise DatabaseError(
                "another database context is live in this process: close it before connecting"
            )
        config = tortoise_config(self.url, apps, self.pool_size, self.connect_timeout)
        forget_executors(lambda key: key[0] == CONNECTION)  # may be another dialect now
        ctx = TortoiseContext()
        try:
            with active(ctx):
                await init_global(ctx, config)
            self._ctx = ctx
            await self._wait_until_reachable()
        except BaseException as exc:
            self._ctx = None
            await ctx.close_connections()
            if isinstance(exc, ConfigurationError):
                raise DatabaseError(
                    f"cannot set the database up: {_mask_text(str(exc), self.url)}"
                ) from None
            raise

    async def close(self) -> None:
        """Close every connection and release the global ORM context (safe to call twice)."""
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            await ctx.close_connections()

    async def recover(self, within: float | None = None) -> bool:
        """Wait until the server answers again, at most ``within`` seconds (``None``: the
        connect timeout); ``True`` when it does.

        For error recovery after a lost connection. The drivers' pools replace broken
        connections by themselves, so connections are closed only when the probe's own query
        fails at once (not when it is slow: that would fail every other interaction's running
        query during a stall). One probe runs however many callers wait, and it goes on after
        they gave up, every :data:`PROBE_INTERVAL` seconds at most, until the server answers:
        an outage under load costs one ``SELECT 1`` per interval, not a connection per
        interaction, and :attr:`down_since` tells health checks about it.
        """
        if self._ctx is None:
            return False
        if self._probe is None or self._probe.done():
            # in the caller's context: tortoise keeps the connections in a context variable
            self._probe = asyncio.create_task(self._probe_until_up(), name="database probe")
        try:
            await asyncio.wait_for(
                asyncio.shield(self._probe),
                timeout=self.connect_timeout if within is None else max(0.0, within),
            )
        except TimeoutError:
            return False
        return True

    async def _probe_until_up(self) -> None:
        delay = PROBE_INTERVAL / 4
        while True:
            try:
                if self.dialect == "sqlite":  # one connection, no pool to replace it when lost
                    await self.context.connections.close_all(discard=True)
                await asyncio.wait_for(self._select_one(), timeout=self.connect_timeout)
            except Exception as exc:
                if not isinstance(exc, TimeoutError):  # a dead connection, not a slow one
                    await self.context.connections.close_all(discard=True)
                if self.down_since is None:
                    self.down_since = time.monotonic()
                    logger.warning(
                        "the database at {} does not answer: {}; probing every {:g}s at most",
                        self.masked_url,
                        _mask_text(one_line(exc), self.url),
                        PROBE_INTERVAL,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, PROBE_INTERVAL)
                continue
            if self.down_since is not None:
                logger.info(
                    "the database at {} answers again after {:.1f}s",
                    self.masked_url,
                    time.monotonic() - self.down_since,
                )
                self.down_since = None
            return

    async def ping(self) -> HealthResult:
        """Run ``SELECT 1``; never raises (a failure is an unhealthy result)."""
        started = time.perf_counter()
        data = {"dialect": self.dialect, "url": self.masked_url}
        if self._ctx is None:
            return HealthResult("database", False, "not connected", 0.0, data)
        try:
            await asyncio.wait_for(self._select_one(), timeout=self.connect_timeout)
        except Exception as exc:
            ms = (time.perf_counter() - started) * 1000
            return HealthResult("database", False, _mask_text(one_line(exc), self.url), ms, data)
        ms = (time.perf_counter() - started) * 1000
        return HealthResult("database", True, f"{self.dialect} answered in {ms:.1f} ms", ms, data)

    async def _select_one(self) -> None:
        await self.connection.execute_query("SELECT 1")

    async def _wait_until_reachable(self) -> None:
        attempts = self.retries + 1
        reason = ""
        for attempt in range(1, attempts + 1):
            try:
                await asyncio.wait_for(self._select_one(), timeout=self.connect_timeout + 1)
                return
            except Exception as exc:
                reason = _mask_text(one_line(exc), self.url)
                await self.context.connections.close_all(discard=True)
            if attempt == attempts:
                break
            delay = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
            message = (
                f"cannot reach the database at {self.masked_url}: {reason}; "
                f"retrying in {delay:g}s (attempt {attempt} of {attempts})"
            )
            logger.warning(message)
            if self.on_retry is not None:
                self.on_retry(message)
            await asyncio.sleep(delay)
        raise DatabaseUnavailable(
            f"cannot reach the database at {self.masked_url} after {attempts} attempt(s): "
            f"{reason}. Check that the database server is running and reachable, and that "
            "[database] url in config.toml (or DBSBM_DATABASE__URL) is right."
        )

    # --- runtime app registration (hot reload) -------------------------------------------

    def replace_app(self, spec: AppSpec, modules: Sequence[ModuleType] | None = None) -> None:
        """Add a plugin's app to the live ORM (no second ``Tortoise.init``), or swap it for new
        model classes (e.g. a re-imported models module).

        ``modules`` are the already imported models modules; by default ``spec.models`` are
        imported (``sys.modules`` is reused, so a reloader passes the fresh modules). Other
        apps' queries keep running; old classes stay usable by stale references.
        """
        loaded = self._import(spec, modules)  # fail before touching the live registry
        if spec.label in self._apps():
            self.unregister_app(spec.label)
        self._install(spec, loaded)

    def unregister_app(self, label: str) -> None:
        """Remove an app from the live ORM, with the reverse relations it added to other apps."""
        remove_app(self._apps(), label)

    def _apps(self) -> Apps:
        apps = self.context.apps
        if apps is None:  # pragma: no cover - init always builds the registry
            raise DatabaseError("the ORM has no app registry")
        return apps

    @staticmethod
    def _import(spec: AppSpec, modules: Sequence[ModuleType] | None) -> list[ModuleType]:
        if modules is not None:
            return list(modules)
        try:
            return [importlib.import_module(path) for path in spec.models]
        except ImportError as exc:
            raise DatabaseError(f"cannot import the models of app {spec.label!r}: {exc}") from exc

    def _install(self, spec: AppSpec, modules: list[ModuleType]) -> None:
        with active(self.context):
            models = add_app(self._apps(), spec.label, modules)
            build_querysets(models.values(), CONNECTION)
        tables = {model._meta.db_table for model in models.values()}
        forget_executors(lambda key: key[2] in tables)  # cached INSERTs name the old columns
