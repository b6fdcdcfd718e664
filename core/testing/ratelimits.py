"""Discord's REST rate limits: a bucket per route and major parameter, and the global limit.

Every answer carries the bucket's ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` (Unix time),
``-Reset-After`` (seconds) and ``-Bucket`` (a hash shared by the requests of one route); a
request over its bucket, or over the global 50 requests a second, gets 429 with ``Retry-After``,
``X-RateLimit-Scope`` (``user`` or ``global``) and the body Discord sends. As on Discord:

- a bucket is counted per major parameter (the channel, the guild, the webhook and its token),
  so five messages in each of two channels fill two buckets;
- the interaction callback and the OAuth2 token routes have no bucket and send no
  ``X-RateLimit-*`` headers (hikari logs an error when it sees one there), and interaction
  endpoints (the callback and the interaction's webhook) do not count against the global limit.

Discord does not document its per-route figures; :data:`ROUTE_LIMITS` holds the ones it answers
with, and routes not listed there get :data:`DEFAULT_LIMIT` per their major parameter.
``LocalDiscord(rate_limits=False)`` (or ``discord.rate_limits.enabled = False``) keeps the
headers, of a bucket that never runs out (one request used, reset in a millisecond: a client
that keeps to them is not slowed either), but never refuses.
``discord.rate_limits.routes`` are the figures in force (a copy of :data:`ROUTE_LIMITS` a test
may change), and ``discord.rate_limits.counted`` the arrival times of the requests the global
limit counts (let through, or all of them while not enforced), which
:meth:`RateLimiter.busiest_second` reads.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from aiohttp import web

from core.testing.wire import json_reply


@dataclass(frozen=True)
class RouteLimit:
    """``limit`` requests per ``per`` seconds, counted per value of the path parameter ``major``
    (None: one bucket for the whole route)."""

    limit: int
    per: float
    major: str | None = None


#: Requests per second a bot may make across routes (interaction endpoints excepted).
GLOBAL_LIMIT = 50
DEFAULT_LIMIT = RouteLimit(50, 1.0)
MAJOR_PARAMETERS = ("channel_id", "guild_id", "token")
"""Discord's major parameters: a route's bucket is counted per channel, guild or webhook."""


def default_limit(template: str) -> RouteLimit:
    """:data:`DEFAULT_LIMIT`, counted per the route's major parameter (an interaction's
    webhook per its token, as Discord does), for a route without figures of its own."""
    major = next((m for m in MAJOR_PARAMETERS if "{" + m + "}" in template), None)
    return RouteLimit(DEFAULT_LIMIT.limit, DEFAULT_LIMIT.per, major)


#: The routes (method and path under ``/api/v10``) with their own figures.
ROUTE_LIMITS: dict[tuple[str, str], RouteLimit] = {
    ("POST", "/channels/{channel_id}/messages"): RouteLimit(5, 5.0, "channel_id"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): RouteLimit(5, 5.0, "channel_id"),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): RouteLimit(5, 1.0, "channel_id"),
    ("POST", "/channels/{channel_id}/typing"): RouteLimit(5, 5.0, "channel_id"),
    ("POST", "/webhooks/{application_id}/{token}"): RouteLimit(5, 2.0, "token"),
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): RouteLimit(
        10, 10.0, "guild_id"
    ),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): RouteLimit(
        10, 10.0, "guild_id"
    ),
    ("GET", "/guilds/{guild_id}/members"): RouteLimit(10, 10.0, "guild_id"),
}
#: Routes with no bucket at all (hikari, which knows Discord's, expects none there).
UNLIMITED = frozenset(
    {
        ("POST", "/interactions/{interaction_id}/{token}/callback"),
        ("POST", "/oauth2/token"),
        ("POST", "/oauth2/token/revoke"),
    }
)
#: The ``X-RateLimit-Reset-After`` of every answer while limits are switched off.
_UNLIMITED_RESET = 0.001
#: Routes of interactions, outside the global limit.
_INTERACTION_ROUTES = ("/interactions/", "/webhooks/")


@dataclass
class _Window:
    """One bucket's requests in the current window (``resets`` on the monotonic clock)."""

    used: int
    resets: float


@dataclass(frozen=True)
class Verdict:
    """What the limiter says of one request: its headers and, when refused, the 429."""

    headers: dict[str, str]
    refusal: web.Response | None = None


class RateLimiter:
    """The buckets of one local Discord; ``enabled`` False counts nothing and refuses nothing."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        #: The route figures in force (routes not listed get :data:`DEFAULT_LIMIT`).
        self.routes = dict(ROUTE_LIMITS)
        #: When (``time.monotonic()``) each request counted against the global limit arrived.
        self.counted: list[float] = []
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global = _Window(0, 0.0)

    def take(self, method: str, template: str, params: dict[str, str]) -> Verdict:
        """Count a request to ``template`` (the route's path under ``/api/v10``) with the path
        parameters ``params``."""
        if (method, template) in UNLIMITED:
            return Verdict({})
        route = self.routes.get((method, template)) or default_limit(template)
        bucket = _bucket_hash(method, template)
        now = time.monotonic()
        if not self.enabled:
            if not template.startswith(_INTERACTION_ROUTES):
                self.counted.append(now)
            return Verdict(_headers(route, bucket, route.limit - 1, _UNLIMITED_RESET))
        if not template.startswith(_INTERACTION_ROUTES):
            glob = self._global
            if glob.resets <= now:
                glob.used, glob.resets = 0, now + 1.0
            if glob.used >= GLOBAL_LIMIT:
                return Verdict({}, too_many_requests(glob.resets - now, None))
            glob.used += 1
            self.counted.append(now)
        key = (bucket, params.get(route.major, "") if route.major else "")
        window = self._windows.get(key)
        if window is None or window.resets <= now:
            window = self._windows[key] = _Window(0, now + route.per)
        if window.used >= route.limit:
            return Verdict({}, too_many_requests(window.resets - now, bucket, route.limit))
        window.used += 1
        return Verdict(_headers(route, bucket, route.limit - window.used, window.resets - now))

    def busiest_second(self) -> int:
        """The most requests counted against the global limit in any one second."""
        times, most, start = self.counted, 0, 0
        for end, now in enumerate(times):
            while times[start] <= now - 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most


def _bucket_hash(method: str, template: str) -> str:
    """The ``X-RateLimit-Bucket`` of a route: 32 hex digits, the same for all its majors."""
    digest = hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False)
    return digest.hexdigest()[:32]


def _headers(route: RouteLimit, bucket: str, remaining: int, reset_after: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(route.limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def too_many_requests(retry_after: float, bucket: str | None, limit: int = 1) -> web.Response:
    """Discord's 429 for a route's ``bucket`` (its headers, 0 left, scope ``user``), or for the
    global limit when ``bucket`` is None (no bucket headers, scope ``global``)."""
    retry_after = round(max(retry_after, 0.001), 3)
    headers = {"Retry-After": str(math.ceil(retry_after)), "Via": "1.1 google"}
    if bucket is None:
        headers |= {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
    else:
        route = RouteLimit(limit, retry_after)
        headers |= _headers(route, bucket, 0, retry_after) | {"X-RateLimit-Scope": "user"}
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": bucket is None,
        "code": 0,
    }
    return json_reply(body, 429, headers)
