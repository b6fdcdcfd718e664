"""The core web server (aiohttp): health endpoints and plugin routes added and removed at runtime.

Endpoints (status 200 when healthy, 503 when not; JSON bodies):

- ``GET /health`` — liveness: the process answers; nothing else is touched.
- ``GET /health/ready`` — ready to serve: the gateway is connected and the database answers.
  A client beyond loopback without ``Authorization: Bearer <[web] token>`` gets the overall
  status and each component's status only (no database URL, no error text).
- ``GET /health/detailed`` — every component (database, cache with its circuit state, gateway
  latency per shard, each plugin's state and its own health checks) with status and timing. When
  the server is bound beyond loopback it needs ``Authorization: Bearer <[web] token>``.

Every request counts against ``[ratelimit] web`` per client address (429 with ``Retry-After``
beyond it; refusals are reported as at most two security events per address and period, see
:class:`~core.ratelimit.web.WebRateLimit`). Requests older than HTTP/1.0 are refused with 505.

aiohttp freezes its router once the server starts, so plugin routes are kept in the server's own
table and served by one dispatching handler; :meth:`WebServer.add_routes` returns the undo step
that the plugin's scope records. A request no route takes goes to the pages and endpoints plugins
declared (:mod:`core.pages`, kept in :attr:`WebServer.registry`), served by whichever plugin
offers the :data:`~core.pages.FRONT_SERVICE` (the dashboard).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from loguru import logger

from core import health
from core.compat import aiohttp as compat_aiohttp
from core.events import SecurityEvent
from core.hooks import emit
from core.pages import FRONT_SERVICE, WebFront, WebRegistry
from core.ratelimit.web import WebRateLimit
from core.settings import ConfigError

if TYPE_CHECKING:
    from core.app import App

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HEALTH_PATHS = ("/health", "/health/ready", "/health/detailed")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address or a client address) is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@web.middleware
async def refuse_http09(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse HTTP/0.9 (aiohttp's parser accepts a request line without a version as 0.9)."""
    if request.version < (1, 0):
        raise web.HTTPVersionNotSupported(text="HTTP/1.0 or later is required")
    return await handler(request)


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response (values that JSON lacks, such as ``Decimal``, become strings)."""
    return web.json_response(
        body, status=status, headers=headers, dumps=lambda v: json.dumps(v, default=str)
    )


class WebServer:
    """Serves the health endpoints and the routes plugins add with ``ctx.add_routes``."""

    def __init__(self, app: App):
        self.app = app
        self.routes: dict[tuple[str, str], tuple[str, Handler]] = {}
        self.registry = WebRegistry()
        self._runner: web.AppRunner | None = None
        self._limit: WebRateLimit | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The base URL the server listens on (after :meth:`start`)."""
        host = self.app.settings.web.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def add_routes(self, owner: str, routes: Sequence[web.RouteDef]) -> Callable[[], None]:
        """Mount ``routes`` for plugin ``owner``; return the function that removes them.

        Raises :class:`ValueError` for a health path or a route another plugin serves; then
        none of ``routes`` is mounted.
        """
        keys = [(route.method.upper(), route.path) for route in routes]
        for route, key in zip(routes, keys, strict=True):
            if route.path in HEALTH_PATHS:
                raise ValueError(f"{route.path} is served by the core web server")
            if key in self.routes and self.routes[key][0] != owner:
                raise ValueError(
                    f"{route.method} {route.path} is already served by {self.routes[key][0]}"
                )
        for route, key in zip(routes, keys, strict=True):
            self.routes[key] = (owner, route.handler)

        def remove() -> None:
            for key in keys:
                self.routes.pop(key, None)

        return remove

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        entry = self.routes.get((request.method, request.path))
        if entry is None and request.method == "HEAD":
            entry = self.routes.get(("GET", request.path))
        if entry is not None:
            return await entry[1](request)
        front: WebFront | None = self.app.plugins.services.get(FRONT_SERVICE)
        if front is not None and (response := await front.serve(request)) is not None:
            return response
        raise web.HTTPNotFound(text=f"no route for {request.method} {request.path}")

    # --- health ------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return json_response({"status": health.Status.OK})

    async def _ready(self, request: web.Request) -> web.Response:
        report = await health.readiness(self.app)
        detail = is_loopback(request.remote or "") or self._bearer_ok(request)
        return json_response(report.to_json(detail=detail), 200 if report.healthy else 503)

    async def _detailed(self, request: web.Request) -> web.Response:
        refusal = await self._authorise(request)
        if refusal is not None:
            return refusal
        report = await health.detailed(self.app)
        return json_response(report.to_json(), 200 if report.healthy else 503)

    async def _authorise(self, request: web.Request) -> web.Response | None:
        """Require the bearer token when the server is reachable beyond loopback."""
        settings = self.app.settings.web
        if is_loopback(settings.host):
            return None
        token = settings.token.get_secret_value() if settings.token else ""
        if not token:
            return json_response(
                {
                    "status": "forbidden",
                    "detail": "the server is bound beyond loopback: set [web] token "
                    "(DBSBM_WEB__TOKEN) to allow /health/detailed with a bearer token",
                },
                403,
            )
        if self._bearer_ok(request):
            return None
        await self._security_event(
            SecurityEvent(
                kind="web_unauthorized",
                detail=f"{request.method} {request.path}: missing or wrong bearer token",
                client_address=request.remote,
            )
        )
        return json_response(
            {"status": "unauthorized", "detail": "send Authorization: Bearer <[web] token>"},
            401,
            {"WWW-Authenticate": 'Bearer realm="dbsbm"'},
        )

    def _bearer_ok(self, request: web.Request) -> bool:
        """Whether the request carries ``Authorization: Bearer <[web] token>`` (a token is set)."""
        settings = self.app.settings.web
        token = settings.token.get_secret_value() if settings.token else ""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        return (
            bool(token)
            and scheme.lower() == "bearer"
            and hmac.compare_digest(value.strip().encode(), token.encode())
        )

    # --- lifecycle ---------------------------------------------------------------------

    async def _security_event(self, event: SecurityEvent) -> None:
        await emit(self.app.pm.hook.dbsbm_security_event, event=event)

    def make_app(self) -> web.Application:
        self._limit = WebRateLimit(
            self.app.limiter, self.app.settings.ratelimit.web, self._security_event
        )
        application = web.Application(middlewares=[refuse_http09, self._limit.middleware])
        application.router.add_get("/health", self._health)
        application.router.add_get("/health/ready", self._ready)
        application.router.add_get("/health/detailed", self._detailed)
        # [\s\S], not ".": a path with a newline (%0A) would miss the route and get aiohttp's
        # plain-text 404 instead of the API's JSON or the dashboard's page
        application.router.add_route("*", r"/{tail:[\s\S]*}", self._dispatch)
        return application

    async def start(self) -> None:
        settings = self.app.settings.web
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ConfigError(
                f"[web] port: cannot listen on {settings.host}:{settings.port} ({exc.strerror}); "
                "choose a free port, or set [web] enabled = false"
            ) from None
        self.port = compat_aiohttp.bound_port(site) or settings.port
        logger.info("web server listening on {}", self.url)

    async def stop(self) -> None:
        """Stop serving, then report the open rate-limit refusal windows."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._limit is not None:
            await self._limit.close()
            self._limit = None
