"""Gathering component health: the database, the cache, the gateway, plugins and their own checks.

The web server's ``/health/ready`` and ``/health/detailed`` and the admin plugin's ``/status`` all
read from here. Every check is timed, bounded by :data:`CHECK_TIMEOUT` and never raises: a check
that fails or hangs becomes an unhealthy :class:`~core.events.HealthResult` naming the reason. A
result with ``configured=False`` (an optional component nobody set up, such as an external API
without a key) reads :attr:`Status.NOT_CONFIGURED` and does not make a report unhealthy.

Example::

    report = await detailed(app)
    if not report.healthy:
        print("failing:", ", ".join(report.failing()))
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.events import HealthResult
from core.hooks import acall, flatten
from core.plugin_manager import PluginState

if TYPE_CHECKING:
    import disnake

    from core.app import App

CHECK_TIMEOUT = 5.0  # seconds one component may take before it counts as unhealthy


class Status(StrEnum):
    """A component's or a report's health, as the health endpoints write it."""

    OK = "ok"
    UNHEALTHY = "unhealthy"
    NOT_CONFIGURED = "not_configured"  # an optional component left off (never of a report)


def status_of(result: HealthResult) -> Status:
    """A component's status: not configured, else ok or unhealthy."""
    if not result.configured:
        return Status.NOT_CONFIGURED
    return Status.OK if result.healthy else Status.UNHEALTHY


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The health of several components; healthy when none of them fails (a component that is
    not configured does not fail)."""

    components: tuple[HealthResult, ...]
    duration_ms: float

    @property
    def healthy(self) -> bool:
        return not self.failing()

    def failing(self) -> list[str]:
        """The names of the unhealthy components."""
        return [c.component for c in self.components if status_of(c) is Status.UNHEALTHY]

    def to_json(self, *, detail: bool = True) -> dict[str, Any]:
        """A JSON-ready dict: overall status, the failing names and each component's result.

        Without ``detail`` each component has its status only: no detail text, timing or data
        (for a client that may know whether the bot is ready, not why)."""
        body: dict[str, Any] = {
            "status": Status.OK if self.healthy else Status.UNHEALTHY,
            "failing": self.failing(),
        }
        if not detail:
            body["components"] = {c.component: {"status": status_of(c)} for c in self.components}
            return body
        body["duration_ms"] = round(self.duration_ms, 2)
        body["components"] = {
            c.component: {
                "status": status_of(c),
                "detail": c.detail,
                "duration_ms": round(c.duration_ms, 2),
                **({"data": c.data} if c.data else {}),
            }
            for c in self.components
        }
        return body


async def timed(component: str, check: Callable[[], Awaitable[HealthResult]]) -> HealthResult:
    """Run ``check`` within :data:`CHECK_TIMEOUT`; a failure or timeout is an unhealthy result."""
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except TimeoutError:
        ms = (time.perf_counter() - started) * 1000
        return HealthResult(component, False, f"no answer within {CHECK_TIMEOUT:g}s", ms)
    except Exception as exc:
        ms = (time.perf_counter() - started) * 1000
        return HealthResult(component, False, f"{type(exc).__name__}: {exc}", ms)
    ms = result.duration_ms or (time.perf_counter() - started) * 1000
    return replace(result, component=component, duration_ms=ms)


def shard_latencies(bot: disnake.Client) -> dict[int, float | None]:
    """Gateway latency per shard in seconds (``None`` for a shard that has not measured one)."""
    raw = getattr(bot, "latencies", None)
    pairs: list[tuple[int, float]] = (
        list(raw) if raw is not None else [(bot.shard_id or 0, bot.latency)]
    )
    return {shard: (None if math.isnan(lat) or math.isinf(lat) else lat) for shard, lat in pairs}


def gateway_connected(bot: disnake.Client) -> bool:
    """Whether the bot is logged in, past READY and its websocket(s) are open."""
    if bot.is_closed() or not bot.is_ready():
        return False
    shards = getattr(bot, "shards", None)
    if isinstance(shards, dict) and shards:
        return not any(info.is_closed() for info in shards.values())
    ws = bot.ws
    return ws is not None and ws.open


def gateway_health(bot: disnake.Client) -> HealthResult:
    """The gateway: connected or not, with each shard's latency in milliseconds."""
    latencies = shard_latencies(bot)
    data = {
        "shards": {
            str(s): (round(lat * 1000, 2) if lat is not None else None)
            for s, lat in latencies.items()
        },
        "guilds": len(bot.guilds),
    }
    if not gateway_connected(bot):
        reason = "closed" if bot.is_closed() else "not connected to the Discord gateway"
        return HealthResult("gateway", False, reason, 0.0, data)
    known = [lat for lat in latencies.values() if lat is not None]
    detail = f"{len(latencies)} shard(s)"
    if known:
        detail += f", latency {max(known) * 1000:.0f} ms (worst)"
    return HealthResult("gateway", True, detail, 0.0, data)


def plugins_health(app: App) -> HealthResult:
    """Every known plugin's state, version and error; unhealthy when an enabled one failed."""
    data: dict[str, Any] = {}
    failed = []
    for name, record in sorted(app.plugins.records.items()):
        data[name] = {
            "state": str(record.state),
            "version": record.plugin.version if record.plugin else None,
            "error": record.error,
        }
        if record.state is PluginState.FAILED:
            failed.append(name)
    loaded = sum(1 for r in app.plugins.records.values() if r.state is PluginState.LOADED)
    if failed:
        return HealthResult("plugins", False, f"failed to load: {', '.join(failed)}", 0.0, data)
    return HealthResult("plugins", True, f"{loaded} loaded", 0.0, data)


async def plugin_checks(app: App) -> list[HealthResult]:
    """Every ``dbsbm_health_check`` result: a plugin's are named ``<plugin>.<component>``;
    those of core services registered as ``core.<service>`` keep their own names."""

    async def one(name: str) -> list[HealthResult]:
        started = time.perf_counter()
        try:
            raw = await asyncio.wait_for(
                acall(app.pm.hook.dbsbm_health_check, only=name), CHECK_TIMEOUT
            )
        except Exception as exc:
            ms = (time.perf_counter() - started) * 1000
            detail = (
                f"no answer within {CHECK_TIMEOUT:g}s"
                if isinstance(exc, TimeoutError)
                else f"health check raised {type(exc).__name__}: {exc}"
            )
            return [HealthResult(name, False, detail, ms)]
        ms = (time.perf_counter() - started) * 1000
        out = []
        for result in flatten(raw):
            component = result.component
            core = name.startswith("core.")
            if not core and component != name and not component.startswith(f"{name}."):
                component = f"{name}.{component}"
            out.append(replace(result, component=component, duration_ms=result.duration_ms or ms))
        return out

    names = dict.fromkeys(i.plugin_name for i in app.pm.hook.dbsbm_health_check.get_hookimpls())
    results = await asyncio.gather(*(one(n) for n in names))
    return [r for group in results for r in group]


async def _report(checks: list[Awaitable[list[HealthResult]]]) -> HealthReport:
    started = time.perf_counter()
    groups = await asyncio.gather(*checks)
    components = tuple(r for group in groups for r in group)
    return HealthReport(components, (time.perf_counter() - started) * 1000)


async def _one(result: Awaitable[HealthResult]) -> list[HealthResult]:
    return [await result]


async def _now(result: HealthResult) -> list[HealthResult]:
    return [result]


async def readiness(app: App) -> HealthReport:
    """Ready to serve: the gateway is connected and the database answers."""
    return await _report([_now(gateway_health(app.bot)), _one(timed("database", app.db.ping))])


async def detailed(app: App) -> HealthReport:
    """Every component: database, cache (with its circuit state), gateway, plugins and the
    plugins' own checks."""
    return await _report(
        [
            _one(timed("database", app.db.ping)),
            _one(timed("cache", app.cache.health)),
            _now(gateway_health(app.bot)),
            _now(plugins_health(app)),
            plugin_checks(app),
        ]
    )
