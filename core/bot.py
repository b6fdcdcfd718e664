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

from core.compat.disnake import GatedIdentify, trace_requests
from core.discord_budget import DiscordBudget

if TYPE_CHECKING:
    from core.app import App


# a text bot: no voice, so no warning about missing voice libraries
disnake.VoiceClient.warn_nacl = disnake.VoiceClient.warn_dave = False


def bot_options(app: App, **kwargs: Any) -> dict[str, Any]:
    """The disnake constructor arguments from ``[discord]``; ``kwargs`` win.

    Nothing the bot sends pings anyone unless the message says so: the client's default allowed
    mentions permit none, and disnake merges a message's own ``allowed_mentions`` (e.g.
    ``AllowedMentions(users=[member])``) into it. Members' text is never rewritten for this."""
    discord = app.settings.discord
    kwargs.setdefault("intents", disnake.Intents.default())
    kwargs.setdefault("allowed_mentions", disnake.AllowedMentions.none())
    if discord.owner_ids:
        kwargs.setdefault("owner_ids", set(discord.owner_ids))
    if discord.test_guilds:
        kwargs.setdefault("test_guilds", discord.test_guilds)
    if discord.shard_count is not None:
        kwargs.setdefault("shard_count", discord.shard_count)
    if discord.shard_ids is not None:
        kwargs.setdefault("shard_ids", discord.shard_ids)
    kwargs.setdefault("guild_ready_timeout", discord.guild_ready_timeout)
    return kwargs


class _PipelineEvents:
    """Routes every interaction event of a disnake bot to the App's pipeline."""

    app: App

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


class _SharedLimits(GatedIdentify):
    """Discord's limits shared with the bot's other processes (:mod:`core.discord_budget`)
    when ``[discord] shared_limits`` has a Redis; disnake's own, per process, otherwise."""

    http: Any
    session_start_limit: disnake.SessionStartLimit | None
    budget: DiscordBudget | None = None

    def share_limits(self, budget: DiscordBudget | None) -> None:
        self.budget = budget
        if budget is not None:
            trace_requests(self.http, budget.trace_config())
            self.identify_gate = self._identify_when_free

    async def _identify_when_free(self, shard_id: int | None) -> bool:
        assert self.budget is not None  # nosec B101 # the gate is set with the budget
        limit = self.session_start_limit
        concurrency = limit.max_concurrency if limit is not None else 1
        return await self.budget.identify(self.http.token, shard_id, concurrency)

    async def close(self) -> None:
        await super().close()  # type: ignore[misc]
        if self.budget is not None:
            await self.budget.close()


class DBSBMBot(_PipelineEvents, _SharedLimits, commands.InteractionBot):  # type: ignore[misc]
    """An interaction bot whose every interaction goes through :class:`core.pipeline.Pipeline`."""

    def __init__(self, app: App, **kwargs: Any):
        super().__init__(**bot_options(app, **kwargs))
        self.app = app
        self.share_limits(DiscordBudget.from_settings(app.settings))


class ShardedDBSBMBot(  # type: ignore[misc]
    _PipelineEvents, _SharedLimits, commands.AutoShardedInteractionBot
):
    """The same bot running one or several shards in this process (``[discord] shard_ids``)."""

    def __init__(self, app: App, **kwargs: Any):
        super().__init__(**bot_options(app, **kwargs))
        self.app = app
        self.share_limits(DiscordBudget.from_settings(app.settings))


def make_bot(app: App, **kwargs: Any) -> DBSBMBot | ShardedDBSBMBot:
    """The sharded bot when ``[discord]`` names shards, the plain one otherwise."""
    discord = app.settings.discord
    if discord.shard_ids is not None or discord.shard_count is not None:
        return ShardedDBSBMBot(app, **kwargs)
    return DBSBMBot(app, **kwargs)
