"""Fixtures of the testing kit's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from disnake.ext import commands
from kit_bot import Seen, make_bot

from core.testing.client import connect_bot
from core.testing.server import LocalDiscord


@pytest.fixture
async def kit_bot(
    local_discord: LocalDiscord,
) -> AsyncIterator[tuple[commands.InteractionBot, Seen]]:
    bot, seen = make_bot(local_discord)
    async with connect_bot(bot, local_discord):
        yield bot, seen
