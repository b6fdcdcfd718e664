"""``/backup`` (owner only): back the database up to a file on the host."""

from __future__ import annotations

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core.backup import BackupError, backup
from core.plugin import PluginContext
from core.recovery import UserError
from plugins.admin.access import require_owner
from plugins.admin.marks import OK
from plugins.admin.settings import AdminSettings


def build(ctx: PluginContext) -> commands.InvokableSlashCommand:
    settings = ctx.settings if isinstance(ctx.settings, AdminSettings) else AdminSettings()

    @commands.slash_command(
        name="backup", description="Back the database up to a file on the host (owner only)."
    )
    async def backup_command(inter: ApplicationCommandInteraction) -> None:
        await require_owner(ctx, inter)
        await inter.response.defer(ephemeral=True)
        try:
            made = await backup(
                ctx.app.settings.database_url, settings.backup_folder(ctx.app.settings.data_dir)
            )
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
        where = made.path.resolve()
        await inter.followup.send(
            f"{OK} Backup written to `{where}` "
            f"({made.size / 1024:.1f} KiB, {made.duration:.1f} s). "
            f"Restore it with `dbsbm restore {where}` while the bot is stopped.",
            ephemeral=True,
        )

    return backup_command
