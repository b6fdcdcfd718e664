"""Sessions kept in Redis (``session_store = "redis"``) behave as in the database: log in, list,
end another, log out; each session expires in Redis with itself."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from core.app import App
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor, allow_login, dashboard_settings
from plugins.dashboard.models import WebSession
from plugins.dashboard.session_stores import PREFIX, RedisStore, Session
from plugins.dashboard.sessions import now
from tests.web.support import backend_url

pytestmark = pytest.mark.backend


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(backend_url("redis"))
    yield client
    async for key in client.scan_iter(PREFIX + "*"):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
async def on_redis(discord: LocalDiscord, tmp_path: Path, redis: Redis) -> AsyncIterator[App]:
    section = {**dashboard_settings(discord), "session_store": "redis"}
    settings: dict[str, Any] = {
        "plugins": {"dashboard": section},
        "cache": {"redis_url": backend_url("redis")},
    }
    async with run_app(discord, tmp_path, plugins=["dashboard"], settings=settings) as app:
        allow_login(discord, app.web.url)
        yield app


async def test_logins_live_in_redis_and_end_there(
    discord: LocalDiscord, on_redis: App, redis: Redis
) -> None:
    alice_id = discord.guild.member("Alice").id
    async with (
        Visitor(discord, on_redis.web.url) as laptop,
        Visitor(discord, on_redis.web.url) as phone,
    ):
        await laptop.login("Alice")
        await phone.login("Alice")
        assert not await WebSession.all().count()  # nothing in the database
        keys = [k async for k in redis.scan_iter(PREFIX + "session:*")]
        assert len(keys) == 2
        ttl = await redis.ttl(keys[0])
        assert 29 * 86400 < ttl <= 30 * 86400  # session_days
        listed = await laptop.get("/sessions")
        assert listed.text.count('<button type="submit">End</button>') == 2
        store = RedisStore(redis)
        newest = (await store.of_user(alice_id, now()))[0]  # the phone logged in last
        await laptop.post("/sessions", {"end": newest.id})
        assert (await phone.get("/sessions")).path != "/sessions"  # the phone is logged out
        assert len(await store.of_user(alice_id, now())) == 1
        home = await laptop.get("/")
        await laptop.post("/logout", {}, csrf=home.csrf)
        assert await store.of_user(alice_id, now()) == []


async def test_an_expired_session_is_forgotten(redis: Redis) -> None:
    store = RedisStore(redis)
    moment = now()
    session = Session(
        id="s1",
        key_hash=secrets.token_hex(32),
        user_id=7,
        username="x",
        guilds=[],
        guilds_at=moment,
        oauth_token="t",
        csrf="c",
        created_at=moment,
        seen_at=moment,
        expires_at=moment + timedelta(seconds=30),
    )
    await store.add(session)
    assert await store.get(session.key_hash) == session
    assert await store.of_user(7, moment + timedelta(seconds=31)) == []
    await redis.delete(f"{PREFIX}session:{session.key_hash}")  # as Redis expires it
    assert await store.of_user(7, moment) == []
    assert not await redis.sismember(f"{PREFIX}user:7", session.key_hash)
    assert not await store.remove(7, "s1")
