"""Discord's limits shared by every process of one bot, through Redis.

Discord counts per bot token, however many processes run its shards: 50 REST requests a second
(interaction callbacks and webhooks excepted), each route's bucket (``X-RateLimit-Bucket``)
per major parameter (the channel, the guild, the webhook), and one IDENTIFY per 5 seconds for
the shards of one ``rate_limit_key`` (``shard_id % max_concurrency``). disnake keeps all of this
in the process. :class:`DiscordBudget` keeps it in Redis (``[cache] redis_url``), so that N
processes together stay within the limits:

- every REST request takes a place in the global window and in its bucket before it is sent
  (an aiohttp trace hook on disnake's session, so disnake's own retries take one too); the
  bucket's limit, remaining count and reset are learnt from each answer's headers. A place in
  the global window is held from the send until one second after the answer: whatever the
  latency, no second of Discord's ever sees more than the limit. A bucket not yet known is
  probed by one request at a time, which learns it.
- an IDENTIFY waits for its key in Redis (``SET NX PX`` of the interval), so the shards of one
  ``rate_limit_key`` identify at least ``identify_interval`` seconds apart across processes.

Redis down (the one design of :mod:`core.breaker`): requests and IDENTIFYs go ahead with the
process's own limits (disnake's bucket locks, 429 retries and 5 s IDENTIFY wait), nothing waits
on Redis, and the fallback and the return are logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import aiohttp
from disnake.http import Route
from loguru import logger
from yarl import URL

from core.breaker import BreakerState, CircuitBreaker, Clock, redis_client, redis_down

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from core.settings import Settings

GLOBAL_LIMIT = 50
"""Requests per second a bot may make across routes (Discord's global limit)."""
IDENTIFY_INTERVAL = 5.0
"""Seconds between two IDENTIFYs of one ``rate_limit_key`` (Discord's)."""
IDENTIFY_MARGIN = 0.1
"""Seconds added to the interval: the key is taken just before the IDENTIFY is sent."""
PROBE_INTERVAL = 5.0
"""Seconds between attempts to get back to Redis after it failed."""
HOLD_MS = 30_000
"""How long a global place is held for a request whose answer never comes (its process died)."""
PROBE_MS = 5_000
"""How long a bucket's probe blocks the others when its answer never comes."""
POLL_MS = 20
"""The longest wait before asking Redis again (a place held by a request still in flight)."""

_ACQUIRE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local poll = tonumber(ARGV[7])
local wait = 0
local skey, remaining, reset, probe = nil, 0, 0, false
local bucket = redis.call('HGET', KEYS[2], ARGV[2])
if bucket ~= '-' then
  skey = ARGV[1] .. (bucket or ARGV[2]) .. ':' .. ARGV[3]
  local st = redis.call('HMGET', skey, 'limit', 'remaining', 'reset', 'per')
  if st[1] then
    remaining, reset = tonumber(st[2]), tonumber(st[3])
    if now >= reset then remaining, reset = tonumber(st[1]), now + tonumber(st[4]) end
    if remaining <= 0 then wait = reset - now end
  elseif redis.call('EXISTS', skey .. ':p') == 1 then
    wait = poll
  else
    probe = true
  end
end
if wait <= 0 and ARGV[4] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    wait = math.max(math.min(tonumber(first[2]) - now, poll), 1)
  end
end
if wait > 0 then return string.format('%.3f', wait) end
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[6]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
if probe then
  redis.call('SET', skey .. ':p', 1, 'PX', ARGV[8])
elseif skey then
  redis.call('HSET', skey, 'remaining', remaining - 1, 'reset', string.format('%.3f', reset))
end
return 0
"""
"""Take a place for one request. KEYS: the global window, the route-to-bucket map. ARGV: the
buckets' key prefix, the route, its major parameter, the request's place in the global window
('' when it is not counted there), the global limit, HOLD_MS, POLL_MS, PROBE_MS. Answers 0, or
the milliseconds to wait before asking again."""

_LEARN = """
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[1], 'XX', now + 1000, ARGV[4]) end
local probe = ARGV[1] .. ARGV[2] .. ':' .. ARGV[3] .. ':p'
if ARGV[5] == '' then
  if ARGV[9] == '1' then redis.call('HSET', KEYS[2], ARGV[2], '-') end
  redis.call('DEL', probe)
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[5])
redis.call('PEXPIRE', KEYS[2], 86400000)
local skey = ARGV[1] .. ARGV[5] .. ':' .. ARGV[3]
local limit, remaining, after = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local reset, per = now + after, after
local st = redis.call('HMGET', skey, 'remaining', 'reset', 'per')
if st[3] then per = math.max(per, tonumber(st[3])) end
if st[1] and now < tonumber(st[2]) then
  remaining = math.min(remaining, tonumber(st[1]))
  reset = math.max(reset, tonumber(st[2]))
end
redis.call('HSET', skey, 'limit', limit, 'remaining', remaining,
  'reset', string.format('%.3f', reset), 'per', string.format('%.3f', per))
redis.call('PEXPIRE', skey, 600000)
redis.call('DEL', probe, skey .. ':p')
return 0
"""
"""Learn from an answer. KEYS and ARGV[1..4] as for _ACQUIRE, then the answer's bucket ('' when
it has none), limit, remaining, reset-after (ms), and '1' when a successful answer without a
bucket says the route has none. The global place is held one more second from now."""

_IDENTIFY = """
if redis.call('SET', KEYS[1], 1, 'NX', 'PX', ARGV[1]) then return 0 end
return math.max(redis.call('PTTL', KEYS[1]), 1)
"""
"""Take the IDENTIFY key of a rate_limit_key for ARGV[1] ms; 0, or the ms until it is free."""


@dataclass(frozen=True, slots=True)
class _Request:
    """What the scripts need of one REST request."""

    bot: str
    route: str
    major: str
    slot: str
    """Its place in the global window ('' when it is not counted there)."""


class DiscordBudget:
    """Discord's global limit, route buckets and IDENTIFY spacing of one bot, in Redis
    (see the module's docstring); ``prefix`` namespaces the keys."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "dbsbm:discord",
        identify_interval: float = IDENTIFY_INTERVAL,
        clock: Clock = time.monotonic,
    ) -> None:
        from redis.exceptions import RedisError

        self._client = client
        self._prefix = prefix
        self._identify_ms = round((identify_interval + IDENTIFY_MARGIN) * 1000)
        self._acquire = client.register_script(_ACQUIRE)
        self._learn = client.register_script(_LEARN)
        self._identify = client.register_script(_IDENTIFY)
        # a refused script too: a request to Discord must never fail for the budget's sake
        self._down: tuple[type[BaseException], ...] = (*redis_down(), RedisError)
        self._breaker = CircuitBreaker(1, PROBE_INTERVAL, clock)
        self._slots = (f"{secrets.token_hex(6)}:{n}" for n in itertools.count())
        self._bots: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordBudget | None:
        """The budget on ``[cache] redis_url`` when ``[cache] backend = "redis"`` and
        ``[discord] shared_limits`` is on; None (disnake's own limits) otherwise."""
        if settings.cache.backend != "redis" or not settings.discord.shared_limits:
            return None
        client = redis_client(settings.cache.redis_url, decode_responses=True)
        return cls(client, identify_interval=settings.discord.identify_interval)

    @property
    def degraded(self) -> bool:
        """True while Redis is unreachable and the process's own limits are used."""
        return self._breaker.state is not BreakerState.CLOSED

    def trace_config(self) -> aiohttp.TraceConfig:
        """The aiohttp hooks that make every request to Discord's API take its places first
        and teach the budget its bucket from the answer."""
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._on_start)
        config.on_request_end.append(self._on_end)
        config.on_request_exception.append(self._on_exception)
        config.freeze()
        return config

    async def identify(self, token: str, shard_id: int | None, max_concurrency: int) -> bool:
        """Wait until the shard may IDENTIFY and take its ``rate_limit_key``; False when Redis
        is unreachable (the caller waits as disnake would)."""
        key = f"{self._prefix}:{self._bot(f'Bot {token}')}:identify:"
        key += str((shard_id or 0) % max(max_concurrency, 1))
        while self._breaker.allow():
            try:
                wait = int(await self._identify(keys=[key], args=[self._identify_ms]))
            except self._down as exc:
                self._failed(exc)
                return False
            self._ok()
            if wait == 0:
                return True
            await asyncio.sleep(wait / 1000)
        return False

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self._client.aclose()

    # the trace hooks

    async def _on_start(
        self,
        _session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        ctx.budget = None
        request = self._request(params.method, params.url, params.headers)
        if request is None:
            return
        while self._breaker.allow():
            try:
                wait = float(
                    await self._acquire(keys=self._keys(request), args=self._args(request))
                )
            except self._down as exc:
                self._failed(exc)
                return
            self._ok()
            if wait == 0:
                ctx.budget = request
                return
            await asyncio.sleep(wait / 1000)

    async def _on_end(
        self,
        _session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if ctx.budget is not None:
            await self._learned(ctx.budget, params.response.status, params.response.headers)

    async def _on_exception(
        self,
        _session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        _params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        if ctx.budget is not None:
            await self._learned(ctx.budget, 0, {})

    async def _learned(self, request: _Request, status: int, headers: Mapping[str, str]) -> None:
        bucket = headers.get("X-RateLimit-Bucket", "")
        args = [
            *self._args(request)[:4],
            bucket,
            headers.get("X-RateLimit-Limit", "0"),
            headers.get("X-RateLimit-Remaining", "0"),
            round(float(headers.get("X-RateLimit-Reset-After", "0")) * 1000),
            "1" if not bucket and 200 <= status < 300 else "0",
        ]
        if not self._breaker.allow():
            return
        try:
            await self._learn(keys=self._keys(request), args=args)
        except self._down as exc:
            self._failed(exc)
        else:
            self._ok()

    # requests and keys

    def _request(self, method: str, url: URL, headers: Mapping[str, str]) -> _Request | None:
        """The budget's view of a request, or None when it is not one to Discord's API that
        Discord limits (another host, the gateway, an interaction callback)."""
        base = URL(Route.BASE)
        if url.origin() != base.origin() or not url.path.startswith(base.path + "/"):
            return None
        parts = url.path[len(base.path) + 1 :].split("/")
        if parts[0] == "interactions":
            return None
        major = ""
        if parts[0] in ("channels", "guilds") and len(parts) > 1:
            major = parts[0][0] + parts[1]
        elif parts[0] == "webhooks" and len(parts) > 1:
            major = "w" + parts[1] + (":" + _digest(parts[2]) if len(parts) > 2 else "")
        template = [
            "{id}"
            if part.isdigit()
            else "{token}"
            if parts[0] == "webhooks" and i == 2
            else "{emoji}"
            if i > 0 and parts[i - 1] == "reactions"
            else part
            for i, part in enumerate(parts)
        ]
        counted = parts[0] != "webhooks"
        return _Request(
            self._bot(headers.get("Authorization", "")),
            f"{method} /{'/'.join(template)}",
            major,
            next(self._slots) if counted else "",
        )

    def _bot(self, authorization: str) -> str:
        """The bot's part of the keys: a digest of its token (never the token itself)."""
        bot = self._bots.get(authorization)
        if bot is None:
            bot = self._bots[authorization] = _digest(authorization) if authorization else "-"
        return bot

    def _keys(self, request: _Request) -> list[str]:
        base = f"{self._prefix}:{request.bot}"
        return [f"{base}:global", f"{base}:routes"]

    def _args(self, request: _Request) -> list[Any]:
        prefix = f"{self._prefix}:{request.bot}:b:"
        return [
            prefix,
            request.route,
            request.major,
            request.slot,
            GLOBAL_LIMIT,
            HOLD_MS,
            POLL_MS,
            PROBE_MS,
        ]

    # the breaker

    def _ok(self) -> None:
        if self._breaker.success():
            logger.info("Discord budget: Redis is reachable again; Discord's limits are shared")

    def _failed(self, exc: BaseException) -> None:
        if self._breaker.failure():
            logger.warning(
                "Discord budget: Redis unreachable ({}: {}); this process keeps to its own "
                "limits until it is back",
                type(exc).__name__,
                exc,
            )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
