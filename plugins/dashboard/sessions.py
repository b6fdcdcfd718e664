"""Server-side browser sessions: a random key in an HttpOnly cookie, the rest in the store
(:mod:`plugins.dashboard.session_stores`: the database, or Redis).

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

from plugins.dashboard.session_stores import Session, SessionStore

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
    """Opens, finds, refreshes and ends sessions, kept in ``store``."""

    def __init__(
        self, store: SessionStore, days: int, secure: bool, read_guilds: GuildReader
    ) -> None:
        self.store = store
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
    ) -> Session:
        """Start a session for a user Discord just logged in, and set its cookie."""
        key, moment = secrets.token_urlsafe(32), now()
        session = await self.store.add(
            Session(
                id=secrets.token_hex(8),
                key_hash=digest(key),
                user_id=int(user["id"]),
                username=str(user.get("global_name") or user.get("username") or user["id"])[:64],
                guilds=guilds,
                guilds_at=moment,
                oauth_token=oauth_token,
                csrf=secrets.token_urlsafe(24),
                created_at=moment,
                seen_at=moment,
                expires_at=moment + self.lifetime,
                address=(request.remote or "")[:64] or None,
                agent=request.headers.get("User-Agent", "")[:200] or None,
            )
        )
        self.set_cookie(response, COOKIE, key, int(self.lifetime.total_seconds()))
        return session

    async def find(self, request: web.Request) -> Session | None:
        """The live session of the request's cookie, its expiry extended and its guilds fresh;
        ``None`` when there is none (or it expired, or Discord no longer takes its token)."""
        session = await self.current(request.cookies.get(COOKIE, ""))
        if session is None:
            return None
        moment, changed = now(), False
        if moment - session.guilds_at > GUILDS_TTL:
            guilds = await self._read_guilds(session.oauth_token)
            if guilds is None:
                await self.store.remove(session.user_id, session.id)
                return None
            session.guilds, session.guilds_at, changed = guilds, moment, True
        if moment - session.seen_at > SEEN_RESOLUTION:
            session.seen_at, session.expires_at, changed = moment, moment + self.lifetime, True
        if changed:
            await self.store.save(session)
        return session

    async def current(self, key: str) -> Session | None:
        """The live session of a cookie's key, as it is (no refresh)."""
        session = await self.store.get(digest(key)) if key else None
        if session is None or session.expires_at <= now():
            return None
        return session

    async def of_user(self, user_id: int) -> list[Session]:
        """A user's live sessions, newest first."""
        return await self.store.of_user(user_id, now())

    async def end(self, user_id: int, session_id: str) -> bool:
        """End one of the user's sessions (never another user's)."""
        return await self.store.remove(user_id, session_id)

    def forget(self, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/")
