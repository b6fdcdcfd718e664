"""Server-side browser sessions: a random key in an HttpOnly cookie, the rest in the database.

The cookie is ``SameSite=Lax`` and, unless the dashboard is served on a loopback address,
``Secure``. Every form carries the session's CSRF token. Discord's list of the user's guilds is
read again when older than :data:`GUILDS_TTL`; a token Discord no longer takes ends the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from plugins.dashboard.models import WebSession

COOKIE = "dbsbm_session"
LOGIN_COOKIE = "dbsbm_login"
"""Holds the OAuth2 ``state`` and PKCE verifier between the redirect to Discord and its return."""
GUILDS_TTL = timedelta(minutes=10)
SEEN_RESOLUTION = timedelta(minutes=1)
"""A visit extends the session (one write) at most this often."""

GuildReader = Callable[[str], Awaitable[list[dict[str, Any]] | None]]


def digest(secret: str) -> str:
    """The stored form of a cookie key or an API token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class Sessions:
    """Opens, finds, refreshes and ends sessions."""

    def __init__(self, days: int, secure: bool, read_guilds: GuildReader) -> None:
        self.lifetime = timedelta(days=days)
        self.secure = secure
        self._read_guilds = read_guilds

    def set_cookie(self, response: web.StreamResponse, name: str, value: str, age: int) -> None:
        response.set_cookie(
            name, value, max_age=age, httponly=True, samesite="Lax", secure=self.secure, path="/"
        )

    async def open(
        self,
        request: web.Request,
        response: web.StreamResponse,
        user: dict[str, Any],
        guilds: list[dict[str, Any]],
        oauth_token: str,
    ) -> WebSession:
        """Start a session for a user Discord just logged in, and set its cookie."""
        key, moment = secrets.token_urlsafe(32), now()
        session = await WebSession.create(
            key_hash=digest(key),
            user_id=int(user["id"]),
            username=str(user.get("global_name") or user.get("username") or user["id"])[:64],
            guilds=guilds,
            guilds_at=moment,
            oauth_token=oauth_token,
            csrf=secrets.token_urlsafe(24),
            seen_at=moment,
            expires_at=moment + self.lifetime,
            address=(request.remote or "")[:64] or None,
            agent=request.headers.get("User-Agent", "")[:200] or None,
        )
        self.set_cookie(response, COOKIE, key, int(self.lifetime.total_seconds()))
        return session

    async def find(self, request: web.Request) -> WebSession | None:
        """The live session of the request's cookie, its expiry extended and its guilds fresh;
        ``None`` when there is none (or it expired, or Discord no longer takes its token)."""
        key = request.cookies.get(COOKIE)
        if not key:
            return None
        session = await WebSession.get_or_none(key_hash=digest(key))
        moment = now()
        if session is None or session.expires_at <= moment:
            return None
        if moment - session.guilds_at > GUILDS_TTL:
            guilds = await self._read_guilds(session.oauth_token)
            if guilds is None:
                await session.delete()
                return None
            session.guilds, session.guilds_at = guilds, moment
            await session.save(update_fields=["guilds", "guilds_at"])
        if moment - session.seen_at > SEEN_RESOLUTION:
            session.seen_at, session.expires_at = moment, moment + self.lifetime
            await session.save(update_fields=["seen_at", "expires_at"])
        return session

    async def current(self, key: str) -> WebSession | None:
        """The live session of a cookie's key, as it is (no refresh)."""
        if not key:
            return None
        return await WebSession.get_or_none(key_hash=digest(key), expires_at__gt=now())

    async def of_user(self, user_id: int) -> list[WebSession]:
        """A user's live sessions, newest first."""
        return await WebSession.filter(user_id=user_id, expires_at__gt=now()).order_by("-id")

    async def end(self, user_id: int, session_id: int) -> bool:
        """End one of the user's sessions (never another user's)."""
        return bool(await WebSession.filter(id=session_id, user_id=user_id).delete())

    def forget(self, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/")
