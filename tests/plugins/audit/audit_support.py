"""Fixtures of the audit plugin's tests.

``audit_db``: a fresh SQLite database with only the audit tables (unit tests).
``audit_world``: the local Discord with two guilds, and an :class:`App` running the audit plugin
plus ``audit_probe`` (commands that succeed, fail, refuse and report an admin action), connected
through the real disnake client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.app import App
from core.database import AppSpec, Database
from core.plugin_manager import PluginRecord, PluginSource, PluginState
from core.settings import Settings
from core.testing.client import bot_kwargs, connect_bot
from core.testing.driver import Actor
from core.testing.server import LocalDiscord
from core.testing.state import MANAGE_GUILD
from plugins.audit.runtime import RUNTIME_NAME, AuditRuntime

AUDIT_APP = AppSpec("audit", ["plugins.audit.models"])
OTHER_PLUGINS = ("admin", "betting", "metrics", "weather", "hello")


@pytest.fixture
async def audit_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A connected SQLite database with the audit tables created."""
    db = Database(f"sqlite://{tmp_path / 'audit.sqlite3'}", retries=0)
    await db.connect([AUDIT_APP])
    try:
        await db.context.generate_schemas()
        yield db
    finally:
        await db.close()


def audit_settings(database_url: str, data_dir: Path, **audit: Any) -> Settings:
    """Settings with only the audit plugin on (fast flushing), no web server, roomy limits."""
    plugins: dict[str, dict[str, Any]] = {name: {"enabled": False} for name in OTHER_PLUGINS}
    plugins["audit"] = {"enabled": True, "flush_interval": 0.01, "retry_delay": 0.05, **audit}
    return Settings(
        data_dir=data_dir,
        database={"url": database_url, "connect_retries": 2},
        web={"enabled": False},
        ratelimit={"default": "1000/60s", "commands": {}},
        plugins=plugins,
    )


@dataclass
class AuditWorld:
    """The running bot and the people acting on it."""

    discord: LocalDiscord
    app: App
    alice: Actor  # Manage Server in "Test Guild"
    bob: Actor  # plain member of "Test Guild"
    carol: Actor  # Manage Server in "Other Guild"
    owner: Actor  # the bot's owner, in "Test Guild"

    @property
    def runtime(self) -> AuditRuntime:
        runtime = self.app.pm.get_plugin(RUNTIME_NAME)
        assert isinstance(runtime, AuditRuntime)
        return runtime


async def load_probe(app: App) -> None:
    """Load the test-only ``audit_probe`` plugin beside the configured ones."""
    app.plugins.records["probe"] = PluginRecord(
        source=PluginSource("probe", "audit_probe"), state=PluginState.AVAILABLE
    )
    await app.plugins.load("probe")


@asynccontextmanager
async def running_world(
    database_url: str, data_dir: Path, **audit: Any
) -> AsyncIterator[AuditWorld]:
    """The local Discord (two guilds) and the app on ``database_url``, connected."""
    async with LocalDiscord() as discord:
        other = discord.add_guild("Other Guild")
        other.add_channel("general")
        other.add_member("Carol", permissions=MANAGE_GUILD)
        other.add_member("Dave")
        app = App(
            audit_settings(database_url, data_dir, **audit),
            bot_kwargs=bot_kwargs(discord),
        )
        try:
            await app.start()
            await load_probe(app)
            async with connect_bot(app.bot, discord):
                yield AuditWorld(
                    discord=discord,
                    app=app,
                    alice=discord.member("Alice"),
                    bob=discord.member("Bob"),
                    carol=discord.member("Carol", guild="Other Guild"),
                    owner=discord.member("Owner"),
                )
        finally:
            await app.close()
        assert not discord.spec_violations, discord.spec_violations


WorldFactory = Callable[..., AbstractAsyncContextManager[AuditWorld]]


@pytest.fixture
def audit_world_at(tmp_path: Path) -> WorldFactory:
    """``async with audit_world_at(url, **audit_settings) as world``: a world on any database."""

    def make(url: str | None = None, **audit: Any) -> AbstractAsyncContextManager[AuditWorld]:
        return running_world(url or f"sqlite://{tmp_path}/bot.sqlite3", tmp_path, **audit)

    return make


@pytest.fixture
async def audit_world(audit_world_at: WorldFactory) -> AsyncIterator[AuditWorld]:
    """The bot on a fresh SQLite database."""
    async with audit_world_at() as world:
        yield world
