"""``/reload [plugin]`` (owner only): reload one plugin, or every plugin whose files changed."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.plugin import PluginContext
from core.reloader import ReloadResult
from plugins.admin.access import require_owner
from plugins.admin.marks import FAIL, OK

NOTHING_CHANGED = "No plugin's files changed since they were loaded; name one to reload it anyway."


def result_line(result: ReloadResult) -> str:
    """One line of the reply: ✅ with what was done and how long it took, or ❌ and why."""
    if not result.ok:
        return f"{FAIL} **{result.name}**: {result.error} (the running version stays)"
    synced = ", commands re-synced" if result.commands_changed else ""
    return f"{OK} **{result.name}** {result.action} in {result.duration * 1000:.0f} ms{synced}"


def build(ctx: PluginContext) -> commands.InvokableSlashCommand:
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
            await inter.followup.send(NOTHING_CHANGED, ephemeral=True)
            return
        await ctx.action(
            "plugin.reload",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            admin=True,
            target=plugin or "changed",
            data={r.name: r.ok for r in results},
        )
        text = "\n".join(result_line(r) for r in results)
        await inter.followup.send(
            discord_limits.fit_text(text, discord_limits.CONTENT), ephemeral=True
        )

    @reload.autocomplete("plugin")
    async def plugin_names(
        inter: ApplicationCommandInteraction, typed: str
    ) -> list[disnake.OptionChoice]:
        """The enabled plugins whose name starts with what was typed."""
        names = sorted(n for n in ctx.app.plugins.records if ctx.app.settings.plugin_enabled(n))
        return discord_limits.choices(n for n in names if n.startswith(typed.lower()))

    return reload
