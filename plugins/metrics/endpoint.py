"""The ``/metrics`` route, served by the core web server while the plugin is loaded."""

from __future__ import annotations

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from plugins.metrics.registry import Metrics


def routes(path: str, metrics: Metrics) -> list[web.RouteDef]:
    """The route at ``path`` (``[plugins.metrics] path``, ``/metrics`` by default)."""

    async def serve(request: web.Request) -> web.Response:
        """The text format every Prometheus version reads (0.0.4), after checking the
        components (``dbsbm_component_up``)."""
        await metrics.check_components()
        body = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    return [web.get(path, serve)]
