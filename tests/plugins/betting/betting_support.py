"""Fixtures of the betting plugin's tests.

``betting_db``: a fresh SQLite database with the betting tables (domain tests).
``make_game``: makes games in that database.
``world``: the local Discord and an App running the betting plugin on a fresh SQLite database,
connected through the real disnake client (see :class:`BetWorld`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.app import App
from core.database import AppSpec, Database
from core.events import ActionEvent, CommandEvent
from core.hookspecs import hookimpl
from core.testing.driver import Actor
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from plugins.betting.models import Game

BETTING_APP = AppSpec("betting", ["plugins.betting.models"])


@pytest.fixture
async def betting_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite://{tmp_path / 'betting.sqlite3'}", retries=0)
    await db.connect([BETTING_APP])
    try:
        await db.context.generate_schemas()
        yield db
    finally:
        await db.close()


GameFactory = Callable[..., Awaitable[Game]]


@pytest.fixture
def make_game(betting_db: Database) -> GameFactory:
    counter = iter(range(1, 10_000))

    async def make(
        league: str = "NFL",
        home: str = "Chiefs",
        away: str = "Bills",
        starts_in: timedelta | None = timedelta(hours=2),
        **fields: Any,
    ) -> Game:
        starts = None if starts_in is None else datetime.now(UTC) + starts_in
        return await Game.create(
            source="test",
            external_id=str(next(counter)),
            league=league,
            home=home,
            away=away,
            starts_at=starts,
            **fields,
        )

    return make


class Probe:
    """A hook listener recording the App's events, so tests wait on them (never sleep)."""

    def __init__(self) -> None:
        self.completed: list[CommandEvent] = []
        self.actions: list[ActionEvent] = []
        self._changed = asyncio.Condition()

    @hookimpl
    async def dbsbm_command_completed(self, event: CommandEvent) -> None:
        async with self._changed:
            self.completed.append(event)
            self._changed.notify_all()

    @hookimpl
    async def dbsbm_action(self, event: ActionEvent) -> None:
        async with self._changed:
            self.actions.append(event)
            self._changed.notify_all()

    async def wait_for(self, check: Callable[[], bool]) -> None:
        """Wait until ``check()`` holds (at most 5 s)."""
        async with asyncio.timeout(5.0), self._changed:
            await self._changed.wait_for(check)


@dataclass
class BetWorld:
    """The bot running the betting plugin, and the people acting on it.

    Alice: Manage Server. Bob: a plain member. Gina: the Graders role. Cody: the Cappers role.
    """

    discord: LocalDiscord
    app: App
    alice: Actor
    bob: Actor
    gina: Actor
    cody: Actor
    probe: Probe

    @property
    def guild_id(self) -> int:
        return self.discord.guild.id

    def role_id(self, name: str) -> int:
        return self.discord.guild.role(name).id

    def channel_id(self, name: str) -> int:
        return self.discord.guild.channel(name).id


@asynccontextmanager
async def running(
    data_dir: Path, database_url: str | None = None, **betting: Any
) -> AsyncIterator[BetWorld]:
    async with LocalDiscord() as discord:
        guild = discord.guild
        guild.add_member("Gina", roles=[guild.add_role("Graders")])
        guild.add_member("Cody", roles=[guild.add_role("Cappers")])
        settings = {
            "web": {"enabled": False},
            "ratelimit": {"default": "10000/60s", "commands": {}},
            "plugins": {"betting": {"leaderboard_min_picks": 1, **betting}},
        }
        async with run_app(
            discord, data_dir, plugins=["betting"], settings=settings, database_url=database_url
        ) as app:
            assert app.plugins.is_loaded("betting"), app.plugins.records["betting"].error
            probe = Probe()
            app.pm.register(probe, name="betting-test-probe")
            yield BetWorld(
                discord,
                app,
                discord.member("Alice"),
                discord.member("Bob"),
                discord.member("Gina"),
                discord.member("Cody"),
                probe,
            )
        assert not discord.spec_violations, discord.spec_violations


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[BetWorld]:
    """The bot with only the betting plugin, on a fresh SQLite database."""
    async with running(tmp_path) as w:
        yield w
