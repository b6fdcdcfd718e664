"""The core web server (aiohttp): health endpoints and plugin routes added and removed at runtime.

aiohttp freezes its router once the server starts, so plugin routes are kept in the server's own
table and served by one dispatching handler; :meth:`WebServer.add_routes` returns the undo step
that the plugin's scope records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from loguru import logger

if TYPE_CHECKING:
    from core.app import App

Handler = Callable[[web.Request], Any]


class WebServer:
    """Serves ``/health`` and the routes plugins contribute through ``dbsbm_web_routes``."""

    def __init__(self, app: App):
        self.app = app
        self.routes: dict[tuple[str, str], tuple[str, Handler]] = {}
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def add_routes(self, owner: str, routes: Sequence[web.RouteDef]) -> Callable[[], None]:
        """Mount ``routes`` for plugin ``owner``; return the function that removes them."""
        keys = []
        for route in routes:
            key = (route.method.upper(), route.path)
            if key in self.routes and self.routes[key][0] != owner:
                raise ValueError(f"{route.method} {route.path} is already served by {self.routes[key][0]}")
            self.routes[key] = (owner, route.handler)
            keys.append(key)

        def remove() -> None:
            for key in keys:
                self.routes.pop(key, None)

        return remove

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        entry = self.routes.get((request.method, request.path))
        if entry is None and request.method == "HEAD":
            entry = self.routes.get(("GET", request.path))
        if entry is None:
            raise web.HTTPNotFound(text=f"no route for {request.method} {request.path}")
        result: web.StreamResponse = await entry[1](request)
        return result

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def make_app(self) -> web.Application:
        application = web.Application()
        application.router.add_get("/health", self._health)
        application.router.add_route("*", "/{tail:.*}", self._dispatch)
        return application

    async def start(self) -> None:
        settings = self.app.settings.web
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else settings.port
        logger.info("web server listening on http://{}:{}", settings.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
