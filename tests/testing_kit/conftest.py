"""Fixtures of the testing kit's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from disnake.ext import commands
from kit_bot import Seen, make_bot

from core.testing.client import connect_bot
from core.testing.server import LocalDiscord
from core.testing.spec import SpecChecker, default_spec_path


@pytest.fixture
async def kit_bot(
    local_discord: LocalDiscord,
) -> AsyncIterator[tuple[commands.InteractionBot, Seen]]:
    bot, seen = make_bot(local_discord)
    async with connect_bot(bot, local_discord):
        yield bot, seen


@pytest.fixture
def checker() -> SpecChecker:
    """The checker of Discord's OpenAPI description (the test skips without the file)."""
    found = SpecChecker.load(default_spec_path())
    if found is None:
        pytest.skip("Discord's OpenAPI description is not beside the checkout")
    return found
