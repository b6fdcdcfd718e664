"""The complete example of docs/TESTING_PLUGINS.md, kept working."""

from collections.abc import AsyncIterator

import disnake
import pytest
from disnake.ext import commands

from core.testing import LocalDiscord, bot_kwargs, connect_bot
from core.testing.driver import Actor


def make_bot(discord: LocalDiscord) -> commands.InteractionBot:
    bot = commands.InteractionBot(**bot_kwargs(discord))

    @bot.slash_command()
    async def greet(inter: disnake.ApplicationCommandInteraction, who: disnake.Member) -> None:
        """Greet a member, with a button to wave back."""
        wave = disnake.ui.Button(label="Wave", custom_id="wave")
        await inter.response.send_message(f"Hello {who.display_name}!", components=[wave])

    @bot.listen("on_button_click")
    async def wave(inter: disnake.MessageInteraction) -> None:
        await inter.response.edit_message(f"{inter.author.display_name} waved", components=[])

    return bot


@pytest.fixture
async def bot(local_discord: LocalDiscord) -> AsyncIterator[commands.InteractionBot]:
    async with connect_bot(make_bot(local_discord), local_discord) as bot:
        yield bot


async def test_greet_and_wave(bot: commands.InteractionBot, alice: Actor, bob: Actor) -> None:
    response = await alice.slash("greet", who="Bob")
    reply = await response.wait_reply()
    assert reply.message.content == "Hello Bob!"
    assert [c.label for c in reply.message.components] == ["Wave"]

    await (await bob.click(reply.message, "Wave")).wait_reply()
    assert response.message.content == "Bob waved"  # @original as it is now
    assert response.message.components == ()


def test_the_docs_show_these_examples_verbatim() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "TESTING_PLUGINS.md").read_text(encoding="utf-8")
    here = Path(__file__).parent
    plugin_example = (here / "test_kit_docs_plugin_example.py").read_text(encoding="utf-8")
    assert "# tests/test_hello.py\n" + plugin_example + "```" in docs
    own = (here / "test_kit_docs_example.py").read_text(encoding="utf-8")
    greeter = own[own.index("from collections.abc") : own.index("\n\ndef test_the_docs_show")]
    assert greeter.strip() in docs
