"""The core's rate limiter: memory or Redis, falling back to memory while Redis is down."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from core.breaker import BreakerState, CircuitBreaker, Clock, redis_client, redis_down
from core.events import HealthResult, RateLimitDecision, RateLimitRequest
from core.ratelimit.limits import BlockPolicy, Bucket, Limit, LimitError, Verdict, parse_limit
from core.ratelimit.stores import MemoryStore, RedisStore
from core.settings import ConfigError, RateLimitSettings, source_of

if TYPE_CHECKING:
    import redis.asyncio as aioredis

OnBlock = Callable[[RateLimitRequest, RateLimitDecision], Awaitable[None]]

PROBE_INTERVAL = 5.0
"""Seconds between attempts to get back to Redis after it failed."""


def configured_limiter(
    settings: RateLimitSettings, config_file: Path, on_block: OnBlock | None = None
) -> RateLimiter:
    """The limiter of ``settings``; a limit that does not parse is a :class:`ConfigError`
    naming where it was set (``config_file`` or a variable)."""
    try:
        return RateLimiter(settings, on_block=on_block)
    except LimitError as exc:
        raise ConfigError(f"{source_of(exc.loc, config_file)}: {exc.reason}") from None


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
        self._on_block = on_block
        self._clock = clock
        #: ``"memory"`` or ``"redis"``, as configured (:attr:`degraded` tells of a fallback).
        self.backend = settings.backend
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
        self._down: tuple[type[BaseException], ...] = ()
        if settings.backend == "redis":
            self._down = redis_down()
            self._client = redis_client(settings.redis_url, decode_responses=True)
            self._redis = RedisStore(self._client, prefix)
        self._breaker = CircuitBreaker(1, PROBE_INTERVAL, clock)
        self._last_error = ""
        self._declared: dict[str, Limit] = {}

    @property
    def degraded(self) -> bool:
        """True while Redis is configured but unreachable and local limits are used."""
        return self._breaker.state is not BreakerState.CLOSED

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

    def declare(self, limits: dict[str, Limit]) -> Callable[[], None]:
        """Add limits that commands declared (:func:`~core.ratelimit.limits.rate_limit`), by
        command or group name; return how to withdraw them (on the plugin's unload)."""
        self._declared.update(limits)

        def withdraw() -> None:
            for name, limit in limits.items():
                if self._declared.get(name) is limit:
                    del self._declared[name]

        return withdraw

    def command_limit(self, bucket_key: str) -> tuple[str, Limit]:
        """The most specific command or group for ``bucket_key`` with a limit, configured in
        ``[ratelimit.commands]`` or else declared by the command, and that limit;
        ``(bucket_key, default)`` when none matches."""
        words = bucket_key.split()
        for end in range(len(words), 0, -1):
            name = " ".join(words[:end])
            limit = self._commands.get(name) or self._declared.get(name)
            if limit is not None:
                return name, limit
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

    async def _hit(self, buckets: list[Bucket], subject: str | None) -> Verdict:
        now = self._clock()
        policy = self._policy if subject is not None else None
        if self._redis is not None and self._breaker.allow():
            try:
                verdict = await self._redis.hit(buckets, subject, policy, now)
            except self._down as exc:
                self._redis_failed(exc)
            else:
                self._redis_ok()
                return verdict
        return self._memory.hit(buckets, subject, policy, now)

    def _redis_ok(self) -> None:
        if self._breaker.success():
            logger.info("rate limiter: Redis is reachable again; limits are shared")

    def _redis_failed(self, exc: BaseException) -> None:
        self._last_error = f"{type(exc).__name__}: {exc}"
        if self._breaker.failure():
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
            except self._down as exc:
                self._redis_failed(exc)
            else:
                self._redis_ok()
        data["fallback"] = self.degraded
        if not self.degraded:
            return HealthResult("ratelimit", True, f"{self.backend} limits", data=data)
        data["down_since"] = self._breaker.down_since
        detail = f"Redis unreachable ({self._last_error}); using per-process limits"
        return HealthResult("ratelimit", False, detail, data=data)

    async def close(self) -> None:
        """Close the Redis connection pool (if any)."""
        if self._client is not None:
            await self._client.aclose()
