"""Personal API tokens: made and revoked by their owner (dashboard or ``/token``), stored hashed,
scoped (``read``, ``manage``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from core.pages import Scope, Viewer
from core.validation import ValidationError
from plugins.dashboard.models import ApiToken
from plugins.dashboard.sessions import Sessions, digest, now

PREFIX = "dbsbm_"
MAX_TOKENS = 25
"""Live tokens one member may hold."""
USE_RESOLUTION = timedelta(minutes=1)
"""``used_at`` is written at most this often per token."""

ViewerOf = Callable[[int, str, Any, frozenset[Scope]], Viewer]


def parse_scopes(values: list[str]) -> frozenset[Scope]:
    try:
        scopes = frozenset(Scope(v) for v in values)
    except ValueError:
        raise ValidationError("scope", "each scope is read or manage", " ".join(values)) from None
    if not scopes:
        raise ValidationError("scope", "pick at least one of read and manage")
    return scopes


class Tokens:
    """Makes, lists, revokes and checks tokens."""

    def __init__(self, viewer_of: ViewerOf, sessions: Sessions) -> None:
        self._viewer_of = viewer_of
        self._sessions = sessions

    async def create(
        self, user_id: int, name: str, scopes: frozenset[Scope], guilds: Any
    ) -> tuple[ApiToken, str]:
        """A new token and its secret text (shown once, never stored)."""
        name = name.strip()
        if not 1 <= len(name) <= 64:
            raise ValidationError("name", "1 to 64 characters", name)
        live = await ApiToken.filter(user_id=user_id, revoked_at=None).count()
        if live >= MAX_TOKENS:
            raise ValidationError("tokens", f"at most {MAX_TOKENS}: revoke one first", live)
        secret = PREFIX + secrets.token_urlsafe(32)
        token = await ApiToken.create(
            token_hash=digest(secret),
            user_id=user_id,
            name=name,
            scopes=" ".join(sorted(scopes)),
            guilds=guilds,
        )
        return token, secret

    async def of_user(self, user_id: int) -> list[ApiToken]:
        return await ApiToken.filter(user_id=user_id, revoked_at=None).order_by("-id")

    async def revoke(self, user_id: int, token_id: int) -> bool:
        """Revoke one of the user's tokens (never another user's)."""
        done = await ApiToken.filter(id=token_id, user_id=user_id, revoked_at=None).update(
            revoked_at=now()
        )
        return bool(done)

    async def viewer(self, secret: str) -> tuple[Viewer, int] | None:
        """Who a token's secret stands for, and the token's id; ``None`` for an unknown or
        revoked one. The guilds are those of the owner's newest live login, or the token's."""
        if not secret.startswith(PREFIX):
            return None
        token = await ApiToken.get_or_none(token_hash=digest(secret), revoked_at=None)
        if token is None:
            return None
        moment = now()
        if token.used_at is None or moment - token.used_at > USE_RESOLUTION:
            token.used_at = moment
            await token.save(update_fields=["used_at"])
        live = await self._sessions.of_user(token.user_id)
        session = max(live, key=lambda s: s.guilds_at, default=None)
        guilds = session.guilds if session is not None else token.guilds
        name = session.username if session is not None else str(token.user_id)
        scopes = frozenset(Scope(s) for s in token.scopes.split())
        return self._viewer_of(token.user_id, name, guilds, scopes), token.id
