"""Where sessions are kept: the database (the default), or Redis (``session_store = "redis"``).

Both keep the same :class:`Session` under the SHA-256 of its cookie key, and answer the same
questions: one session by that hash, a user's live sessions, and ending one of them. In Redis a
session is a JSON value that expires with the session, and a set per user lists its sessions.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from plugins.dashboard.models import WebSession

PREFIX = "dbsbm:dashboard:"


@dataclass
class Session:
    """One browser login (see :class:`~plugins.dashboard.models.WebSession` for the fields)."""

    id: str
    key_hash: str
    user_id: int
    username: str
    guilds: list[dict[str, Any]]
    guilds_at: datetime
    oauth_token: str
    csrf: str
    created_at: datetime
    seen_at: datetime
    expires_at: datetime
    address: str | None = None
    agent: str | None = None


class SessionStore(Protocol):
    async def add(self, session: Session) -> Session:
        """Keep a new session; returns it with its id."""

    async def get(self, key_hash: str) -> Session | None: ...

    async def save(self, session: Session) -> None: ...

    async def of_user(self, user_id: int, now: datetime) -> list[Session]:
        """The user's sessions that are live at ``now``, newest first."""

    async def remove(self, user_id: int, session_id: str) -> bool:
        """End one of the user's sessions (never another user's)."""


_STORED = [f.name for f in dataclasses.fields(Session) if f.name != "id"]


class DatabaseStore:
    """Sessions in the ``dashboard_session`` table."""

    @staticmethod
    def _of(row: WebSession) -> Session:
        return Session(id=str(row.id), **{name: getattr(row, name) for name in _STORED})

    async def add(self, session: Session) -> Session:
        row = await WebSession.create(**{name: getattr(session, name) for name in _STORED})
        return self._of(row)

    async def get(self, key_hash: str) -> Session | None:
        row = await WebSession.get_or_none(key_hash=key_hash)
        return self._of(row) if row is not None else None

    async def save(self, session: Session) -> None:
        await WebSession.filter(id=int(session.id)).update(
            guilds=session.guilds,
            guilds_at=session.guilds_at,
            seen_at=session.seen_at,
            expires_at=session.expires_at,
        )

    async def of_user(self, user_id: int, now: datetime) -> list[Session]:
        rows = await WebSession.filter(user_id=user_id, expires_at__gt=now).order_by("-id")
        return [self._of(row) for row in rows]

    async def remove(self, user_id: int, session_id: str) -> bool:
        if not session_id.isdigit():
            return False
        return bool(await WebSession.filter(id=int(session_id), user_id=user_id).delete())


class RedisStore:
    """Sessions in Redis: ``<prefix>session:<key hash>`` expiring with the session, and the set
    ``<prefix>user:<id>`` of the user's key hashes."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _key(key_hash: str) -> str:
        return f"{PREFIX}session:{key_hash}"

    @staticmethod
    def _user(user_id: int) -> str:
        return f"{PREFIX}user:{user_id}"

    async def add(self, session: Session) -> Session:
        await self.save(session)
        return session

    async def get(self, key_hash: str) -> Session | None:
        raw = await self.redis.get(self._key(key_hash))
        return _decoded(raw) if raw is not None else None

    async def save(self, session: Session) -> None:
        ttl = max(1, int((session.expires_at - session.seen_at).total_seconds()))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(session.key_hash), _encoded(session), ex=ttl)
            pipe.sadd(self._user(session.user_id), session.key_hash)
            pipe.expire(self._user(session.user_id), ttl, gt=True)
            await pipe.execute()

    async def _sessions(self, user_id: int) -> list[Session]:
        found = []
        for member in await self.redis.smembers(self._user(user_id)):
            key_hash = member.decode() if isinstance(member, bytes) else str(member)
            session = await self.get(key_hash)
            if session is None:  # expired: forget it
                await self.redis.srem(self._user(user_id), key_hash)
            else:
                found.append(session)
        return found

    async def of_user(self, user_id: int, now: datetime) -> list[Session]:
        live = [s for s in await self._sessions(user_id) if s.expires_at > now]
        return sorted(live, key=lambda s: s.created_at, reverse=True)

    async def remove(self, user_id: int, session_id: str) -> bool:
        for session in await self._sessions(user_id):
            if session.id == session_id:
                await self.redis.delete(self._key(session.key_hash))
                await self.redis.srem(self._user(user_id), session.key_hash)
                return True
        return False


def _encoded(session: Session) -> str:
    values = dataclasses.asdict(session)
    for name in ("guilds_at", "created_at", "seen_at", "expires_at"):
        values[name] = getattr(session, name).isoformat()
    return json.dumps(values)


def _decoded(raw: bytes | str) -> Session:
    values = json.loads(raw)
    for name in ("guilds_at", "created_at", "seen_at", "expires_at"):
        values[name] = datetime.fromisoformat(values[name])
    return Session(**values)
