"""``/status`` (owner only): uptime, version, gateway latency, guilds, database and cache health,
and every process of the cluster (:mod:`core.cluster`) with its shards, state and heartbeat."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import disnake
from disnake.ext import commands
from prometheus_client.process_collector import ProcessCollector

from core import __version__, discord_limits
from core.cluster import ClusterView, ProcessState
from core.health import gateway_health, timed
from core.plugin import PluginContext
from plugins.admin.access import owner_embed_command
from plugins.admin.marks import mark

if TYPE_CHECKING:
    from core.app import App


def process_started() -> float | None:
    """When this process started (Unix time), where the platform tells (Linux ``/proc``)."""
    for metric in ProcessCollector(registry=None).collect():
        if metric.name == "process_start_time_seconds" and metric.samples:
            return float(metric.samples[0].value)
    return None


def shard_ranges(shards: tuple[int, ...]) -> str:
    """``(0, 1, 2, 5)`` → ``0-2, 5``."""
    runs: list[list[int]] = []
    for shard in sorted(shards):
        if runs and shard == runs[-1][-1] + 1:
            runs[-1].append(shard)
        else:
            runs.append([shard])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def cluster_lines(view: ClusterView, me: str) -> list[str]:
    """A line per process: up or down, where, its shards, state and last heartbeat."""
    lines = []
    for process in view.processes:
        state = view.state_of(process)
        age = duration(max(0.0, view.at - process.heartbeat))
        here = " (this one)" if process.id == me else ""
        lines.append(
            f"{mark(state is ProcessState.READY)} {process.host}:{process.pid}{here} · shards "
            f"{shard_ranges(process.shards)} of {process.shard_count} · {state} · {age} ago"
        )
    if view.problem:
        lines.append(f"{mark(False)} only this process is shown: {view.problem}")
    return lines


def duration(seconds: float) -> str:
    """``3d 4h 5m``, ``4h 5m``, ``5m 6s`` or ``6s``."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


async def status_embed(app: App) -> disnake.Embed:
    """All good (green) when the database, the cache and the gateway are healthy."""
    database = await timed("database", app.db.ping)
    cache = await timed("cache", app.cache.health)
    gateway = gateway_health(app.bot)
    healthy = database.healthy and cache.healthy and gateway.healthy
    embed = disnake.Embed(
        title="Status: all good" if healthy else "Status: degraded",
        color=disnake.Color.green() if healthy else disnake.Color.orange(),
    )
    started = process_started()
    embed.add_field("Uptime", duration(time.time() - started) if started else "unknown")
    embed.add_field("Version", f"dbsbm {__version__}")
    embed.add_field("Guilds", str(len(app.bot.guilds)))
    shards = gateway.data.get("shards", {})
    latency = ", ".join(
        f"shard {s}: {'n/a' if ms is None else f'{ms:.0f} ms'}" for s, ms in shards.items()
    )
    embed.add_field("Gateway", f"{mark(gateway.healthy)} {latency or gateway.detail}")
    embed.add_field("Database", f"{mark(database.healthy)} {database.detail}")
    breaker = cache.data.get("breaker")
    cache_text = f"{mark(cache.healthy)} {cache.detail}"
    embed.add_field("Cache", cache_text + (f" (breaker {breaker})" if breaker else ""))
    embed.add_field("Plugins", f"{len(app.plugins.loaded())} loaded", inline=False)
    view = await app.cluster.view()
    if view.shared:
        embed.add_field("Cluster", "\n".join(cluster_lines(view, app.cluster.id)), inline=False)
    return discord_limits.fit(embed)


def build(ctx: PluginContext) -> commands.InvokableSlashCommand:
    return owner_embed_command(ctx, "status", "The bot's health (owner only).", status_embed)
