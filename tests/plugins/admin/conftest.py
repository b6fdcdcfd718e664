"""Fixtures of the admin plugin's tests."""

from __future__ import annotations

import pytest
from admin_support import Recorder

from core.app import App
from core.testing.driver import Actor
from core.testing.server import LocalDiscord


@pytest.fixture
def recorder(dbsbm: App) -> Recorder:
    found = Recorder()
    dbsbm.pm.register(found, name="test.recorder")
    return found


@pytest.fixture
def owner(local_discord: LocalDiscord) -> Actor:
    """The bot's owner, who also owns "Test Guild"."""
    return local_discord.member("Owner")
