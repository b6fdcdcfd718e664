"""The admin plugin's slash commands.

Owner only: ``/reload``, ``/plugins``, ``/status``, ``/config``, ``/backup``. Guild admins
(Manage Server): ``/admin plugins``. Every refusal raises :class:`~core.recovery.UserError` after
reporting a ``permission_refused`` security event.
"""

from __future__ import annotations

import io
from pathlib import Path

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.backup import BackupError, backup
from core.plugin import PluginContext
from core.recovery import UserError
from plugins.admin.settings import AdminSettings
from plugins.admin.status import FAIL, OK, config_text, plugins_embed, status_embed
from plugins.admin.switches import switches_of

GUILD_ONLY = disnake.InteractionContextTypes(guild=True)


async def require_owner(ctx: PluginContext, inter: ApplicationCommandInteraction) -> None:
    """Refuse (with a security event) unless the member is a bot owner."""
    if ctx.is_owner(inter.author.id):
        return
    command = f"/{inter.application_command.qualified_name}"
    await ctx.security_event(
        "permission_refused",
        user_id=inter.author.id,
        guild_id=inter.guild_id,
        detail=f"{command} is for the bot owner",
        owner_only=True,
    )
    raise UserError(f"Only the bot owner can use {command}.")


async def require_guild_admin(ctx: PluginContext, inter: ApplicationCommandInteraction) -> int:
    """The guild's id, unless the member lacks Manage Server (refused with a security event)."""
    guild_id = inter.guild_id
    if guild_id is None:
        raise UserError("Use this command in a server.")
    member = inter.author
    allowed = isinstance(member, disnake.Member) and member.guild_permissions.manage_guild
    if allowed or ctx.is_owner(member.id):
        return guild_id
    await ctx.security_event(
        "permission_refused",
        user_id=member.id,
        guild_id=guild_id,
        detail=f"/{inter.application_command.qualified_name} needs Manage Server",
    )
    raise UserError("You need the Manage Server permission to change this server's plugins.")


def backup_dir(ctx: PluginContext, settings: AdminSettings) -> Path:
    return Path(settings.backup_dir.replace("{data_dir}", str(ctx.app.settings.data_dir)))


def build_commands(ctx: PluginContext) -> list[commands.InvokableSlashCommand]:
    """The admin commands, closing over the plugin's context."""
    settings = ctx.settings if isinstance(ctx.settings, AdminSettings) else AdminSettings()

    @commands.slash_command(name="reload", description="Reload plugins (owner only).")
    async def reload(
        inter: ApplicationCommandInteraction,
        plugin: str | None = commands.Param(
            None, description="The plugin to reload (default: every plugin whose files changed)"
        ),
    ) -> None:
        await require_owner(ctx, inter)
        await inter.response.defer(ephemeral=True)
        results = await ctx.app.reloader.reload([plugin] if plugin else None)
        if not results:
            await inter.followup.send(
                "No plugin's files changed since they were loaded; name one to reload it anyway.",
                ephemeral=True,
            )
            return
        lines = []
        for r in results:
            if r.ok:
                synced = ", commands re-synced" if r.commands_changed else ""
                lines.append(f"{OK} **{r.name}** {r.action} in {r.duration * 1000:.0f} ms{synced}")
            else:
                lines.append(f"{FAIL} **{r.name}**: {r.error} (the running version stays)")
        await ctx.action(
            "plugin.reload",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            admin=True,
            target=plugin or "changed",
            data={r.name: r.ok for r in results},
        )
        text = discord_limits.fit_text("\n".join(lines), discord_limits.CONTENT)
        await inter.followup.send(text, ephemeral=True)

    @reload.autocomplete("plugin")
    async def reload_names(
        inter: ApplicationCommandInteraction, typed: str
    ) -> list[disnake.OptionChoice]:
        names = sorted(n for n in ctx.app.plugins.records if ctx.app.settings.plugin_enabled(n))
        return discord_limits.choices(n for n in names if n.startswith(typed.lower()))

    @commands.slash_command(name="plugins", description="Plugins and their state (owner only).")
    async def plugins(inter: ApplicationCommandInteraction) -> None:
        await require_owner(ctx, inter)
        await inter.response.send_message(embed=plugins_embed(ctx.app), ephemeral=True)

    @commands.slash_command(name="status", description="The bot's health (owner only).")
    async def status(inter: ApplicationCommandInteraction) -> None:
        await require_owner(ctx, inter)
        await inter.response.send_message(embed=await status_embed(ctx.app), ephemeral=True)

    @commands.slash_command(
        name="config", description="The settings in use, secrets masked (owner only)."
    )
    async def config(inter: ApplicationCommandInteraction) -> None:
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

    @commands.slash_command(
        name="backup", description="Back the database up to a file on the host (owner only)."
    )
    async def backup_command(inter: ApplicationCommandInteraction) -> None:
        await require_owner(ctx, inter)
        await inter.response.defer(ephemeral=True)
        try:
            made = await backup(ctx.app.settings.database_url, backup_dir(ctx, settings))
        except BackupError as exc:
            raise UserError(f"The backup failed: {exc}") from exc
        await ctx.action(
            "backup.created",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            admin=True,
            target=made.path.name,
            data={"size": made.size, "heads": made.meta.heads},
        )
        await inter.followup.send(
            f"{OK} Backup written to `{made.path.resolve()}` "
            f"({made.size / 1024:.1f} KiB, {made.duration:.1f} s). "
            f"Restore it with `dbsbm restore {made.path.resolve()}` while the bot is stopped.",
            ephemeral=True,
        )

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
            lines = [
                f"{FAIL if n in off else OK} **{n}** {'off' if n in off else 'on'}" for n in names
            ]
            text = "\n".join(lines) or "No plugin here can be switched off."
            hint = "Change one with `/admin plugins plugin:<name> enabled:<True|False>`."
            room = discord_limits.CONTENT - len(hint) - len("Plugins in this server:\n\n")
            text = discord_limits.fit_text(text, room)
            await inter.response.send_message(
                f"Plugins in this server:\n{text}\n{hint}", ephemeral=True
            )
            return
        if plugin not in switches.switchable():
            choices = ", ".join(switches.switchable()) or "none"
            raise UserError(f"`{plugin}` cannot be switched here. Choose one of: {choices}.")
        changed = await switches.set(guild_id, plugin, enabled, inter.author.id)
        state = "on" if enabled else "off"
        if changed:
            await ctx.action(
                "plugin.switched",
                user_id=inter.author.id,
                guild_id=guild_id,
                admin=True,
                target=plugin,
                data={"enabled": enabled},
            )
        await inter.response.send_message(
            f"The {plugin} commands are now {state} in this server."
            if changed
            else f"The {plugin} commands were already {state} in this server.",
            ephemeral=True,
        )

    @admin_plugins.autocomplete("plugin")
    async def switchable_names(
        inter: ApplicationCommandInteraction, typed: str
    ) -> list[disnake.OptionChoice]:
        names = switches_of(ctx).switchable()
        return discord_limits.choices(n for n in names if n.startswith(typed.lower()))

    return [reload, plugins, status, config, backup_command, admin]
