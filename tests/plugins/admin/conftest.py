"""Fixtures of the admin plugin's tests (``discord`` for the dashboard's pages is in
tests/fixtures/dashboard_site.py)."""

from __future__ import annotations

import pytest
from dashboard_site import discord  # noqa: F401

from core.testing.driver import Actor
from core.testing.server import LocalDiscord


@pytest.fixture
def owner(local_discord: LocalDiscord) -> Actor:
    """The bot's owner, who also owns "Test Guild"."""
    return local_discord.member("Owner")
