"""``/reload [plugins]`` (owner only): reload the named plugins (separated by spaces or commas),
or every plugin whose files changed."""

from __future__ import annotations

import re

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.plugin import PluginContext
from core.reloader import ReloadResult
from plugins.admin.access import require_owner
from plugins.admin.marks import FAIL, OK

NOTHING_CHANGED = "No plugin's files changed since they were loaded; name one to reload it anyway."


def plugin_names(text: str) -> list[str]:
    """The plugin names in ``text``, separated by spaces or commas, in order, once each."""
    return list(dict.fromkeys(n for n in re.split(r"[\s,]+", text.strip().lower()) if n))


def result_line(result: ReloadResult) -> str:
    """One line of the reply: ✅ with what was done and how long it took, or ❌ with the stage
    that failed, how long it took and why (in a cluster, each process's line names it)."""
    took = f"{result.duration * 1000:.0f} ms"
    name = f"**{result.name}**" + (f" on {result.process}" if result.process else "")
    if not result.ok:
        where = f"failed at {result.stage} after {took}; " if result.stage else ""
        return f"{FAIL} {name}: {result.error} ({where}the running version stays)"
    synced = ", commands re-synced" if result.commands_changed else ""
    return f"{OK} {name} {result.action} in {took}{synced}"


async def reload_plugins(
    ctx: PluginContext, names: list[str], user_id: int, guild_id: int | None
) -> list[ReloadResult]:
    """What ``/reload`` and the dashboard's reload button do: reload ``names`` (none: every
    changed plugin) and report it as the admin action ``plugin.reload`` when anything ran."""
    results = await ctx.app.reloader.reload(names or None)
    if results:
        await ctx.action(
            "plugin.reload",
            user_id=user_id,
            guild_id=guild_id,
            admin=True,
            target=" ".join(names) or "changed",
            data={r.name: r.ok for r in results},
        )
    return results


def build(ctx: PluginContext) -> commands.InvokableSlashCommand:
    @commands.slash_command(name="reload", description="Reload plugins (owner only).")
    async def reload(
        inter: ApplicationCommandInteraction,
        plugin: str | None = commands.Param(
            None,
            description="Plugins to reload, e.g. betting weather (default: every changed one)",
        ),
    ) -> None:
        await require_owner(ctx, inter)
        await inter.response.defer(ephemeral=True)
        names = plugin_names(plugin or "")
        results = await reload_plugins(ctx, names, inter.author.id, inter.guild_id)
        if not results:
            await inter.followup.send(NOTHING_CHANGED, ephemeral=True)
            return
        text = "\n".join(result_line(r) for r in results)
        await inter.followup.send(
            discord_limits.fit_text(text, discord_limits.CONTENT), ephemeral=True
        )

    @reload.autocomplete("plugin")
    async def complete(
        inter: ApplicationCommandInteraction, typed: str
    ) -> list[disnake.OptionChoice]:
        """The names typed so far, completed with each enabled plugin whose name starts with
        the last word (and that is not named yet)."""
        words = plugin_names(typed)
        done, last = (words, "") if not typed or typed[-1] in " ," else (words[:-1], words[-1])
        names = sorted(n for n in ctx.app.plugins.records if ctx.app.settings.plugin_enabled(n))
        prefix = " ".join(done)
        return discord_limits.choices(
            f"{prefix} {n}".strip() for n in names if n.startswith(last) and n not in done
        )

    return reload
