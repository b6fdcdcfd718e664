"""What the owner commands show: the plugin list, the bot's status, the masked settings."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import disnake
from prometheus_client.process_collector import ProcessCollector

from core import __version__, discord_limits
from core.health import gateway_health, timed
from core.settings import settings_summary

if TYPE_CHECKING:
    from core.app import App

OK, FAIL = "✅", "❌"


def process_started() -> float | None:
    """When this process started (Unix time), where the platform tells (Linux ``/proc``)."""
    for metric in ProcessCollector(registry=None).collect():
        if metric.name == "process_start_time_seconds" and metric.samples:
            return float(metric.samples[0].value)
    return None


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


def plugins_embed(app: App) -> disnake.Embed:
    """One field per plugin: version, state, commands, last reload and its result, errors."""
    embed = disnake.Embed(title="Plugins")
    for name, record in sorted(app.plugins.records.items()):
        version = record.plugin.version if record.plugin else "?"
        lines = [f"**{record.state}** · v{version}"]
        if record.commands:
            lines.append("commands: " + ", ".join(f"/{c}" for c in record.commands))
        last = record.last_reload
        if last:
            mark = OK if last.get("ok") else FAIL
            lines.append(
                f"last reload <t:{int(last['at'])}:R> {mark} "
                f"({float(last.get('duration') or 0) * 1000:.0f} ms)"
            )
            if last.get("error"):
                lines.append(f"reload error: {last['error']}")
        if record.error:
            lines.append(f"error: {record.error}")
        embed.add_field(name, "\n".join(lines), inline=False)
    return discord_limits.fit(embed)


async def status_embed(app: App) -> disnake.Embed:
    """Uptime, version, gateway latency, guilds, database and cache health."""
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
    embed.add_field("Gateway", f"{OK if gateway.healthy else FAIL} {latency or gateway.detail}")
    embed.add_field("Database", f"{OK if database.healthy else FAIL} {database.detail}")
    breaker = cache.data.get("breaker")
    cache_text = f"{OK if cache.healthy else FAIL} {cache.detail}"
    embed.add_field("Cache", cache_text + (f" (breaker {breaker})" if breaker else ""))
    embed.add_field("Plugins", f"{len(app.plugins.loaded())} loaded", inline=False)
    return discord_limits.fit(embed)


def config_text(app: App) -> str:
    """The effective settings as JSON, every secret masked."""
    summary: dict[str, Any] = settings_summary(app.settings)
    return json.dumps(summary, indent=2, default=str)
