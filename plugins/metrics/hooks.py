"""The metrics plugin's own hook implementations: the ``/metrics`` route."""

from __future__ import annotations

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from core.hookspecs import hookimpl
from core.plugin import PluginContext
from plugins.metrics.listeners import Listeners
from plugins.metrics.settings import MetricsSettings

LISTENERS = "metrics.listeners"  # the name the per-App listener object is registered under


def listeners(ctx: PluginContext) -> Listeners:
    """The App's :class:`Listeners` (registered by the plugin's setup)."""
    found = ctx.app.pm.get_plugin(LISTENERS)
    if not isinstance(found, Listeners):
        raise web.HTTPServiceUnavailable(text="metrics are not set up yet")
    return found


@hookimpl
def dbsbm_web_routes(ctx: PluginContext) -> list[web.RouteDef]:
    settings = ctx.settings if isinstance(ctx.settings, MetricsSettings) else MetricsSettings()

    async def serve(request: web.Request) -> web.Response:
        """The text format every Prometheus version reads (0.0.4)."""
        body = listeners(ctx).metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    return [web.get(settings.path, serve)]
