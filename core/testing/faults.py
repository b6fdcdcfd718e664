"""Faults on demand: rate limits, server errors, slow routes, gateway drops and redeliveries.

Route patterns are paths relative to ``/api/v10`` in the OpenAPI style, where ``{name}`` stands
for one path segment and ``*`` for anything: ``"/channels/{channel_id}/messages"``,
``"/interactions/*"``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from core.testing.gateway import Gateway
from core.testing.ratelimits import too_many_requests
from core.testing.wire import json_reply

_GatewayFault = Callable[[int | None], Awaitable[None]]

#: How long a fault method waits for the bot to come back to the gateway.
RECONNECT_TIMEOUT = 5.0


def route_regex(pattern: str) -> re.Pattern[str]:
    """Compile a route pattern (``{name}`` = one segment, ``*`` = anything)."""
    regex = re.escape(pattern).replace(r"\*", ".*")
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", regex))


@dataclass(eq=False)
class RouteFault:
    """Answer the next ``times`` matching requests with an error instead of handling them."""

    method: str
    regex: re.Pattern[str]
    status: int
    times: int
    retry_after: float = 0.0
    is_global: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in ("*", method) and bool(self.regex.fullmatch(path))

    def reply(self) -> web.Response:
        self.times -= 1
        if self.status != 429:
            reason = {500: "Internal Server Error", 502: "Bad Gateway"}.get(self.status, "Error")
            return json_reply({"message": f"{self.status}: {reason}", "code": 0}, self.status)
        return too_many_requests(self.retry_after, None if self.is_global else "local-discord", 5)


@dataclass(eq=False)
class RouteDelay:
    """Hold matching requests for ``seconds`` before handling them (``times`` None = always)."""

    method: str
    regex: re.Pattern[str]
    seconds: float
    times: int | None

    def matches(self, method: str, path: str) -> bool:
        return (
            (self.times is None or self.times > 0)
            and self.method in ("*", method)
            and bool(self.regex.fullmatch(path))
        )


class Faults:
    """The faults a test can switch on; reached as ``discord.faults``."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._route_faults: list[RouteFault] = []
        self._delays: list[RouteDelay] = []
        #: How many more times the next interaction is delivered again (same id and token).
        self.duplicate_deliveries = 0

    # REST

    def rate_limit(
        self,
        method: str,
        pattern: str,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with 429 (``Via`` header included)."""
        self._route_faults.append(
            RouteFault(method, route_regex(pattern), 429, times, retry_after, is_global)
        )

    def server_error(self, method: str, pattern: str, *, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with a 5xx status."""
        self._route_faults.append(RouteFault(method, route_regex(pattern), status, times))

    def delay(self, method: str, pattern: str, seconds: float, *, times: int | None = None) -> None:
        """Hold matching requests for ``seconds`` (the next ``times`` ones, or all)."""
        self._delays.append(RouteDelay(method, route_regex(pattern), seconds, times))

    def clear(self) -> None:
        """Switch every REST fault and delay off."""
        self._route_faults.clear()
        self._delays.clear()

    async def apply(self, method: str, path: str) -> web.Response | None:
        """Delay a request and/or answer it with a fault; None lets it through."""
        for delay in self._delays:
            if delay.matches(method, path):
                if delay.times is not None:
                    delay.times -= 1
                await asyncio.sleep(delay.seconds)
        for fault in self._route_faults:
            if fault.matches(method, path):
                return fault.reply()
        return None

    # Gateway: each returns the bot's next handshake, "RESUME" or "IDENTIFY".

    async def drop_gateway(self, shard: int | None = None) -> str:
        """Cut the gateway connection without a close frame."""
        return await self._expect_reconnect(self._drop, shard)

    async def close_gateway(self, code: int = 4000, shard: int | None = None) -> str:
        """Close the gateway connection with ``code``."""

        async def close(shard: int | None) -> None:
            await self._gateway.close(code, shard)

        return await self._expect_reconnect(close, shard)

    async def request_reconnect(self, shard: int | None = None) -> str:
        """Send op 7 RECONNECT; the bot should RESUME."""

        async def reconnect(shard: int | None) -> None:
            await self._gateway.send_op(7, None, shard)

        return await self._expect_reconnect(reconnect, shard)

    async def invalidate_session(self, shard: int | None = None) -> str:
        """Send op 9 INVALID SESSION with ``d: false``; the bot should IDENTIFY again."""

        async def invalidate(shard: int | None) -> None:
            await self._gateway.invalidate(shard)

        return await self._expect_reconnect(invalidate, shard)

    def duplicate_next_interaction(self, times: int = 1) -> None:
        """Deliver the next interaction ``times`` more times, with the same id and token."""
        self.duplicate_deliveries = times

    async def _drop(self, shard: int | None) -> None:
        self._gateway.drop(shard)

    async def _expect_reconnect(self, fault: _GatewayFault, shard: int | None) -> str:
        before = len(self._gateway.handshakes)
        await fault(shard)
        return await self._gateway.wait_handshake(before, RECONNECT_TIMEOUT)
