"""Dashboard: Discord login, the pages and the ``/api/v1`` endpoints plugins declare, personal
API tokens (see docs/DASHBOARD.md)."""

from __future__ import annotations

import functools

from redis.asyncio import Redis

from core.pages import FRONT_SERVICE
from core.plugin import Plugin, PluginContext
from core.web import is_loopback
from plugins.dashboard import access, openapi
from plugins.dashboard.api import Api
from plugins.dashboard.commands import build as token_command
from plugins.dashboard.discord_login import DiscordLogin
from plugins.dashboard.endpoints import OwnEndpoints
from plugins.dashboard.front import Front
from plugins.dashboard.own_pages import OwnPages
from plugins.dashboard.session_stores import DatabaseStore, RedisStore, SessionStore
from plugins.dashboard.sessions import Sessions
from plugins.dashboard.settings import DashboardSettings
from plugins.dashboard.tokens import Tokens


async def setup(ctx: PluginContext) -> None:
    """Serve the declared pages and endpoints (the ``dashboard.front`` service) and add the
    dashboard's own pages."""
    settings = ctx.settings if isinstance(ctx.settings, DashboardSettings) else DashboardSettings()
    base = settings.public_url.rstrip("/") if settings.public_url else None

    def public_url() -> str:
        return base or ctx.app.web.url

    login = None
    if settings.client_secret and settings.client_secret.get_secret_value():
        login = DiscordLogin(
            lambda: settings.client_id or str(ctx.bot.application_id),
            settings.client_secret.get_secret_value(),
            lambda: public_url() + "/login/callback",
        )
    secure = not is_loopback(ctx.app.settings.web.host) or bool(base and base.startswith("https"))
    sessions = Sessions(
        _store(ctx, settings), settings.session_days, secure, login.guilds if login else _no_guilds
    )

    tokens = Tokens(functools.partial(access.viewer, ctx), sessions)

    def document() -> dict[str, object]:
        return openapi.document(ctx.app.web.registry.endpoints.all(), "DBSBM API", plugin.version)

    api = Api(ctx, settings, sessions, tokens, document)
    ctx.provide(FRONT_SERVICE, Front(ctx, sessions, api))
    for page in OwnPages(ctx, sessions, tokens, login).pages():
        ctx.add_page(page)
    for endpoint in OwnEndpoints(tokens).endpoints():
        ctx.add_endpoint(endpoint)
    ctx.add_command(token_command(ctx, tokens))


def _store(ctx: PluginContext, settings: DashboardSettings) -> SessionStore:
    if settings.session_store == "database":
        return DatabaseStore()
    redis = Redis.from_url(ctx.app.settings.cache.redis_url)
    ctx.on_cleanup("close the session store's Redis connections", redis.aclose)
    return RedisStore(redis)


async def _no_guilds(_token: str) -> None:
    return None


plugin = Plugin(
    name="dashboard",
    version="0.1.0",
    description="Web dashboard and /api/v1: Discord login, plugin pages, personal API tokens.",
)
