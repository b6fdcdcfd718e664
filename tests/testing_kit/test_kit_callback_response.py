"""``POST /interactions/{id}/{token}/callback?with_response=true``: Discord answers 200 with an
``InteractionCallbackResponse`` (what discord.py and hikari ask for), not 204."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import disnake
import pytest
from disnake.ext import commands

from core.testing import LocalDiscord, bot_kwargs, connect_bot
from core.testing.spec import SpecChecker, default_spec_path


@pytest.fixture
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


async def answer(discord: LocalDiscord, body: dict[str, Any], query: str) -> tuple[int, Any]:
    """Alice runs ``/hold`` (which never answers); the test answers it with ``body``."""
    bot = commands.InteractionBot(**bot_kwargs(discord))
    release = asyncio.Event()

    @bot.slash_command()
    async def hold(inter: disnake.ApplicationCommandInteraction) -> None:
        """Wait until the test is done."""
        await release.wait()

    async with connect_bot(bot, discord):
        record = (await discord.member("Alice").slash("hold")).record
        url = f"{discord.api_base}/interactions/{record.id}/{record.token}/callback{query}"
        try:
            async with aiohttp.ClientSession() as http, http.post(url, json=body) as reply:
                return reply.status, (await reply.json() if reply.status == 200 else None)
        finally:
            release.set()


@pytest.mark.parametrize(
    ("body", "resource"),
    [
        ({"type": 4, "data": {"content": "hi", "flags": 64}}, True),
        ({"type": 5, "data": {}}, False),
    ],
    ids=["message", "defer"],
)
async def test_with_response_answers_an_interaction_callback_response(
    discord: LocalDiscord, body: dict[str, Any], resource: bool
) -> None:
    status, answered = await answer(discord, body, "?with_response=true")
    assert status == 200
    interaction = answered["interaction"]
    assert interaction["type"] == 2 and interaction["response_message_id"]
    assert interaction["response_message_loading"] is (body["type"] == 5)
    assert interaction["response_message_ephemeral"] is (body["type"] == 4)
    assert ("resource" in answered) is resource
    if resource:
        message = answered["resource"]["message"]
        assert answered["resource"]["type"] == 4 and message["content"] == "hi"
        assert message["id"] == interaction["response_message_id"]
    checker = SpecChecker.load(default_spec_path())
    if checker is None:
        pytest.skip("Discord's OpenAPI description is not beside the checkout")
    assert checker.schema_errors("InteractionCallbackResponse", answered) == []


async def test_without_it_the_answer_stays_204(discord: LocalDiscord) -> None:
    assert await answer(discord, {"type": 4, "data": {"content": "hi"}}, "") == (204, None)
