"""discord.py 2.7.1, unmodified, against the local Discord: it logs in, syncs its slash commands
and answers them in every way Discord offers (message, ephemeral, defer and followups, edit of
the original, a button, a select, a modal, a DM), sees message content only as its intents allow,
waits out a 429, and survives op 7, op 9 and a dropped socket. discord.py is pointed at the
local Discord by :mod:`core.testing.discordpy`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands

from core.testing.discordpy import connect_discordpy
from core.testing.driver import Actor
from core.testing.server import LocalDiscord


class Pressed(discord.ui.View):
    """A button and a select; each answers by editing the message it sits on."""

    @discord.ui.button(label="Press", custom_id="press")
    async def press(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pressed]
    ) -> None:
        await interaction.response.edit_message(
            content=f"pressed by {interaction.user.name}", view=None
        )

    @discord.ui.select(
        custom_id="team",
        options=[discord.SelectOption(label=t, value=t.lower()) for t in ("Mets", "Yankees")],
    )
    async def team(
        self, interaction: discord.Interaction, select: discord.ui.Select[Pressed]
    ) -> None:
        await interaction.response.send_message(f"picked {', '.join(select.values)}")


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your words", custom_id="text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks for: {self.text.value}", ephemeral=True)


class Bot(discord.Client):
    """A plain discord.py bot: a command tree synced globally at start."""

    def __init__(self, intents: discord.Intents | None = None) -> None:
        super().__init__(intents=intents or discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.synced: list[app_commands.AppCommand] = []
        self.heard: asyncio.Queue[discord.Message] = asyncio.Queue()
        tree = self.tree

        @tree.command()
        async def say(interaction: discord.Interaction, text: str) -> None:
            """Say it back."""
            await interaction.response.send_message(f"you said {text}")

        @tree.command()
        async def secret(interaction: discord.Interaction) -> None:
            """An ephemeral answer."""
            await interaction.response.send_message("only you see this", ephemeral=True)

        @tree.command()
        async def slow(interaction: discord.Interaction) -> None:
            """Defer, then two followups."""
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("first")
            await interaction.followup.send("second")

        @tree.command()
        async def draft(interaction: discord.Interaction) -> None:
            """Answer, then edit the answer."""
            await interaction.response.send_message("draft")
            await interaction.edit_original_response(content="final")

        @tree.command()
        async def panel(interaction: discord.Interaction) -> None:
            """A button and a select."""
            await interaction.response.send_message("choose", view=Pressed())

        @tree.command()
        async def feedback(interaction: discord.Interaction) -> None:
            """A modal."""
            await interaction.response.send_modal(Feedback())

        @tree.command()
        async def dm(interaction: discord.Interaction) -> None:
            """Write to the member in a DM, then answer."""
            await interaction.user.send("a private word")
            await interaction.response.send_message("sent you a DM", ephemeral=True)

    async def setup_hook(self) -> None:
        self.synced = await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        await self.heard.put(message)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py's documented hook, without its 5 s wait before a re-IDENTIFY."""


@pytest.fixture
async def bot(local_discord: LocalDiscord) -> AsyncIterator[Bot]:
    async with connect_discordpy(Bot(), local_discord) as client:
        yield client


async def test_logs_in_and_syncs_its_commands(bot: Bot, local_discord: LocalDiscord) -> None:
    registered = {c.name for c in local_discord.world.commands_of(None)}
    assert registered == {"say", "secret", "slow", "draft", "panel", "feedback", "dm"}
    assert {c.name for c in bot.synced} == registered
    assert bot.user is not None and bot.user.id == local_discord.bot_user.id
    assert [g.name for g in bot.guilds] == ["Test Guild"]


async def test_message(bot: Bot, alice: Actor) -> None:
    reply = await (await alice.slash("say", text="hi")).wait_reply()
    assert reply.message is not None and reply.message.content == "you said hi"
    assert not reply.ephemeral


async def test_ephemeral_reply(bot: Bot, alice: Actor, local_discord: LocalDiscord) -> None:
    reply = await (await alice.slash("secret")).wait_reply()
    assert reply.ephemeral and reply.message is not None
    assert reply.message.content == "only you see this"
    assert all(m.content != "only you see this" for m in local_discord.messages())


async def test_defer_and_followups(bot: Bot, alice: Actor) -> None:
    response = await alice.slash("slow")
    reply = await response.wait_reply()
    assert reply.deferred and reply.message is not None and reply.message.content == "first"
    await response.wait_followup()
    assert (await response.wait_followup()).content == "second"


async def test_edit_of_the_original(bot: Bot, alice: Actor) -> None:
    response = await alice.slash("draft")
    assert (await response.wait_reply()).message.content == "draft"  # type: ignore[union-attr]
    assert (await response.wait_edit()).content == "final"


async def test_button(bot: Bot, alice: Actor) -> None:
    panel = await (await alice.slash("panel")).wait_reply()
    assert panel.message is not None
    pressed = await (await alice.click(panel.message, "Press")).wait_reply()
    assert pressed.type == 7
    assert pressed.message is not None and pressed.message.content == "pressed by Alice"
    assert pressed.message.components == ()


async def test_select(bot: Bot, alice: Actor) -> None:
    panel = await (await alice.slash("panel")).wait_reply()
    assert panel.message is not None
    picked = await (await alice.select(panel.message, ["mets"])).wait_reply()
    assert picked.message is not None and picked.message.content == "picked mets"


async def test_modal(bot: Bot, alice: Actor) -> None:
    opened = await (await alice.slash("feedback")).wait_reply()
    assert opened.modal is not None and opened.modal.title == "Feedback"
    submitted = await (await alice.submit_modal(opened.modal, text="great")).wait_reply()
    assert submitted.ephemeral
    assert submitted.message is not None and submitted.message.content == "thanks for: great"


async def test_dm(bot: Bot, alice: Actor, local_discord: LocalDiscord) -> None:
    """discord.py opens the DM with an integer ``recipient_id``, as Discord accepts."""
    await (await alice.slash("dm")).wait_reply()
    channel = local_discord.world.dm_channel(alice.member.user)
    assert [m["content"] for m in local_discord.channel_messages(channel.id)] == ["a private word"]


async def test_message_content_needs_the_intent_or_a_mention(
    bot: Bot, alice: Actor, local_discord: LocalDiscord
) -> None:
    """The bot asks for the default intents, without MESSAGE_CONTENT."""
    await alice.say("hello all")
    await alice.say(f"<@{local_discord.bot_user.id}> hello bot")
    hidden = await asyncio.wait_for(bot.heard.get(), 2)
    mentioned = await asyncio.wait_for(bot.heard.get(), 2)
    assert (hidden.content, hidden.author.name) == ("", "Alice")
    assert mentioned.content.endswith("hello bot") and bot.user in mentioned.mentions


async def test_members_only_with_the_privileged_intents(local_discord: LocalDiscord) -> None:
    """Without GUILD_PRESENCES, GUILD_CREATE holds the bot's member alone; with GUILD_MEMBERS,
    discord.py asks for the whole member list (op 8) before it is ready, and gets it."""
    everyone = sorted(m.name for m in local_discord.guild.members)
    async with connect_discordpy(Bot(), local_discord) as plain:
        alone = [m.name for m in plain.guilds[0].members]
    privileged = discord.Intents.default()
    privileged.members = True
    async with connect_discordpy(Bot(privileged), local_discord) as bot:
        members = sorted(m.name for m in bot.guilds[0].members)
    assert alone == [local_discord.bot_user.name]
    assert members == everyone


async def test_a_privileged_intent_the_application_lacks_stops_it() -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    async with LocalDiscord(privileged_intents=0) as local:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with connect_discordpy(Bot(intents), local):
                pass


async def test_waits_out_a_429_and_retries(
    bot: Bot, alice: Actor, local_discord: LocalDiscord
) -> None:
    local_discord.faults.rate_limit("POST", "/interactions/*", retry_after=0.05)
    reply = await (await alice.slash("say", text="again")).wait_reply()
    assert reply.message is not None and reply.message.content == "you said again"
    callbacks = [r.status for r in local_discord.requests if r.path.startswith("/interactions/")]
    assert callbacks == [429, 200]


@pytest.mark.parametrize(
    ("fault", "handshake"),
    [
        ("request_reconnect", "RESUME"),
        ("invalidate_session", "IDENTIFY"),
        ("drop_gateway", "RESUME"),
    ],
    ids=["op 7", "op 9", "dropped socket"],
)
async def test_survives_the_gateway_going_away(
    bot: Bot, alice: Actor, local_discord: LocalDiscord, fault: str, handshake: str
) -> None:
    assert await getattr(local_discord.faults, fault)() == handshake
    reply = await (await alice.slash("say", text="still here")).wait_reply()
    assert reply.message is not None and reply.message.content == "you said still here"
