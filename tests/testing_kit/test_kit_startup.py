"""Connecting a bot that never gets ready (core.testing.startup through ``connect_bot``): its own
error reaches the test, and the bot is closed with disnake's address restored."""

from __future__ import annotations

import disnake
import pytest
from disnake.ext import commands
from disnake.http import Route

from core.testing.client import DiscordEndpoint, bot_kwargs, connect_bot
from core.testing.server import LocalDiscord


async def test_a_bot_whose_login_fails_raises_its_own_error(local_discord: LocalDiscord) -> None:
    before = Route.BASE
    bot = commands.InteractionBot(**bot_kwargs(local_discord))
    wrong = DiscordEndpoint(local_discord.api_base, "not-the-token", local_discord.owner.id)
    with pytest.raises(disnake.LoginFailure):
        async with connect_bot(bot, wrong):
            pytest.fail("the bot got ready with a wrong token")
    assert bot.is_closed() and Route.BASE == before


async def test_bots_ended_in_any_order_leave_disnakes_address_as_it_was(
    local_discord: LocalDiscord,
) -> None:
    before = Route.BASE
    first, second = (
        connect_bot(commands.InteractionBot(**bot_kwargs(local_discord)), local_discord)
        for _ in range(2)
    )
    await first.__aenter__()
    await second.__aenter__()
    await first.__aexit__(None, None, None)  # the first one ends first, as gather may have it
    assert Route.BASE == local_discord.api_base  # the second still runs on the local Discord
    await second.__aexit__(None, None, None)
    assert Route.BASE == before
