"""hikari 2.7.0, unmodified, against the local Discord: it logs in, syncs a slash command and
answers interactions in every way Discord offers (message, ephemeral, defer and followups, edit
of the original, a button, a select, a modal), waits out a 429, and survives op 7, op 9 and a
dropped socket.

hikari needs nothing patched: ``rest_url`` is one of its arguments and it asks
``GET /gateway/bot`` for the gateway. It reads the bot's id out of the token, sends gateway JSON
in binary frames, asks for zlib-stream compression, asks ``?with_response=true`` of callbacks and
reads every component's ``id``; an error hikari logs (a payload it could not read, a bucket where
Discord sends none) fails the test.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import hikari
import pytest

from core.testing.driver import Actor
from core.testing.server import LocalDiscord

Handler = Callable[[hikari.CommandInteraction], Awaitable[None]]


class _Errors(logging.Handler):
    """The errors a logger (and its children) logged."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


class HikariBot:
    """A plain hikari bot: slash commands synced to the guild, a button, a select and a modal;
    ``errors`` collects what hikari logs as an error."""

    def __init__(self, discord: LocalDiscord) -> None:
        self.discord = discord
        self.errors = _Errors()
        self.bot = hikari.GatewayBot(
            discord.token,
            rest_url=discord.api_base,
            banner=None,
            intents=hikari.Intents.ALL_UNPRIVILEGED,
        )
        self.commands: dict[str, Handler] = {
            "say": self.say,
            "secret": self.secret,
            "slow": self.slow,
            "edit": self.edit,
            "menu": self.menu,
            "feedback": self.feedback,
            "post": self.post,
        }
        self.bot.subscribe(hikari.InteractionCreateEvent, self.on_interaction)

    async def sync(self) -> None:
        rest = self.bot.rest
        application = await rest.fetch_application()
        text = hikari.CommandOption(
            type=hikari.OptionType.STRING, name="text", description="What", is_required=True
        )
        builders = [
            rest.slash_command_builder(name, f"The {name} command") for name in self.commands
        ]
        builders[0].add_option(text)
        await rest.set_application_commands(application.id, builders, self.discord.guild.id)

    async def on_interaction(self, event: hikari.InteractionCreateEvent) -> None:
        interaction = event.interaction
        if isinstance(interaction, hikari.CommandInteraction):
            await self.commands[interaction.command_name](interaction)
        elif isinstance(interaction, hikari.ComponentInteraction):
            if interaction.custom_id == "press":
                await interaction.create_initial_response(
                    hikari.ResponseType.MESSAGE_UPDATE,
                    f"pressed by {interaction.user.username}",
                    components=[],
                )
            else:
                await interaction.create_initial_response(
                    hikari.ResponseType.MESSAGE_CREATE, f"picked {', '.join(interaction.values)}"
                )
        elif isinstance(interaction, hikari.ModalInteraction):
            [row] = interaction.components
            [field] = row.components
            assert isinstance(field, hikari.TextInputComponent)
            await interaction.create_initial_response(
                hikari.ResponseType.MESSAGE_CREATE,
                f"thanks for: {field.value}",
                flags=hikari.MessageFlag.EPHEMERAL,
            )

    async def say(self, interaction: hikari.CommandInteraction) -> None:
        [option] = interaction.options or []
        await interaction.create_initial_response(
            hikari.ResponseType.MESSAGE_CREATE, f"you said {option.value}"
        )

    async def secret(self, interaction: hikari.CommandInteraction) -> None:
        await interaction.create_initial_response(
            hikari.ResponseType.MESSAGE_CREATE, "only you", flags=hikari.MessageFlag.EPHEMERAL
        )

    async def slow(self, interaction: hikari.CommandInteraction) -> None:
        await interaction.create_initial_response(hikari.ResponseType.DEFERRED_MESSAGE_CREATE)
        await interaction.edit_initial_response("done")
        await interaction.execute("one")
        await interaction.execute("two")

    async def edit(self, interaction: hikari.CommandInteraction) -> None:
        await interaction.create_initial_response(hikari.ResponseType.MESSAGE_CREATE, "first")
        await interaction.edit_initial_response("second")

    async def menu(self, interaction: hikari.CommandInteraction) -> None:
        rest = self.bot.rest
        buttons = rest.build_message_action_row().add_interactive_button(
            hikari.ButtonStyle.PRIMARY, "press", label="Press"
        )
        teams = rest.build_message_action_row()
        menu = teams.add_text_menu("team", placeholder="Team", min_values=1)
        menu.add_option("Mets", "mets").add_option("Yankees", "yankees")
        await interaction.create_initial_response(
            hikari.ResponseType.MESSAGE_CREATE, "choose", components=[buttons, teams]
        )

    async def feedback(self, interaction: hikari.CommandInteraction) -> None:
        row = self.bot.rest.build_modal_action_row().add_text_input("text", "Your words")
        await interaction.create_modal_response("Feedback", "feedback", component=row)

    async def post(self, interaction: hikari.CommandInteraction) -> None:
        picks = self.discord.guild.channel("picks").id
        await self.bot.rest.create_message(picks, "Weekly report")
        await interaction.create_initial_response(hikari.ResponseType.MESSAGE_CREATE, "posted")


@pytest.fixture
async def hikari_bot(local_discord: LocalDiscord) -> AsyncIterator[HikariBot]:
    """The bot, started and synced; the test fails if hikari logged an error meanwhile."""
    bot = HikariBot(local_discord)
    logger = logging.getLogger("hikari")
    logger.addHandler(bot.errors)
    try:
        await bot.bot.start()
        await bot.sync()
        yield bot
    finally:
        await bot.bot.close()
        logger.removeHandler(bot.errors)
    assert bot.errors.messages == []


async def test_hikari_logs_in_with_the_bot_and_syncs_its_commands(
    local_discord: LocalDiscord, hikari_bot: HikariBot
) -> None:
    me = hikari_bot.bot.get_me()
    assert me is not None and me.id == local_discord.bot_user.id
    assert hikari.applications.get_token_id(local_discord.token) == local_discord.bot_user.id
    assert hikari_bot.bot.cache.get_guild(local_discord.guild.id) is not None
    guild_commands = local_discord.world.commands_of(local_discord.guild.id)
    assert sorted(c.name for c in guild_commands) == sorted(hikari_bot.commands)
    assert local_discord.gateway.handshakes == ["IDENTIFY"]


async def test_a_command_is_answered_with_a_message(hikari_bot: HikariBot, alice: Actor) -> None:
    reply = await (await alice.slash("say", text="hi")).wait_reply()
    assert reply.message is not None and reply.message.content == "you said hi"
    assert not reply.ephemeral


async def test_an_ephemeral_reply_is_seen_by_the_member_alone(
    local_discord: LocalDiscord, hikari_bot: HikariBot, alice: Actor
) -> None:
    reply = await (await alice.slash("secret")).wait_reply()
    assert reply.message is not None and reply.message.ephemeral
    assert reply.message.content == "only you"
    assert [m.content for m in local_discord.messages()] == []


async def test_a_deferred_reply_is_finished_and_followed_up(
    hikari_bot: HikariBot, alice: Actor
) -> None:
    response = await alice.slash("slow")
    reply = await response.wait_reply()
    assert reply.deferred and reply.message is not None and reply.message.content == "done"
    followups = [await response.wait_followup(), await response.wait_followup()]
    assert [m.content for m in followups] == ["one", "two"]


async def test_the_original_response_is_edited(hikari_bot: HikariBot, alice: Actor) -> None:
    response = await alice.slash("edit")
    assert (await response.wait_reply()).message is not None
    assert (await response.wait_edit()).content == "second"


async def test_a_button_the_member_presses_updates_its_message(
    local_discord: LocalDiscord, hikari_bot: HikariBot, alice: Actor
) -> None:
    message = (await (await alice.slash("menu")).wait_reply()).message
    assert message is not None and message.component("Press").raw["id"] == 2
    pressed = await (await alice.click(message, "Press")).wait_reply()
    assert pressed.type == 7
    [shown] = local_discord.messages()
    assert (shown.id, shown.content, shown.components) == (message.id, "pressed by Alice", ())


async def test_a_select_is_answered(hikari_bot: HikariBot, alice: Actor) -> None:
    message = (await (await alice.slash("menu")).wait_reply()).message
    assert message is not None
    reply = await (await alice.select(message, ["yankees"])).wait_reply()
    assert reply.message is not None and reply.message.content == "picked yankees"


async def test_a_modal_is_opened_and_its_submission_answered(
    hikari_bot: HikariBot, alice: Actor
) -> None:
    opened = await (await alice.slash("feedback")).wait_reply()
    assert opened.modal is not None and opened.modal.title == "Feedback"
    reply = await (await alice.submit_modal(opened.modal, text="great")).wait_reply()
    assert reply.message is not None and reply.message.ephemeral
    assert reply.message.content == "thanks for: great"


@pytest.mark.parametrize("is_global", [False, True], ids=["route", "global"])
async def test_a_429_is_waited_out_and_retried(
    local_discord: LocalDiscord, hikari_bot: HikariBot, alice: Actor, is_global: bool
) -> None:
    local_discord.faults.rate_limit(
        "POST", "/channels/{channel_id}/messages", is_global=is_global, retry_after=0.2
    )
    reply = await (await alice.slash("post")).wait_reply()
    assert reply.message is not None and reply.message.content == "posted"
    assert (await local_discord.wait_for_message("picks")).content == "Weekly report"
    posts = [r.status for r in local_discord.requests if r.path.endswith("/messages")]
    assert posts == [429, 200]
    if is_global:  # hikari logs a global limit as an error, as it would on Discord
        assert [m for m in hikari_bot.errors.messages if "global bucket" in m]
        hikari_bot.errors.messages.clear()


async def test_op_7_reconnect_is_resumed(
    local_discord: LocalDiscord, hikari_bot: HikariBot, alice: Actor
) -> None:
    assert await local_discord.faults.request_reconnect() == "RESUME"
    reply = await (await alice.slash("say", text="back")).wait_reply()
    assert reply.message is not None and reply.message.content == "you said back"


async def test_op_9_invalid_session_identifies_again(
    local_discord: LocalDiscord, hikari_bot: HikariBot, alice: Actor
) -> None:
    assert await local_discord.faults.invalidate_session() == "IDENTIFY"
    reply = await (await alice.slash("say", text="anew")).wait_reply()
    assert reply.message is not None and reply.message.content == "you said anew"


async def test_a_dropped_socket_is_resumed(
    local_discord: LocalDiscord, hikari_bot: HikariBot, alice: Actor
) -> None:
    assert await local_discord.faults.drop_gateway() == "RESUME"
    reply = await (await alice.slash("say", text="again")).wait_reply()
    assert reply.message is not None and reply.message.content == "you said again"
