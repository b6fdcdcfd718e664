"""pytest fixtures of the local Discord (registered as the ``pytest11`` entry point ``dbsbm``).

- ``local_discord``: a started :class:`LocalDiscord` with the default world. At teardown the
  test fails if the bot made a request that Discord's OpenAPI description rejects (a test that
  provokes one on purpose clears ``local_discord.spec_violations``), and unknown routes the
  bot called are reported as a warning.
- ``alice``, ``bob``: :class:`Actor` handles on the default world's members.
- ``dbsbm_events``: an :class:`EventRecorder` of the ``dbsbm`` App's events.
- ``dbsbm``: the framework's :class:`~core.app.App` with chosen plugins on a fresh database,
  connected to ``local_discord`` (``@pytest.mark.dbsbm(plugins=[...], settings={...})``).
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from core.app import App
from core.testing.driver import Actor
from core.testing.events import EventRecorder
from core.testing.harness import run_app
from core.testing.server import LocalDiscord


class UnknownDiscordRouteWarning(UserWarning):
    """The bot called a route the local Discord does not serve (it answered 404)."""


@pytest_asyncio.fixture
async def local_discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as discord:
        yield discord
    if discord.unknown_routes:
        warnings.warn(
            f"The bot called routes the local Discord does not serve: {discord.unknown_routes}",
            UnknownDiscordRouteWarning,
            stacklevel=1,
        )
    if discord.spec_violations:
        lines = "\n".join(f"  {v}" for v in discord.spec_violations)
        pytest.fail(f"Requests that Discord's OpenAPI description rejects:\n{lines}")


@pytest.fixture
def alice(local_discord: LocalDiscord) -> Actor:
    """Alice, who may manage the server, in #general of "Test Guild"."""
    return local_discord.member("Alice")


@pytest.fixture
def bob(local_discord: LocalDiscord) -> Actor:
    """Bob, a plain member, in #general of "Test Guild"."""
    return local_discord.member("Bob")


def pytest_configure(config: pytest.Config) -> None:
    # The bots of a test run are a cluster of their own: a test bot on a shared Redis never
    # sees (or is seen by) another run's processes, nor the deployed bot's.
    os.environ.setdefault("DBSBM_CLUSTER__KEY", f"dbsbm-test:{secrets.token_hex(6)}")
    config.addinivalue_line(
        "markers",
        "dbsbm(plugins=None, settings=None, database_url=None, local_plugins=True): "
        "arguments of the dbsbm fixture's App (see core.testing.harness.run_app)",
    )


@pytest_asyncio.fixture
async def dbsbm(
    local_discord: LocalDiscord, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[App]:
    """The framework's bot, started with a fresh SQLite database and connected to
    ``local_discord``; ``@pytest.mark.dbsbm(plugins=[...], settings={...})`` chooses the plugins
    (default: every local plugin) and overrides settings sections."""
    marker = request.node.get_closest_marker("dbsbm")
    kwargs = dict(marker.kwargs) if marker else {}
    async with run_app(local_discord, tmp_path, **kwargs) as app:
        yield app


@pytest.fixture
def dbsbm_events(dbsbm: App) -> EventRecorder:
    """Every command, security and action event of the ``dbsbm`` App, with ``wait(match)``."""
    return EventRecorder.attach(dbsbm)
