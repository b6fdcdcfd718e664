"""Fixtures of the admin plugin's tests."""

from __future__ import annotations

import pytest

from core.testing.driver import Actor
from core.testing.server import LocalDiscord


@pytest.fixture
def owner(local_discord: LocalDiscord) -> Actor:
    """The bot's owner, who also owns "Test Guild"."""
    return local_discord.member("Owner")
