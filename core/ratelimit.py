"""Rate limiting: sliding-window limits per user, guild, channel and globally, with escalating
temporary blocks for members who keep hitting them.

Algorithm: a sliding window log. A limit ``"5/60s"`` means at most 5 accepted requests in
*any* 60-second window — there is no 2x burst at a fixed-window boundary — and a denial's
``retry_after`` is exact: the moment the oldest counted request leaves the window. A request
counts against every bucket only if all its buckets accept it (checked atomically).

Buckets of one interaction (``RateLimitSettings``):

- ``user``: per member and per command or command group. ``commands`` maps a command or group
  (``"bet"``, ``"bet straight"``) to a limit; the most specific match of the interaction's
  ``bucket_key`` wins and names the bucket (so a group's commands share it); commands without a
  match each get their own ``default`` bucket.
- ``guild``, ``channel``, ``global``: optional limits shared by all commands of a guild, a
  channel, or the whole bot.

After ``block_after`` denials within ``block_window`` a member is blocked for ``block_seconds``;
a new block within a day of the previous one doubles (capped at a day). The start of a block is
reported once through ``on_block`` (the pipeline emits ``SecurityEvent(kind="rate_limit_block")``,
see :func:`block_event`). Owners are never limited.

Backends: memory (one process) or Redis (shared by all processes: one Lua script checks all
buckets of a request in one round trip, atomically). When Redis is unreachable the limiter falls
back to its in-process limits, logs it once, reports itself unhealthy in :meth:`RateLimiter.health`
and probes Redis again every few seconds. Time is the wall clock (``clock``), shared by processes.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.typedefs import Handler
from loguru import logger
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.events import HealthResult, RateLimitDecision, RateLimitRequest, SecurityEvent
from core.hookspecs import hookimpl
from core.settings import RateLimitSettings

Clock = Callable[[], float]
OnBlock = Callable[[RateLimitRequest, RateLimitDecision], Awaitable[None]]

BLOCK_MEMORY = 86_400.0
"""A block within this many seconds of the previous one doubles it."""
BLOCK_CAP = 86_400.0
"""No block lasts longer than this (seconds)."""
PROBE_INTERVAL = 5.0
"""Seconds between attempts to get back to Redis after it failed."""
REDIS_TIMEOUT = 0.5
"""Connect and command timeout (seconds) of the limiter's Redis client."""
SWEEP_INTERVAL = 60.0
"""Seconds between sweeps of expired windows in the memory store."""
_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError)


# --- limits -----------------------------------------------------------------------------------


class LimitError(ValueError):
    """A limit string that cannot be read; the message names the setting, the value and the
    expected form. ``reason`` is the message after the setting; ``loc`` is the setting's place
    in the settings (``("ratelimit", "default")``), empty for a limit that is no setting."""

    def __init__(self, setting: str, reason: str, loc: tuple[str, ...] = ()) -> None:
        super().__init__(f"{setting}: {reason}")
        self.reason, self.loc = reason, loc


@dataclass(frozen=True, slots=True)
class Limit:
    """``count`` requests per ``period`` seconds."""

    count: int
    period: float

    def __str__(self) -> str:
        return f"{self.count}/{self.period:g}s"


_LIMIT_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@lru_cache(maxsize=256)
def parse_limit(text: str, setting: str | tuple[str, ...] = "limit") -> Limit:
    """Read ``"<count>/<period><unit>"``: ``"5/60s"``, ``"3/1m"``, ``"100/1h"``, ``"1000/1d"``
    (units ms, s, m, h, d; ``"10/m"`` means per minute). ``setting`` names where it came from
    in the error message: a label, or the setting's place in the settings
    (``("ratelimit", "default")``, shown ``[ratelimit] default`` and kept as the error's ``loc``).
    """
    loc = setting if isinstance(setting, tuple) else ()
    label = f"[{loc[0]}] {'.'.join(loc[1:])}" if loc else str(setting)
    match = _LIMIT_RE.match(text) if isinstance(text, str) else None
    if match is None or (match.group(2) is None and match.group(3) is None):
        raise LimitError(
            label,
            f"invalid rate limit {text!r}; expected '<count>/<period><unit>' "
            "such as '5/60s', '3/1m' or '100/1h' (units: ms, s, m, h, d)",
            loc,
        )
    count = int(match.group(1))
    period = float(match.group(2) or 1) * _UNITS[match.group(3) or "s"]
    if count < 1 or period <= 0:
        raise LimitError(label, f"invalid rate limit {text!r}; count and period must be > 0", loc)
    return Limit(count, period)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One counter a request is checked against."""

    scope: str  # "user", "guild", "channel", "global", or "key" for check_key
    key: str
    limit: Limit


@dataclass(frozen=True, slots=True)
class BlockPolicy:
    """When and how long repeated violators are blocked."""

    after: int
    window: float
    seconds: float
    memory: float = BLOCK_MEMORY
    cap: float = BLOCK_CAP

    def duration(self, level: int) -> float:
        """The length of the ``level``-th consecutive block (1, 2, 3, … → x1, x2, x4, …)."""
        return min(self.cap, self.seconds * 2.0 ** min(level - 1, 60))


@dataclass(frozen=True, slots=True)
class _Verdict:
    allowed: bool
    retry_after: float = 0.0
    scope: str = ""
    blocked: bool = False
    new_block: bool = False

    def decision(self) -> RateLimitDecision:
        return RateLimitDecision(self.allowed, self.retry_after, self.scope, self.blocked)


_ALLOW = _Verdict(True)


# --- memory store -----------------------------------------------------------------------------


class _Window:
    __slots__ = ("period", "stamps")

    def __init__(self, period: float) -> None:
        self.period = period
        self.stamps: deque[float] = deque()

    def prune(self, now: float) -> None:
        edge = now - self.period
        while self.stamps and self.stamps[0] <= edge:
            self.stamps.popleft()


@dataclass(slots=True)
class _Block:
    until: float
    level: int
    at: float


class MemoryStore:
    """Sliding windows in process memory. A check never awaits, so it is atomic in asyncio."""

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._violations: dict[str, _Window] = {}
        self._blocks: dict[str, _Block] = {}
        self._last_sweep = -math.inf

    def hit(
        self, buckets: Sequence[Bucket], subject: str | None, policy: BlockPolicy | None, now: float
    ) -> _Verdict:
        """Check ``buckets`` (and ``subject``'s block) and count the request if all accept."""
        if now - self._last_sweep >= SWEEP_INTERVAL:
            self._sweep(now)
        if subject is not None and policy is not None:
            block = self._blocks.get(subject)
            if block is not None and block.until > now:
                return _Verdict(False, block.until - now, "block", blocked=True)
        denied: _Verdict | None = None
        windows = []
        for bucket in buckets:
            window = self._windows.get(bucket.key)
            if window is None:
                window = self._windows[bucket.key] = _Window(bucket.limit.period)
            window.prune(now)
            windows.append(window)
            stamps, count = window.stamps, bucket.limit.count
            if len(stamps) >= count:
                retry = stamps[len(stamps) - count] + bucket.limit.period - now
                if denied is None or retry > denied.retry_after:
                    denied = _Verdict(False, retry, bucket.scope)
        if denied is not None:
            if subject is not None and policy is not None:
                return self._violation(subject, policy, now) or denied
            return denied
        for window in windows:
            window.stamps.append(now)
        return _ALLOW

    def _violation(self, subject: str, policy: BlockPolicy, now: float) -> _Verdict | None:
        strikes = self._violations.get(subject)
        if strikes is None:
            strikes = self._violations[subject] = _Window(policy.window)
        strikes.prune(now)
        strikes.stamps.append(now)
        if len(strikes.stamps) < policy.after:
            return None
        del self._violations[subject]
        previous = self._blocks.get(subject)
        level = previous.level + 1 if previous and now - previous.at < policy.memory else 1
        duration = policy.duration(level)
        self._blocks[subject] = _Block(now + duration, level, now)
        return _Verdict(False, duration, "block", blocked=True, new_block=True)

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        for table in (self._windows, self._violations):
            for key in [
                k for k, w in table.items() if not w.stamps or w.stamps[-1] <= now - w.period
            ]:
                del table[key]
        expired = [
            k for k, b in self._blocks.items() if b.until <= now and now - b.at >= BLOCK_MEMORY
        ]
        for key in expired:
            del self._blocks[key]


# --- Redis store ------------------------------------------------------------------------------

_LUA = """
local function f(x) return string.format('%.17g', x) end
local now = tonumber(ARGV[1])
local member = ARGV[2]
local nb = tonumber(ARGV[3])
local policy = ARGV[4 + 2 * nb] == '1'
local vkey, bkey = KEYS[nb + 1], KEYS[nb + 2]
if policy then
  local untl = tonumber(redis.call('HGET', bkey, 'until') or '0')
  if untl > now then return {0, f(untl - now), 0, 0} end
end
local denied, retry = 0, 0
for i = 1, nb do
  local count, period = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', f(now - period))
  local n = redis.call('ZCARD', KEYS[i])
  if n >= count then
    local e = redis.call('ZRANGE', KEYS[i], n - count, n - count, 'WITHSCORES')
    local r = tonumber(e[2]) + period - now
    if denied == 0 or r > retry then denied, retry = i, r end
  end
end
if denied > 0 then
  if policy then
    local after, window = tonumber(ARGV[5 + 2 * nb]), tonumber(ARGV[6 + 2 * nb])
    local seconds, memory = tonumber(ARGV[7 + 2 * nb]), tonumber(ARGV[8 + 2 * nb])
    local cap = tonumber(ARGV[9 + 2 * nb])
    redis.call('ZREMRANGEBYSCORE', vkey, '-inf', f(now - window))
    redis.call('ZADD', vkey, ARGV[1], member)
    redis.call('PEXPIRE', vkey, math.ceil(window * 1000))
    if redis.call('ZCARD', vkey) >= after then
      local prev = redis.call('HMGET', bkey, 'level', 'at')
      local level = 1
      if prev[1] and now - tonumber(prev[2]) < memory then level = tonumber(prev[1]) + 1 end
      local duration = math.min(cap, seconds * 2 ^ math.min(level - 1, 60))
      redis.call('HSET', bkey, 'until', f(now + duration), 'level', level, 'at', ARGV[1])
      redis.call('PEXPIRE', bkey, math.ceil((memory + duration) * 1000))
      redis.call('DEL', vkey)
      return {0, f(duration), 0, 1}
    end
  end
  return {0, f(retry), denied, 0}
end
for i = 1, nb do
  redis.call('ZADD', KEYS[i], ARGV[1], member)
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[3 + 2 * i]) * 1000))
end
return {1, '0', 0, 0}
"""


class RedisStore:
    """Sliding windows in Redis sorted sets, shared by every process of the bot."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_LUA)
        self._tag = secrets.token_hex(4)
        self._counter = itertools.count()

    async def hit(
        self, buckets: Sequence[Bucket], subject: str | None, policy: BlockPolicy | None, now: float
    ) -> _Verdict:
        """Check and count in one round trip (EVALSHA); same semantics as :class:`MemoryStore`."""
        keys = [f"{self._prefix}:w:{b.key}" for b in buckets]
        args: list[Any] = [repr(now), f"{now!r}:{self._tag}:{next(self._counter)}", len(buckets)]
        for bucket in buckets:
            args += [bucket.limit.count, repr(bucket.limit.period)]
        if subject is not None and policy is not None:
            keys += [f"{self._prefix}:v:{subject}", f"{self._prefix}:b:{subject}"]
            args += ["1", policy.after, repr(policy.window), repr(policy.seconds)]
            args += [repr(policy.memory), repr(policy.cap)]
        else:
            args.append("0")
        allowed, retry, index, new_block = await self._script(keys=keys, args=args)
        if allowed:
            return _ALLOW
        retry_after = float(retry)
        if int(index) == 0:
            return _Verdict(False, retry_after, "block", blocked=True, new_block=bool(new_block))
        return _Verdict(False, retry_after, buckets[int(index) - 1].scope)


# --- the limiter ------------------------------------------------------------------------------


class RateLimiter:
    """The core's rate limiter (memory or Redis per ``settings.backend``).

    ``on_block`` is awaited once when a member's temporary block starts; ``clock`` gives Unix
    seconds (inject a fake one in tests); ``prefix`` namespaces the Redis keys.
    """

    def __init__(
        self,
        settings: RateLimitSettings,
        *,
        on_block: OnBlock | None = None,
        clock: Clock = time.time,
        prefix: str = "dbsbm:rl",
    ) -> None:
        self._settings = settings
        self._on_block = on_block
        self._clock = clock
        self._default = parse_limit(settings.default, ("ratelimit", "default"))
        self._commands = {
            name.strip(): parse_limit(text, ("ratelimit", "commands", name))
            for name, text in settings.commands.items()
        }
        self._shared = [
            (scope, parse_limit(text, ("ratelimit", scope)))
            for scope, text in (
                ("guild", settings.guild),
                ("channel", settings.channel),
                ("global", settings.global_),
            )
            if text is not None
        ]
        parse_limit(settings.web, ("ratelimit", "web"))
        self._policy = BlockPolicy(
            settings.block_after, settings.block_window, settings.block_seconds
        )
        self._memory = MemoryStore()
        self._client: aioredis.Redis | None = None
        self._redis: RedisStore | None = None
        if settings.backend == "redis":
            self._client = aioredis.Redis.from_url(
                settings.redis_url,
                socket_connect_timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
                retry=Retry(NoBackoff(), 1),
                decode_responses=True,
            )
            self._redis = RedisStore(self._client, prefix)
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._last_error = ""

    @property
    def backend(self) -> str:
        """``"memory"`` or ``"redis"`` (as configured; see :meth:`health` for fallback)."""
        return self._settings.backend

    @property
    def degraded(self) -> bool:
        """True while Redis is configured but unreachable and local limits are used."""
        return self._down_since is not None

    def buckets(self, request: RateLimitRequest) -> list[Bucket]:
        """The buckets an interaction is checked against (user first)."""
        info = request.info
        name, limit = self.command_limit(request.bucket_key)
        buckets = [Bucket("user", f"u:{info.user_id}:{name}", limit)]
        for scope, shared in self._shared:
            if scope == "guild" and info.guild_id is not None:
                buckets.append(Bucket(scope, f"g:{info.guild_id}", shared))
            elif scope == "channel" and info.channel_id is not None:
                buckets.append(Bucket(scope, f"c:{info.channel_id}", shared))
            elif scope == "global":
                buckets.append(Bucket(scope, "global", shared))
        return buckets

    def command_limit(self, bucket_key: str) -> tuple[str, Limit]:
        """The most specific configured command or group for ``bucket_key`` and its limit;
        ``(bucket_key, default)`` when none matches."""
        words = bucket_key.split()
        for end in range(len(words), 0, -1):
            name = " ".join(words[:end])
            if name in self._commands:
                return name, self._commands[name]
        return bucket_key, self._default

    async def check(self, request: RateLimitRequest) -> RateLimitDecision:
        """Count one interaction; allow it or deny it with the exact wait. Owners pass."""
        if request.info.is_owner:
            return RateLimitDecision(True, scope="owner")
        verdict = await self._hit(self.buckets(request), f"u:{request.info.user_id}")
        decision = verdict.decision()
        if verdict.new_block and self._on_block is not None:
            try:
                await self._on_block(request, decision)
            except Exception:
                logger.opt(exception=True).error("the rate-limit on_block callback failed")
        return decision

    async def check_key(self, key: str, limit: str) -> RateLimitDecision:
        """Count one request for an arbitrary key (e.g. ``"web:203.0.113.7"``) against
        ``limit`` (a limit string); no blocks."""
        verdict = await self._hit([Bucket("key", f"k:{key}", parse_limit(limit))], None)
        return verdict.decision()

    async def _hit(self, buckets: list[Bucket], subject: str | None) -> _Verdict:
        now = self._clock()
        policy = self._policy if subject is not None else None
        if self._redis is not None and (self._down_since is None or now >= self._next_probe):
            try:
                verdict = await self._redis.hit(buckets, subject, policy, now)
            except _REDIS_DOWN as exc:
                self._redis_failed(exc, now)
            else:
                self._redis_ok()
                return verdict
        return self._memory.hit(buckets, subject, policy, now)

    def _redis_ok(self) -> None:
        if self._down_since is not None:
            logger.info("rate limiter: Redis is reachable again; limits are shared")
            self._down_since = None

    def _redis_failed(self, exc: BaseException, now: float) -> None:
        self._last_error = f"{type(exc).__name__}: {exc}"
        self._next_probe = now + PROBE_INTERVAL
        if self._down_since is None:
            self._down_since = now
            logger.warning(
                "rate limiter: Redis unreachable ({}); using per-process limits until it is back",
                self._last_error,
            )

    async def health(self) -> HealthResult:
        """Healthy unless Redis is configured and unreachable (limits are per process then).
        Pings Redis, which also serves as the probe that ends a fallback."""
        data: dict[str, Any] = {"backend": self.backend}
        if self._client is not None:
            try:
                await self._client.ping()
            except _REDIS_DOWN as exc:
                self._redis_failed(exc, self._clock())
            else:
                self._redis_ok()
        data["fallback"] = self.degraded
        if self._down_since is None:
            return HealthResult("ratelimit", True, f"{self.backend} limits", data=data)
        data["down_since"] = self._down_since
        detail = f"Redis unreachable ({self._last_error}); using per-process limits"
        return HealthResult("ratelimit", False, detail, data=data)

    async def close(self) -> None:
        """Close the Redis connection pool (if any)."""
        if self._client is not None:
            await self._client.aclose()


class RateLimitHooks:
    """The default ``dbsbm_rate_limit_check`` (register under the plugin name
    ``"core.ratelimit"``); plugins answering first override it."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    @hookimpl(trylast=True)
    async def dbsbm_rate_limit_check(self, request: RateLimitRequest) -> RateLimitDecision:
        """Delegate to :meth:`RateLimiter.check`."""
        return await self.limiter.check(request)

    @hookimpl
    async def dbsbm_health_check(self) -> HealthResult:
        """Report :meth:`RateLimiter.health`."""
        return await self.limiter.health()


# --- helpers for the pipeline and the web server ----------------------------------------------


def block_event(request: RateLimitRequest, decision: RateLimitDecision) -> SecurityEvent:
    """The security event for a block that just started (pass to ``dbsbm_security_event``)."""
    info = request.info
    return SecurityEvent(
        kind="rate_limit_block",
        user_id=info.user_id,
        guild_id=info.guild_id,
        detail=f"blocked for {decision.retry_after:g}s after repeated rate-limit violations",
        data={"command": info.command, "seconds": decision.retry_after},
    )


def denial_message(decision: RateLimitDecision, now: float | None = None) -> str:
    """The ephemeral reply for a denial, with a Discord relative timestamp
    (``<t:UNIX:R>`` renders as "in 12 seconds" in the member's client)."""
    at = math.ceil((time.time() if now is None else now) + decision.retry_after)
    if decision.blocked:
        return (
            "You have been temporarily blocked for sending too many commands. "
            f"Try again <t:{at}:R>."
        )
    return f"You're doing that too often. Try again <t:{at}:R>."


Report = Callable[[SecurityEvent], Coroutine[Any, Any, None]]


@dataclass(slots=True)
class _Refusals:
    """One address's refusal window: when it opened, and how many requests it refused."""

    opened: float
    count: int
    timer: asyncio.TimerHandle | None = None


class WebRateLimit:
    """The web server's limit per client address (``request.remote``), as an aiohttp middleware.

    A request beyond ``limit`` gets ``429`` with ``Retry-After`` (whole seconds). Refusals are
    reported without flooding and without losing a count: an address's first refusal opens a
    refusal window of the limit's period and reports ``web_rate_limited`` at once; later
    refusals in the window are only counted; when the window closes ``web_rate_limit_ended``
    carries ``data["refused"]``, every request refused in it. So an address costs at most two
    security events per period, however many requests it sends. :meth:`close` closes the open
    windows (call it when the server stops).
    """

    def __init__(self, limiter: RateLimiter, limit: str, report: Report) -> None:
        self._limiter, self._text, self._report = limiter, limit, report
        self._period = parse_limit(limit, ("ratelimit", "web")).period
        self._open: dict[str, _Refusals] = {}
        self._reports: set[asyncio.Task[None]] = set()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        address = request.remote or "unknown"
        decision = await self._limiter.check_key(f"web:{address}", self._text)
        if decision.allowed:
            return await handler(request)
        await self._refused(address)
        seconds = max(1, math.ceil(decision.retry_after))
        return web.json_response(
            {"error": "too many requests", "retry_after": seconds},
            status=429,
            headers={"Retry-After": str(seconds)},
        )

    async def _refused(self, address: str) -> None:
        window = self._open.get(address)
        if window is not None:
            window.count += 1
            return
        loop = asyncio.get_running_loop()
        window = self._open[address] = _Refusals(loop.time(), 1)
        window.timer = loop.call_later(self._period, self._window_closed, address)
        await self._report(
            SecurityEvent(
                kind="web_rate_limited",
                detail=f"more than {self._text} requests to the web server; refusals are "
                f"counted for {self._period:g}s",
                client_address=address,
                data={"limit": self._text},
            )
        )

    def _window_closed(self, address: str) -> None:
        window = self._open.pop(address)
        task = asyncio.get_running_loop().create_task(self._report(self._ended(address, window)))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    def _ended(self, address: str, window: _Refusals) -> SecurityEvent:
        seconds = asyncio.get_running_loop().time() - window.opened
        return SecurityEvent(
            kind="web_rate_limit_ended",
            detail=f"{window.count} request(s) refused in {seconds:.0f}s (more than {self._text})",
            client_address=address,
            data={"limit": self._text, "refused": window.count, "seconds": round(seconds, 3)},
        )

    async def close(self) -> None:
        """Close every open refusal window now (its ``web_rate_limit_ended`` is reported)."""
        closing = [(address, self._open.pop(address)) for address in list(self._open)]
        for _, window in closing:
            if window.timer is not None:
                window.timer.cancel()
        await asyncio.gather(*self._reports)
        for address, window in closing:
            await self._report(self._ended(address, window))
