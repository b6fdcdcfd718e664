"""The Greeter bot against the local Discord, in pytest: ``pytest examples/discordpy_bot``.

``local_discord``, ``alice`` and ``bob`` are fixtures of DBSBM's pytest plugin (installed with
DBSBM); ``connect_discordpy`` points discord.py at the local Discord and starts the bot."""

from collections.abc import AsyncIterator

import pytest
from greeter import Greeter

from core.testing import LocalDiscord
from core.testing.discordpy import connect_discordpy
from core.testing.driver import Actor


@pytest.fixture
async def bot(local_discord: LocalDiscord) -> AsyncIterator[Greeter]:
    async with connect_discordpy(Greeter(guild_ready_timeout=0.05), local_discord) as bot:
        yield bot


async def test_greet_and_wave(bot: Greeter, alice: Actor, bob: Actor) -> None:
    response = await alice.slash("greet", who="Bob")
    reply = await response.wait_reply()
    assert reply.message.content == "Hello Bob!"
    assert [c.label for c in reply.message.components] == ["Wave"]

    await (await bob.click(reply.message, "Wave")).wait_reply()
    assert response.message.content == "Bob waved"  # @original as it is now
    assert response.message.components == ()


async def test_count_defers_then_follows_up(bot: Greeter, alice: Actor) -> None:
    response = await alice.slash("count", upto=3)
    reply = await response.wait_reply()  # the deferred answer, finished by the first followup
    assert reply.deferred and reply.message.content == "1"
    await response.wait_followup()
    assert [(await response.wait_followup()).content for _ in range(2)] == ["2", "3"]
