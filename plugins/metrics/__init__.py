"""Metrics: Prometheus metrics at ``/metrics`` on the core web server.

Every App gets its own registry (see :mod:`plugins.metrics.registry`); the plugin listens to the
pipeline's and plugins' events and times database queries while it is loaded. Metric names and a
dashboard are documented in ``docs/plugins/metrics.md``.
"""

from __future__ import annotations

from core.plugin import Plugin, PluginContext
from plugins.metrics import endpoint
from plugins.metrics.listeners import Listeners
from plugins.metrics.querytiming import observe_queries
from plugins.metrics.registry import Metrics
from plugins.metrics.settings import MetricsSettings


async def setup(ctx: PluginContext) -> None:
    """Create the App's registry, start listening to events and (optionally) timing queries,
    serve ``/metrics``."""
    settings = ctx.settings if isinstance(ctx.settings, MetricsSettings) else MetricsSettings()
    listeners = Listeners(Metrics(ctx.app, settings.shard_label), settings)
    ctx.add_hooks(listeners, "listeners")
    if settings.query_timing and ctx.app.db.connected:
        undo = observe_queries(type(ctx.app.db.connection), listeners.query)
        ctx.on_cleanup("query timing", undo)
    ctx.add_routes(endpoint.routes(settings.path, listeners.metrics))


plugin = Plugin(
    name="metrics",
    version="0.1.0",
    description="Prometheus metrics at /metrics on the core web server.",
)
