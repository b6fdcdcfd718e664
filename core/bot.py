"""The disnake bot, wired to the interaction pipeline of its :class:`~core.app.App`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import disnake
from disnake.ext import commands
from disnake.interactions import (
    ApplicationCommandInteraction,
    MessageInteraction,
    ModalInteraction,
)

if TYPE_CHECKING:
    from core.app import App


# a text bot: no voice, so no warning about missing voice libraries
disnake.VoiceClient.warn_nacl = disnake.VoiceClient.warn_dave = False


class DBSBMBot(commands.InteractionBot):
    """An interaction bot whose every interaction goes through :class:`core.pipeline.Pipeline`."""

    def __init__(self, app: App, **kwargs: Any):
        discord = app.settings.discord
        kwargs.setdefault("intents", disnake.Intents.default())
        if discord.owner_ids:
            kwargs.setdefault("owner_ids", set(discord.owner_ids))
        if discord.test_guilds:
            kwargs.setdefault("test_guilds", discord.test_guilds)
        if discord.shard_count is not None:
            kwargs.setdefault("shard_count", discord.shard_count)
        if discord.shard_ids is not None:
            kwargs.setdefault("shard_ids", discord.shard_ids)
        kwargs.setdefault("guild_ready_timeout", discord.guild_ready_timeout)
        super().__init__(**kwargs)
        self.app = app

    async def on_application_command(self, interaction: ApplicationCommandInteraction) -> None:
        await self.app.pipeline.on_command(interaction)

    async def on_application_command_autocomplete(
        self, interaction: ApplicationCommandInteraction
    ) -> None:
        await self.app.pipeline.on_autocomplete(interaction)

    async def on_message_interaction(self, interaction: MessageInteraction) -> None:
        await self.app.pipeline.on_component(interaction)

    async def on_modal_submit(self, interaction: ModalInteraction) -> None:
        await self.app.pipeline.on_component(interaction)
