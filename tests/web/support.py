"""Helpers for tests that run a whole App against the local Discord.

``running_app`` starts an :class:`~core.app.App` with only the chosen plugins enabled, a fresh
database and the web server on a free loopback port, and connects its bot to the local Discord.
``core.testing.FaultProxy`` goes between the App and PostgreSQL or Redis to take the backend "down".
``fresh_postgres`` creates a throw-away PostgreSQL database beside the configured test one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.app import App
from core.events import SecurityEvent
from core.hookspecs import hookimpl
from core.settings import Settings
from core.testing.client import bot_kwargs, connect_bot
from core.testing.server import LocalDiscord


def backend_url(name: str) -> str:
    """``DBSBM_TEST_<NAME>_URL``; skips the test when unset (fails instead under ``CI=true``)."""
    url = os.environ.get(f"DBSBM_TEST_{name.upper()}_URL")
    if not url:
        message = f"DBSBM_TEST_{name.upper()}_URL is not set"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def make_settings(data_dir: Path, plugins: dict[str, dict[str, Any]], **sections: Any) -> Settings:
    """Settings for a test App: web on a free loopback port, SQLite in ``data_dir``."""
    sections.setdefault("web", {})
    sections["web"] = {"host": "127.0.0.1", "port": 0, **sections["web"]}
    sections.setdefault("database", {"url": "sqlite://{data_dir}/dbsbm.sqlite3"})
    sections["database"] = {"connect_retries": 0, "connect_timeout": 2.0, **sections["database"]}
    return Settings(data_dir=data_dir, plugins=plugins, **sections)


@contextlib.asynccontextmanager
async def running_app(
    discord: LocalDiscord,
    data_dir: Path,
    enabled: tuple[str, ...],
    *,
    plugin_settings: dict[str, dict[str, Any]] | None = None,
    connect: bool = True,
    **sections: Any,
) -> AsyncIterator[App]:
    """An App with only ``enabled`` plugins, started (and its bot connected when ``connect``)."""
    probe = App(make_settings(data_dir, {}))
    names = set(probe.plugins.discover())
    plugins = {n: {"enabled": n in enabled, **(plugin_settings or {}).get(n, {})} for n in names}
    app = App(
        make_settings(data_dir, plugins, **sections),
        config_file=data_dir / "config.toml",
        bot_kwargs=bot_kwargs(discord),
    )
    await app.start()
    try:
        if connect:
            async with connect_bot(app.bot, discord):
                yield app
        else:
            yield app
    finally:
        await app.close()


class SecurityLog:
    """Collects security events (register it like any listener: ``app.pm.register(log)``)."""

    def __init__(self) -> None:
        self.events: list[SecurityEvent] = []
        self._added = asyncio.Event()

    @hookimpl
    def dbsbm_security_event(self, event: SecurityEvent) -> None:
        self.events.append(event)
        self._added.set()

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    async def wait_for(self, kind: str, within: float = 10.0) -> SecurityEvent:
        """The first event of ``kind``, waiting up to ``within`` seconds for it."""
        async with asyncio.timeout(within):
            while True:
                found = next((e for e in self.events if e.kind == kind), None)
                if found is not None:
                    return found
                self._added.clear()
                await self._added.wait()


@contextlib.asynccontextmanager
async def fresh_postgres(url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database on the server of ``url``; dropped afterwards."""
    import asyncpg

    name = f"dbsbm_t_{secrets.token_hex(4)}"
    admin_url = url.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    parts = urllib.parse.urlsplit(url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def fresh_mysql(url: str) -> AsyncIterator[str]:
    """A new, empty MariaDB/MySQL database on the server of ``url``; dropped afterwards."""
    import asyncmy

    name = f"dbsbm_t_{secrets.token_hex(4)}"
    parts = urllib.parse.urlsplit(url)
    login = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": urllib.parse.unquote(parts.username or "root"),
        "password": urllib.parse.unquote(parts.password or ""),
        "autocommit": True,
    }

    async def run(sql: str) -> None:
        conn = await asyncmy.connect(**login)
        try:
            async with conn.cursor() as cur:
                await cur.execute(sql)
        finally:
            conn.close()

    await run(f"CREATE DATABASE `{name}`")
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        await run(f"DROP DATABASE IF EXISTS `{name}`")
