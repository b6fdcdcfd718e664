"""``/admin plugins [plugin] [enabled]`` (Manage Server): turn a plugin's commands on or off
in this server, or list which are on."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.plugin import PluginContext
from plugins.admin.access import GUILD_ONLY, require_guild_admin
from plugins.admin.marks import mark
from plugins.admin.switches import switches_of

LIST_HEAD = "Plugins in this server:"
LIST_HINT = "Change one with `/admin plugins plugin:<name> enabled:<True|False>`."


def switch_listing(names: list[str], off: set[str]) -> str:
    """``✅ **audit** on`` per plugin, cut to fit one message with its head and hint."""
    lines = [f"{mark(n not in off)} **{n}** {'off' if n in off else 'on'}" for n in names]
    text = "\n".join(lines) or "No plugin here can be switched off."
    room = discord_limits.CONTENT - len(LIST_HEAD) - len(LIST_HINT) - 2  # two line breaks
    return f"{LIST_HEAD}\n{discord_limits.fit_text(text, room)}\n{LIST_HINT}"


def build(ctx: PluginContext) -> commands.InvokableSlashCommand:
    @commands.slash_command(
        name="admin",
        description="Server administration.",
        default_member_permissions=disnake.Permissions(manage_guild=True),
        contexts=GUILD_ONLY,
    )
    async def admin(inter: ApplicationCommandInteraction) -> None:
        """The group; its sub-commands do the work."""

    @admin.sub_command(
        name="plugins", description="Turn a plugin's commands on or off in this server."
    )
    async def admin_plugins(
        inter: ApplicationCommandInteraction,
        plugin: str | None = commands.Param(None, description="The plugin to switch"),
        enabled: bool | None = commands.Param(
            None, description="On or off (leave out to see the current state)"
        ),
    ) -> None:
        guild_id = await require_guild_admin(ctx, inter)
        switches = switches_of(ctx)
        off = set(await switches.disabled(guild_id))
        if plugin is None or enabled is None:
            names = [plugin] if plugin else switches.switchable()
            await inter.response.send_message(switch_listing(names, off), ephemeral=True)
            return
        said = await switches.switch(guild_id, plugin, enabled, inter.author.id)
        await inter.response.send_message(said, ephemeral=True)

    @admin_plugins.autocomplete("plugin")
    async def switchable_names(
        inter: ApplicationCommandInteraction, typed: str
    ) -> list[disnake.OptionChoice]:
        names = switches_of(ctx).switchable()
        return discord_limits.choices(n for n in names if n.startswith(typed.lower()))

    return admin
