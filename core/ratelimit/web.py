"""The web server's rate limit per client address (an aiohttp middleware)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from core.events import SecurityEvent
from core.ratelimit.limiter import RateLimiter
from core.ratelimit.limits import parse_limit

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
            {
                "error": {
                    "status": 429,
                    "code": "rate_limited",
                    "message": f"too many requests: at most {self._text} per address",
                    "retry_after": seconds,
                }
            },
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
