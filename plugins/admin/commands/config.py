"""``/config`` (owner only): the settings in use as JSON, every secret masked."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.plugin import PluginContext
from core.settings import settings_summary
from plugins.admin.access import require_owner

if TYPE_CHECKING:
    from core.app import App


def config_text(app: App) -> str:
    """The effective settings as JSON, every secret masked."""
    return json.dumps(settings_summary(app.settings), indent=2, default=str)


def build(ctx: PluginContext) -> commands.InvokableSlashCommand:
    @commands.slash_command(
        name="config", description="The settings in use, secrets masked (owner only)."
    )
    async def config(inter: ApplicationCommandInteraction) -> None:
        """A JSON block in the reply, or a ``config.json`` file when it is too long for one."""
        await require_owner(ctx, inter)
        text = config_text(ctx.app)
        block = f"```json\n{text}\n```"
        if len(block) <= discord_limits.CONTENT:
            await inter.response.send_message(block, ephemeral=True)
            return
        file = disnake.File(io.BytesIO(text.encode()), filename="config.json")
        await inter.response.send_message(
            "The settings in use (secrets masked):", file=file, ephemeral=True
        )

    return config
