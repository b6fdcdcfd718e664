"""The shared cache: in process memory by default, Redis when configured, always JSON.

Use it through namespaces (a plugin gets ``ctx.cache("odds")`` → namespace ``betting.odds``)::

    odds = cache.namespace("betting.odds")
    line = await odds.get_or_set(f"game:{game_id}", lambda: api.fetch_odds(game_id),
                                 tags=[f"league:{league}"])
    await odds.invalidate_tag(f"league:{league}")   # every key set with that tag
    await odds.clear()                              # the whole namespace

Values are JSON: ``Decimal``, ``datetime`` and ``date`` round-trip through :func:`dumps` /
:func:`loads`; tuples come back as lists and dict keys as strings. ``None`` is never cached
(a factory answering ``None`` is called again next time). Nothing is ever pickled.

TTLs: ``CacheSettings.ttl`` maps a namespace — or a prefix of it, the most specific wins
(``"betting"`` covers ``"betting.odds"``) — to seconds; otherwise ``default_ttl``.

Stampedes: :meth:`Namespace.get_or_set` computes a cold key once. In one process an
``asyncio.Lock`` per key queues the callers; across processes a short Redis lock (``SET NX PX``)
elects one computer while the others poll for the value. Before computing, the
``dbsbm_cache_lookup`` hook may answer (the answer is stored like a computed value).

Across processes (Redis backend): every read goes to Redis while it is healthy, so there is no
per-process copy that could go stale. Each value is stored in an envelope carrying the version of
its namespace; clearing a namespace increments the version (one ``INCR``, never ``KEYS``), and a
read fetches the version and the value in one ``MGET`` and drops envelopes of older versions. Tags
are Redis sets of the keys they cover, deleted with their keys by a Lua script. So an invalidation
in one process is seen by the next read in every other process.

Circuit breaker: after ``breaker_failures`` consecutive Redis failures the cache serves from an
in-process memory tier for ``breaker_cooldown`` seconds, then lets one probe through (half-open);
a success closes it. Invalidations made while Redis was away are replayed when it returns, and the
memory tier is dropped then (it may be stale compared to Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from loguru import logger

from core.breaker import (
    BreakerState,
    CircuitBreaker,
    Clock,
    redis_client,
    redis_down,
)
from core.events import HealthResult
from core.hooks import acall
from core.settings import CacheSettings

if TYPE_CHECKING:
    import pluggy
    import redis.asyncio as aioredis

T = TypeVar("T")
LOCK_TTL_MS = 10_000
"""Lifetime of the cross-process compute lock; a computer slower than this loses exclusivity."""
POLL_MAX = 0.1
"""Longest pause (seconds) between polls of a waiter for a value another process computes."""
PENDING_MAX = 10_000
"""Invalidations remembered while Redis is away, to replay when it is back."""
SWEEP_INTERVAL = 60.0
"""Seconds between sweeps of expired entries out of the memory tier."""


# --- JSON -------------------------------------------------------------------------------------


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return {"$decimal": str(o)}
        if isinstance(o, dt.datetime):
            return {"$datetime": o.isoformat()}
        if isinstance(o, dt.date):
            return {"$date": o.isoformat()}
        return super().default(o)


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$decimal" in obj:
            return Decimal(obj["$decimal"])
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
    return obj


_ENCODER = _Encoder(separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder(object_hook=_decode)
"""One of each for every call (``json.dumps``/``loads`` with options build a new one each time)."""


def dumps(value: Any) -> str:
    """JSON text of ``value``; ``Decimal``/``datetime``/``date`` as tagged objects
    (``{"$decimal": "1.50"}``). Raises ``TypeError`` naming any other unsupported type."""
    return _ENCODER.encode(value)


def loads(text: str | bytes) -> Any:
    """The value :func:`dumps` wrote (UTF-8 when bytes, as Redis gives it back)."""
    return _DECODER.decode(text.decode() if isinstance(text, bytes) else text)


class _MemoryTier:
    """The in-process entries, each expiring by the cache's clock: an expired entry goes when
    it is next read, or at the sweep that a write starts once every :data:`SWEEP_INTERVAL`."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[float, Any]] = {}
        self._swept = clock()

    def get(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def set(self, key: str, value: Any, ttl: float) -> None:
        now = self._clock()
        if now - self._swept >= SWEEP_INTERVAL:
            self._swept = now
            for old in [k for k, (expires, _) in self._entries.items() if expires <= now]:
                del self._entries[old]
        self._entries[key] = (now + ttl, value)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        """Set ``key`` unless it is there already; whether it was set."""
        if self.get(key) is not None:
            return False
        self.set(key, value, ttl)
        return True

    def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self, prefix: str = "") -> None:
        """Drop every entry whose key starts with ``prefix`` (all of them by default)."""
        if not prefix:
            self._entries.clear()
            return
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]


# --- the cache --------------------------------------------------------------------------------


@dataclass(slots=True)
class CacheStats:
    """Counters of one namespace."""

    hits: int = 0
    misses: int = 0
    errors: int = 0  # Redis failures (served from memory instead)


class _RedisFailed(Exception):
    """Internal: the Redis part of an operation failed (the breaker has been told)."""


_WRITE_LUA = """
local v = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', KEYS[2], '{"v":' .. v .. ',"d":' .. ARGV[1] .. '}', 'PX', ARGV[2])
local ttl = tonumber(ARGV[2])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
"""

_TAG_LUA = """
local keys = redis.call('SMEMBERS', KEYS[1])
for i = 1, #keys, 1000 do
  redis.call('DEL', unpack(keys, i, math.min(i + 999, #keys)))
end
redis.call('DEL', KEYS[1])
return #keys
"""

_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Namespace:
    """One namespace of the :class:`Cache`; get one with :meth:`Cache.namespace`."""

    def __init__(self, cache: Cache, name: str) -> None:
        self._cache = cache
        self.name = name

    @property
    def ttl(self) -> int:
        """The namespace's TTL in seconds (from the settings)."""
        return self._cache.ttl_for(self.name)

    async def get(self, key: str) -> Any | None:
        """The cached value, or what a ``dbsbm_cache_lookup`` plugin answers, or ``None``."""
        return await self._cache._get(self.name, key)

    async def set(
        self, key: str, value: Any, ttl: float | None = None, tags: Iterable[str] = ()
    ) -> None:
        """Store ``value`` (JSON-able) for ``ttl`` seconds (default: the namespace's TTL),
        registered under ``tags`` for :meth:`invalidate_tag`."""
        await self._cache._set(self.name, key, value, ttl, tuple(tags))

    async def get_or_set(
        self,
        key: str,
        factory: Callable[[], Awaitable[T]],
        ttl: float | None = None,
        tags: Iterable[str] = (),
    ) -> T:
        """The cached value, else compute it once (lookup hook, then ``factory``) and store it.
        Concurrent callers — in this process or others — wait for the one computation."""
        return await self._cache._get_or_set(self.name, key, factory, ttl, tuple(tags))

    async def delete(self, key: str) -> None:
        """Invalidate one key (everywhere)."""
        await self._cache._invalidate("key", self.name, key)

    async def clear(self) -> None:
        """Invalidate the whole namespace (everywhere)."""
        await self._cache._invalidate("namespace", self.name, "")

    async def invalidate_tag(self, tag: str) -> None:
        """Invalidate every key stored with ``tag`` in this namespace (everywhere)."""
        await self._cache._invalidate("tag", self.name, tag)


class Cache:
    """The core cache (see the module documentation).

    ``pm`` answers misses through ``dbsbm_cache_lookup``; ``prefix`` namespaces the Redis keys;
    ``clock`` (monotonic seconds) drives memory expiry and the breaker — inject one in tests.
    """

    def __init__(
        self,
        settings: CacheSettings,
        pm: pluggy.PluginManager | None = None,
        *,
        prefix: str = "dbsbm:cache",
        clock: Clock = time.monotonic,
    ) -> None:
        self._settings = settings
        self._pm = pm
        self._prefix = prefix
        self._clock = clock
        #: ``"memory"`` or ``"redis"``, as configured.
        self.backend = settings.backend
        self._memory = _MemoryTier(clock)
        self._tags: dict[tuple[str, str], set[str]] = {}
        self._namespaces: dict[str, Namespace] = {}
        self._stats: dict[str, CacheStats] = {}
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown, clock)
        self._pending: deque[tuple[str, str, str]] = deque(maxlen=PENDING_MAX)
        self._last_error = ""
        self._redis: aioredis.Redis | None = None
        self._down: tuple[type[BaseException], ...] = ()
        if settings.backend == "redis":
            self._down = redis_down()
            self._redis = client = redis_client(settings.redis_url)
            self._write_script = client.register_script(_WRITE_LUA)
            self._tag_script = client.register_script(_TAG_LUA)
            self._release_script = client.register_script(_RELEASE_LUA)

    # --- public API -------------------------------------------------------------------------

    def namespace(self, name: str) -> Namespace:
        """The namespace ``name`` (letters, digits, ``.``, ``_``, ``-``; no ``:``)."""
        ns = self._namespaces.get(name)
        if ns is None:
            if not name or ":" in name or any(c.isspace() for c in name):
                raise ValueError(f"cache namespace {name!r}: must be non-empty, no ':' or spaces")
            ns = self._namespaces[name] = Namespace(self, name)
        return ns

    def ttl_for(self, namespace: str) -> int:
        """Seconds to keep values of ``namespace``: the most specific ``ttl`` entry (the
        namespace itself, then its dotted prefixes), else ``default_ttl``."""
        parts = namespace.split(".")
        for end in range(len(parts), 0, -1):
            ttl = self._settings.ttl.get(".".join(parts[:end]))
            if ttl is not None:
                return ttl
        return self._settings.default_ttl

    def stats(self) -> dict[str, CacheStats]:
        """A copy of the hit/miss/error counters per namespace."""
        return {n: CacheStats(s.hits, s.misses, s.errors) for n, s in self._stats.items()}

    @property
    def breaker_state(self) -> BreakerState:
        """Closed (Redis in use, or memory backend), open or half-open."""
        return self._breaker.state

    async def health(self) -> HealthResult:
        """Pings Redis (when the breaker lets it); unhealthy while serving from memory."""
        data: dict[str, Any] = {"backend": self.backend}
        client = self._redis
        if client is None:
            return HealthResult("cache", True, "memory", data=data)
        try:
            await self._redis_call(None, lambda: client.ping())
            reachable = True
        except _RedisFailed:
            reachable = False
        data["breaker"] = state = self.breaker_state
        if state is BreakerState.CLOSED and reachable:
            return HealthResult("cache", True, "redis", data=data)
        serving = "memory" if state is not BreakerState.CLOSED else "Redis, retrying"
        detail = f"Redis unreachable ({self._last_error}); serving from {serving} (breaker {state})"
        return HealthResult("cache", False, detail, data=data)

    async def claim(self, key: str, ttl: float) -> bool:
        """True for the first caller (in any process) to claim ``key`` within ``ttl`` seconds
        (``SET NX``); used to drop duplicate deliveries of an interaction."""
        client = self._redis
        if client is not None:
            try:
                return bool(
                    await self._redis_call(
                        None,
                        lambda: client.set(
                            f"{self._prefix}:c:{key}", "1", nx=True, px=int(ttl * 1000)
                        ),
                    )
                )
            except _RedisFailed:
                pass
        return self._memory.add(f"\x00claim:{key}", True, ttl)

    async def close(self) -> None:
        """Release the memory tier and the Redis connections."""
        self._memory.clear()
        if self._redis is not None:
            await self._redis.aclose()

    # --- keys -------------------------------------------------------------------------------

    def _dkey(self, ns: str, key: str) -> str:
        return f"{self._prefix}:d:{ns}:{key}"

    def _vkey(self, ns: str) -> str:
        return f"{self._prefix}:v:{ns}"

    def _tkey(self, ns: str, tag: str) -> str:
        return f"{self._prefix}:t:{ns}:{tag}"

    def _ttl(self, ns: str, ttl: float | None) -> float:
        return float(self.ttl_for(ns) if ttl is None else ttl)

    def _stat(self, ns: str) -> CacheStats:
        stat = self._stats.get(ns)
        if stat is None:
            stat = self._stats[ns] = CacheStats()
        return stat

    # --- Redis with the breaker ----------------------------------------------------------------

    async def _redis_call(self, ns: str | None, call: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis operation through the breaker; raise :class:`_RedisFailed` when Redis
        may not be used now or fails (the caller then uses the memory tier)."""
        if not self._breaker.allow():
            raise _RedisFailed
        try:
            result = await call()
        except self._down as exc:
            self._last_error = f"{type(exc).__name__}: {exc}"
            if ns is not None:
                self._stat(ns).errors += 1
            if self._breaker.failure():
                logger.warning(
                    "cache: Redis failing ({}); serving from memory for {:g}s",
                    self._last_error,
                    self._settings.breaker_cooldown,
                )
            raise _RedisFailed from exc
        if self._breaker.success():
            await self._recovered()
        return result

    async def _recovered(self) -> None:
        """Redis is back: replay invalidations made meanwhile, drop the memory tier."""
        pending = list(self._pending)
        self._pending.clear()
        logger.info("cache: Redis is back; replaying {} invalidation(s)", len(pending))
        for kind, ns, arg in pending:
            try:
                await self._redis_invalidate(kind, ns, arg)
            except self._down:
                self._pending.append((kind, ns, arg))
        self._memory.clear()
        self._tags.clear()

    async def _redis_read(self, ns: str, key: str) -> Any | None:
        assert self._redis is not None  # nosec B101 # type narrowing, callers hold Redis
        version, raw = await self._redis.mget(self._vkey(ns), self._dkey(ns, key))
        if raw is None:
            return None
        envelope = loads(raw)
        if isinstance(envelope, dict) and envelope.get("v") == int(version or 0):
            return envelope.get("d")
        return None

    async def _redis_invalidate(self, kind: str, ns: str, arg: str) -> None:
        client = self._redis
        assert client is not None  # nosec B101 # type narrowing, callers hold Redis
        if kind == "key":
            await client.delete(self._dkey(ns, arg))
        elif kind == "namespace":
            await client.incr(self._vkey(ns))
        else:
            await self._tag_script(keys=[self._tkey(ns, arg)])

    # --- memory tier ----------------------------------------------------------------------------

    async def _memory_read(self, ns: str, key: str) -> Any | None:
        payload = self._memory.get(f"{ns}:{key}")
        return None if payload is None else loads(payload)

    async def _memory_write(
        self, ns: str, key: str, value: Any, ttl: float, tags: tuple[str, ...]
    ) -> None:
        self._memory.set(f"{ns}:{key}", dumps(value), ttl)
        for tag in tags:
            self._tags.setdefault((ns, tag), set()).add(key)

    async def _memory_invalidate(self, kind: str, ns: str, arg: str) -> None:
        if kind == "key":
            self._memory.delete(f"{ns}:{arg}")
        elif kind == "namespace":
            self._memory.clear(f"{ns}:")
            for tag_key in [t for t in self._tags if t[0] == ns]:
                del self._tags[tag_key]
        else:
            for key in self._tags.pop((ns, arg), ()):
                self._memory.delete(f"{ns}:{key}")

    # --- operations -----------------------------------------------------------------------------

    async def _read(self, ns: str, key: str) -> Any | None:
        if self._redis is not None:
            try:
                return await self._redis_call(ns, lambda: self._redis_read(ns, key))
            except _RedisFailed:
                pass
        return await self._memory_read(ns, key)

    async def _write(
        self, ns: str, key: str, value: Any, ttl: float | None, tags: tuple[str, ...]
    ) -> None:
        seconds = self._ttl(ns, ttl)
        payload = dumps(value)
        if self._redis is not None:
            keys = [self._vkey(ns), self._dkey(ns, key), *(self._tkey(ns, t) for t in tags)]
            try:
                await self._redis_call(
                    ns, lambda: self._write_script(keys=keys, args=[payload, int(seconds * 1000)])
                )
                return
            except _RedisFailed:
                pass
        await self._memory_write(ns, key, value, seconds, tags)

    async def _invalidate(self, kind: str, ns: str, arg: str) -> None:
        if self._redis is not None:
            try:
                await self._redis_call(ns, lambda: self._redis_invalidate(kind, ns, arg))
            except _RedisFailed:
                if len(self._pending) == PENDING_MAX:
                    logger.warning("cache: too many invalidations while Redis is away; oldest lost")
                self._pending.append((kind, ns, arg))
        await self._memory_invalidate(kind, ns, arg)

    async def _lookup(self, ns: str, key: str) -> Any | None:
        if self._pm is None:
            return None
        try:
            return await acall(self._pm.hook.dbsbm_cache_lookup, namespace=ns, key=key)
        except Exception:
            logger.opt(exception=True).error("cache lookup hook failed for {}:{}", ns, key)
            return None

    async def _get(self, ns: str, key: str) -> Any | None:
        value = await self._read(ns, key)
        if value is None:
            value = await self._lookup(ns, key)
            if value is not None:
                await self._write(ns, key, value, None, ())
        stat = self._stat(ns)
        if value is None:
            stat.misses += 1
        else:
            stat.hits += 1
        return value

    async def _set(
        self, ns: str, key: str, value: Any, ttl: float | None, tags: tuple[str, ...]
    ) -> None:
        if value is not None:
            await self._write(ns, key, value, ttl, tags)

    async def _get_or_set(
        self,
        ns: str,
        key: str,
        factory: Callable[[], Awaitable[T]],
        ttl: float | None,
        tags: tuple[str, ...],
    ) -> T:
        """The cached value, else one computation of it: by this task while it holds the key's
        lock in this process and, with Redis, across processes (another's result counts as a
        hit)."""
        stat = self._stat(ns)
        value = await self._read(ns, key)
        if value is not None:
            stat.hits += 1
            return value
        async with self._key_lock(ns, key):
            value = await self._read(ns, key)
            token: str | None = None
            if value is None and self._redis is not None:
                taken = await self._acquire_or_wait(ns, key)
                if isinstance(taken, _Found):
                    value = taken.value
                else:
                    token = taken
            if value is not None:
                stat.hits += 1
                return value
            try:
                value = await self._lookup(ns, key)
                if value is None:
                    value = await factory()
                if value is not None:
                    await self._write(ns, key, value, ttl, tags)
            finally:
                if token is not None:
                    await self._release(ns, key, token)
        stat.misses += 1
        return value

    @contextlib.asynccontextmanager
    async def _key_lock(self, ns: str, key: str) -> AsyncIterator[None]:
        """Hold the in-process lock of one key, dropped from ``_locks`` with its last user."""
        lock_key = (ns, key)
        lock, users = self._locks.get(lock_key) or (asyncio.Lock(), 0)
        self._locks[lock_key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[lock_key]
            if users == 1:
                del self._locks[lock_key]
            else:
                self._locks[lock_key] = (lock, users - 1)

    async def _acquire_or_wait(self, ns: str, key: str) -> str | _Found | None:
        """Take the Redis compute lock (its token), or wait until the holder stored the value
        (:class:`_Found`); ``None`` when Redis fails or the holder is too slow (compute anyway)."""
        client = self._redis
        assert client is not None  # nosec B101 # type narrowing, callers hold Redis
        lock = f"{self._prefix}:l:{ns}:{key}"
        token = secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_TTL_MS / 1000
        pause = 0.005
        while loop.time() < deadline:
            try:
                if await self._redis_call(
                    ns, lambda: client.set(lock, token, nx=True, px=LOCK_TTL_MS)
                ):
                    return token
            except _RedisFailed:
                return None
            await asyncio.sleep(pause)
            pause = min(pause * 2, POLL_MAX)
            value = await self._read(ns, key)
            if value is not None:
                return _Found(value)
        return None

    async def _release(self, ns: str, key: str, token: str) -> None:
        try:
            await self._redis_call(
                ns,
                lambda: self._release_script(keys=[f"{self._prefix}:l:{ns}:{key}"], args=[token]),
            )
        except _RedisFailed:
            pass  # the lock expires by itself


@dataclass(frozen=True, slots=True)
class _Found:
    value: Any
