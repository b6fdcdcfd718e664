"""The cache on memory and Redis: JSON, stampedes, TTLs, invalidation, two processes, breaker."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis

from core.breaker import BreakerState
from core.cache import Cache, dumps, loads
from core.hooks import new_plugin_manager
from core.hookspecs import hookimpl
from core.settings import CacheSettings
from core.testing import FaultProxy

from .conftest import (
    CLOSED_PORT_URL,
    FakeClock,
    delete_prefix,
    new_prefix,
)

MakeCache = Callable[..., Cache]


@pytest.fixture
def mono() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.backend)])
async def make_cache(request: pytest.FixtureRequest, mono: FakeClock) -> AsyncIterator[MakeCache]:
    """Build caches on the parametrized backend; all share the test's clock and key prefix."""
    backend = request.param
    url = request.getfixturevalue("redis_url") if backend == "redis" else CLOSED_PORT_URL
    prefix = new_prefix()
    made: list[Cache] = []

    def make(pm: Any = None, **settings: Any) -> Cache:
        cache = Cache(
            CacheSettings(backend=backend, redis_url=url, **settings),
            pm,
            prefix=prefix,
            clock=mono,
        )
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await cache.close()
    if backend == "redis":
        await delete_prefix(url, prefix)


class Counter:
    """A factory that counts its calls and yields to the loop while 'computing'."""

    def __init__(self, value: Any = "computed") -> None:
        self.calls = 0
        self.value = value

    async def __call__(self) -> Any:
        self.calls += 1
        for _ in range(5):
            await asyncio.sleep(0)
        return self.value


# --- JSON ---------------------------------------------------------------------------------------

VALUE = {
    "units": Decimal("2.50"),
    "odds": [Decimal("-110"), Decimal("1.9090909090909090909")],
    "at": dt.datetime(2025, 3, 1, 18, 30, tzinfo=dt.UTC),
    "day": dt.date(2025, 3, 1),
    "nested": {"ok": True, "n": None, "f": 1.5},
}


def test_json_round_trips_decimal_and_datetime() -> None:
    assert loads(dumps(VALUE)) == VALUE
    with pytest.raises(TypeError):
        dumps({"bad": object()})


async def test_values_round_trip_through_the_backend(make_cache: MakeCache) -> None:
    ns = make_cache().namespace("betting.odds")
    await ns.set("line", VALUE)
    assert await ns.get("line") == VALUE


@pytest.mark.backend
async def test_redis_holds_json_not_pickle(redis_url: str, redis_prefix: str) -> None:
    cache = Cache(CacheSettings(backend="redis", redis_url=redis_url), prefix=redis_prefix)
    client = aioredis.Redis.from_url(redis_url)
    try:
        await cache.namespace("n").set("k", {"units": Decimal("1.25")})
        raw = await client.get(f"{redis_prefix}:d:n:k")
        assert raw == b'{"v":0,"d":{"units":{"$decimal":"1.25"}}}'
    finally:
        await client.aclose()
        await cache.close()


# --- get_or_set ---------------------------------------------------------------------------------


async def test_stampede_computes_once(make_cache: MakeCache) -> None:
    cache = make_cache()
    ns = cache.namespace("weather.current")
    factory = Counter({"temp": Decimal("21.5")})
    results = await asyncio.gather(*(ns.get_or_set("nyc", factory) for _ in range(50)))
    assert factory.calls == 1
    assert all(r == {"temp": Decimal("21.5")} for r in results)
    assert cache.stats()["weather.current"].misses == 1
    assert cache.stats()["weather.current"].hits == 49


@pytest.mark.backend
async def test_stampede_across_two_processes_computes_once(
    redis_url: str, redis_prefix: str
) -> None:
    settings = CacheSettings(backend="redis", redis_url=redis_url)
    one, two = Cache(settings, prefix=redis_prefix), Cache(settings, prefix=redis_prefix)
    factory = Counter("slow value")
    try:
        calls = [(one if i % 2 else two).namespace("n").get_or_set("k", factory) for i in range(50)]
        assert set(await asyncio.gather(*calls)) == {"slow value"}
        assert factory.calls == 1
    finally:
        await one.close()
        await two.close()


async def test_factory_none_is_not_cached_and_errors_propagate(make_cache: MakeCache) -> None:
    ns = make_cache().namespace("n")
    empty = Counter(None)
    assert await ns.get_or_set("k", empty) is None
    assert await ns.get_or_set("k", empty) is None
    assert empty.calls == 2

    async def boom() -> str:
        raise RuntimeError("api down")

    with pytest.raises(RuntimeError):
        await ns.get_or_set("k", boom)
    assert await ns.get_or_set("k", Counter("later")) == "later"


async def test_lookup_hook_answers_a_miss_before_the_factory(make_cache: MakeCache) -> None:
    pm = new_plugin_manager()

    class Answers:
        @hookimpl
        async def dbsbm_cache_lookup(self, namespace: str, key: str) -> Any:
            return {"from": "plugin"} if (namespace, key) == ("n", "known") else None

    pm.register(Answers(), name="answers")
    ns = make_cache(pm).namespace("n")
    factory = Counter()
    assert await ns.get_or_set("known", factory) == {"from": "plugin"}
    assert factory.calls == 0
    assert await ns.get("known") == {"from": "plugin"}
    assert await ns.get_or_set("other", factory) == "computed" and factory.calls == 1


# --- TTL ----------------------------------------------------------------------------------------


async def test_ttl_per_namespace(make_cache: MakeCache, mono: FakeClock) -> None:
    cache = make_cache(default_ttl=300, ttl={"weather": 10, "weather.forecast": 60})
    assert cache.ttl_for("weather.current") == 10
    assert cache.ttl_for("weather.forecast") == 60
    assert cache.ttl_for("betting.odds") == 300
    current, odds = cache.namespace("weather.current"), cache.namespace("betting.odds")
    await current.set("nyc", 1)
    await odds.set("g1", 2)
    await odds.set("g2", 3, ttl=5)
    if cache.backend == "redis":
        client = cache._redis
        prefix = cache._prefix
        assert 9_000 < await client.pttl(f"{prefix}:d:weather.current:nyc") <= 10_000
        assert 299_000 < await client.pttl(f"{prefix}:d:betting.odds:g1") <= 300_000
        assert 4_000 < await client.pttl(f"{prefix}:d:betting.odds:g2") <= 5_000
    else:
        mono.advance(5)
        assert await odds.get("g2") is None
        assert await current.get("nyc") == 1
        mono.advance(5)
        assert await current.get("nyc") is None
        assert await odds.get("g1") == 2


# --- invalidation -------------------------------------------------------------------------------


async def test_invalidate_by_key_namespace_and_tag(make_cache: MakeCache) -> None:
    cache = make_cache()
    board, other = cache.namespace("betting.board"), cache.namespace("betting.other")
    await board.set("g1", "a", tags=["guild:1"])
    await board.set("g2", "b", tags=["guild:1", "season"])
    await board.set("g3", "c", tags=["guild:2"])
    await other.set("x", "kept", tags=["guild:1"])

    await board.invalidate_tag("guild:1")
    assert [await board.get(k) for k in ("g1", "g2", "g3")] == [None, None, "c"]
    assert await other.get("x") == "kept"  # tags are per namespace

    await board.delete("g3")
    assert await board.get("g3") is None

    await board.set("g4", "d")
    await board.clear()
    assert await board.get("g4") is None
    assert await other.get("x") == "kept"
    await board.set("g4", "e")  # the namespace works after a clear
    assert await board.get("g4") == "e"


@pytest.mark.backend
async def test_two_caches_see_each_others_invalidations(redis_url: str, redis_prefix: str) -> None:
    settings = CacheSettings(backend="redis", redis_url=redis_url)
    one, two = Cache(settings, prefix=redis_prefix), Cache(settings, prefix=redis_prefix)
    a, b = one.namespace("n"), two.namespace("n")
    try:
        await a.set("k1", 1, tags=["t"])
        await a.set("k2", 2)
        await a.set("k3", 3)
        assert [await b.get(k) for k in ("k1", "k2", "k3")] == [1, 2, 3]
        await b.invalidate_tag("t")
        await b.delete("k2")
        assert await a.get("k1") is None and await a.get("k2") is None
        await a.clear()
        assert await b.get("k3") is None
        await b.set("k3", "new")
        assert await a.get("k3") == "new"
    finally:
        await one.close()
        await two.close()


# --- claim, stats -------------------------------------------------------------------------------


async def test_claim_and_stats(make_cache: MakeCache) -> None:
    cache = make_cache()
    teams = cache.namespace("teams")
    await teams.set("nyy", "Yankees")
    assert await teams.get("nyy") == "Yankees"
    assert await teams.get("tor") is None
    assert cache.stats()["teams"].hits == 1 and cache.stats()["teams"].misses == 1
    assert await cache.claim("interaction:1", ttl=60)
    assert not await cache.claim("interaction:1", ttl=60)
    with pytest.raises(ValueError):
        cache.namespace("bad:name")


# --- breaker ------------------------------------------------------------------------------------


async def test_breaker_opens_and_commands_keep_working(mono: FakeClock) -> None:
    settings = CacheSettings(
        backend="redis", redis_url=CLOSED_PORT_URL, breaker_failures=2, breaker_cooldown=30
    )
    cache = Cache(settings, clock=mono)
    ns = cache.namespace("n")
    factory = Counter("fresh")
    try:
        assert await ns.get_or_set("k", factory) == "fresh"
        assert cache.breaker_state is BreakerState.OPEN
        assert await ns.get_or_set("k", factory) == "fresh"  # served from memory
        assert factory.calls == 1
        errors = cache.stats()["n"].errors
        await ns.get("k")
        assert cache.stats()["n"].errors == errors  # open: Redis not even tried
        health = await cache.health()
        assert not health.healthy and health.data["breaker"] is BreakerState.OPEN
        assert health.detail.endswith("; serving from memory (breaker open)")
        mono.advance(30)
        assert cache.breaker_state is BreakerState.HALF_OPEN
        assert await ns.get("k") == "fresh"  # the probe fails, memory answers
        assert cache.breaker_state is BreakerState.OPEN
    finally:
        await cache.close()


@pytest.mark.backend
async def test_breaker_closes_after_outage_and_replays_invalidations(
    redis_url: str, redis_prefix: str, redis_proxy: FaultProxy, mono: FakeClock
) -> None:
    url = redis_proxy.url(redis_url)
    settings = CacheSettings(backend="redis", redis_url=url, breaker_failures=1, breaker_cooldown=5)
    cache = Cache(settings, prefix=redis_prefix, clock=mono)
    witness = Cache(CacheSettings(backend="redis", redis_url=redis_url), prefix=redis_prefix)
    ns = cache.namespace("n")
    try:
        await ns.set("stale", "old")
        redis_proxy.cut()
        await ns.delete("stale")  # Redis unreachable: remembered for later
        assert cache.breaker_state is BreakerState.OPEN
        await ns.set("outage", "memory only")
        assert await ns.get("outage") == "memory only"
        assert await witness.namespace("n").get("stale") == "old"
        await redis_proxy.restore()
        mono.advance(5)
        assert await ns.get("outage") is None  # probe succeeds: memory tier dropped
        assert cache.breaker_state is BreakerState.CLOSED
        assert await witness.namespace("n").get("stale") is None  # the delete was replayed
        assert (await cache.health()).healthy
    finally:
        await cache.close()
        await witness.close()
