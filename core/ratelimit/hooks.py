"""The core's default rate-limit hook implementations and the event of a new block."""

from __future__ import annotations

from core.events import HealthResult, RateLimitDecision, RateLimitRequest, SecurityEvent
from core.hookspecs import hookimpl
from core.ratelimit.limiter import RateLimiter


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
