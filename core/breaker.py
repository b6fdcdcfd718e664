"""The one design for "a backend is down": a circuit breaker, used by the cache and the rate
limiter alike for Redis.

Closed, every call goes to the backend. ``failures`` consecutive failures open it: callers use
their in-process fallback (the memory cache, per-process limits) without waiting on the backend.
After ``cooldown`` seconds it is half-open: exactly one call probes the backend; success closes
it, failure opens it again for another cooldown. ``down_since`` is when it last opened from
closed (the start of the outage), for health reports.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio as aioredis

Clock = Callable[[], float]


class BreakerState(StrEnum):
    """Where a breaker stands; the values are what health data and metrics show."""

    CLOSED = "closed"  # calls go to the backend
    OPEN = "open"  # callers use their fallback until the cooldown is over
    HALF_OPEN = "half_open"  # one probe call is let through


REDIS_TIMEOUT = 0.5
"""Connect and command timeout (seconds) of every Redis client of the core."""


def redis_down() -> tuple[type[BaseException], ...]:
    """The exceptions that mean Redis is unreachable (as opposed to a refused command).

    A function, so that only a process configured for Redis imports redis-py (half a second)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError)


def redis_client(
    url: str, *, decode_responses: bool = False, read_timeout: float | None = REDIS_TIMEOUT
) -> aioredis.Redis:
    """A Redis client for ``url`` with short timeouts and no retry backoff (the breaker, not
    the client, decides what to do when Redis is away); ``read_timeout=None`` for a client that
    waits on a subscription."""
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=read_timeout,
        retry=Retry(NoBackoff(), 1),
        decode_responses=decode_responses,
    )


class CircuitBreaker:
    """Closed → (``failures`` consecutive failures) → open → (``cooldown``) → half-open: one
    probe; success closes, failure opens again (see the module's docstring)."""

    def __init__(self, failures: int, cooldown: float, clock: Clock) -> None:
        self._failures = failures
        self._cooldown = cooldown
        self._clock = clock
        self._count = 0
        self._opened_at: float | None = None
        self._probing = False
        self.down_since: float | None = None

    @property
    def state(self) -> BreakerState:
        """The current state (open turns half-open once the cooldown is over)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self._clock() - self._opened_at >= self._cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """May Redis be used now? In half-open only the one probe is let through."""
        if self._opened_at is None:
            return True
        if not self._probing and self._clock() - self._opened_at >= self._cooldown:
            self._probing = True
            return True
        return False

    def success(self) -> bool:
        """Record a success; true when this closed the breaker."""
        self._count = 0
        self._probing = False
        was_open = self._opened_at is not None
        self._opened_at = self.down_since = None
        return was_open

    def failure(self) -> bool:
        """Record a failure; true when this opened a closed breaker (a failed probe re-opens
        it silently)."""
        self._count += 1
        if self._probing:
            self._probing = False
            self._opened_at = self._clock()
            return False
        if self._opened_at is None and self._count >= self._failures:
            self._opened_at = self.down_since = self._clock()
            return True
        return False
