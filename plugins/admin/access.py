"""Who may run the admin commands: the bot owner, or a guild admin (Manage Server).

Every refusal goes through :meth:`~core.plugin.PluginContext.refuse` (a ``permission_refused``
security event, and the member's message).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core.plugin import PluginContext
from core.recovery import UserError

if TYPE_CHECKING:
    from core.app import App

GUILD_ONLY = disnake.InteractionContextTypes(guild=True)


def command_name(inter: ApplicationCommandInteraction) -> str:
    """``/admin plugins``: the command as the member typed it."""
    return f"/{inter.application_command.qualified_name}"


async def require_owner(ctx: PluginContext, inter: ApplicationCommandInteraction) -> None:
    """Refuse unless the member is a bot owner (an owner-only security event)."""
    if ctx.is_owner(inter.author.id):
        return
    command = command_name(inter)
    await ctx.refuse(
        inter,
        f"Only the bot owner can use {command}.",
        f"{command} is for the bot owner",
        owner_only=True,
    )


async def require_guild_admin(ctx: PluginContext, inter: ApplicationCommandInteraction) -> int:
    """The guild's id, unless the member lacks Manage Server (refused)."""
    guild_id = inter.guild_id
    if guild_id is None:
        raise UserError("Use this command in a server.")
    member = inter.author
    allowed = isinstance(member, disnake.Member) and member.guild_permissions.manage_guild
    if allowed or ctx.is_owner(member.id):
        return guild_id
    await ctx.refuse(
        inter,
        "You need the Manage Server permission to change this server's plugins.",
        f"{command_name(inter)} needs Manage Server",
    )


def owner_embed_command(
    ctx: PluginContext,
    name: str,
    description: str,
    embed: Callable[[App], Awaitable[disnake.Embed]],
) -> commands.InvokableSlashCommand:
    """A command that shows the bot owner the embed ``embed`` makes (an ephemeral reply)."""

    @commands.slash_command(name=name, description=description)
    async def command(inter: ApplicationCommandInteraction) -> None:
        await require_owner(ctx, inter)
        await inter.response.send_message(embed=await embed(ctx.app), ephemeral=True)

    return command
