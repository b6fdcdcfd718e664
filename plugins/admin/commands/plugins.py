"""``/plugins`` (owner only): every plugin's version, state, commands and last reload, and in a
cluster the versions its processes run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import disnake
from disnake.ext import commands

from core import discord_limits
from core.cluster import ClusterView, ProcessState
from core.plugin import PluginContext
from plugins.admin.access import owner_embed_command
from plugins.admin.marks import mark

if TYPE_CHECKING:
    from core.app import App
    from core.plugin_manager import PluginRecord


def plugin_lines(record: PluginRecord) -> list[str]:
    """Version and state, commands, the last reload and its result, the error if any."""
    version = record.plugin.version if record.plugin else "?"
    lines = [f"**{record.state}** · v{version}"]
    if record.commands:
        lines.append("commands: " + ", ".join(f"/{c}" for c in record.commands))
    last = record.last_reload
    if last:
        lines.append(
            f"last reload <t:{int(last['at'])}:R> {mark(bool(last.get('ok')))} "
            f"({float(last.get('duration') or 0) * 1000:.0f} ms)"
        )
        if last.get("error"):
            lines.append(f"reload error: {last['error']}")
    if record.error:
        lines.append(f"error: {record.error}")
    return lines


def cluster_line(view: ClusterView, name: str) -> str | None:
    """Which versions of plugin ``name`` the cluster's live processes run (``None`` alone)."""
    running: dict[str, int] = {}
    for process in view.processes:
        if view.state_of(process) is ProcessState.READY and name in process.plugins:
            running[process.plugins[name]] = running.get(process.plugins[name], 0) + 1
    if not view.shared or not running:
        return None
    each = ", ".join(f"{v} in {n} process(es)" for v, n in sorted(running.items()))
    return f"{mark(len(running) == 1)} cluster: {each}"


async def plugins_embed(app: App) -> disnake.Embed:
    """One field per plugin, by name."""
    embed = disnake.Embed(title="Plugins")
    view = await app.cluster.view()
    for name, record in sorted(app.plugins.records.items()):
        lines = plugin_lines(record)
        if (line := cluster_line(view, name)) is not None:
            lines.append(line)
        embed.add_field(name, "\n".join(lines), inline=False)
    return discord_limits.fit(embed)


def build(ctx: PluginContext) -> commands.InvokableSlashCommand:
    return owner_embed_command(
        ctx, "plugins", "Plugins and their state (owner only).", plugins_embed
    )
