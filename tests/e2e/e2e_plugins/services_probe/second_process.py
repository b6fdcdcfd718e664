"""A second bot process, as far as the shared services go: it builds the rate limiter and the
cache from the same ``[ratelimit]`` and ``[cache]`` sections a bot process reads, acts on Redis
once, and prints what it saw as JSON (run by ``tests/e2e/test_services_e2e.py``)::

    python second_process.py '<{"ratelimit": {...}, "cache": {...}}>' '<actions>'

Actions: ``{"check": {"user_id", "guild_id", "channel_id", "command"}}`` counts one interaction
of that member against the shared limits; ``{"invalidate": {"namespace", "key"}}`` deletes one
cache key.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from core.cache import Cache
from core.events import InteractionInfo, RateLimitRequest
from core.ratelimit.limiter import RateLimiter
from core.settings import CacheSettings, RateLimitSettings


async def act(sections: dict[str, Any], actions: dict[str, Any]) -> dict[str, Any]:
    """Run ``actions`` with services built from ``sections``; what each one answered."""
    limiter = RateLimiter(RateLimitSettings(**sections["ratelimit"]))
    cache = Cache(CacheSettings(**sections["cache"]))
    out: dict[str, Any] = {}
    try:
        if check := actions.get("check"):
            info = InteractionInfo(
                interaction_id=0,
                kind="command",
                plugin="services_probe",
                command=check["command"],
                user_id=check["user_id"],
                guild_id=check["guild_id"],
                channel_id=check["channel_id"],
            )
            decision = await limiter.check(RateLimitRequest(info, bucket_key=check["command"]))
            out["check"] = {"allowed": decision.allowed, "degraded": limiter.degraded}
        if invalidate := actions.get("invalidate"):
            namespace = cache.namespace(invalidate["namespace"])
            await namespace.delete(invalidate["key"])
            out["invalidate"] = {"breaker": cache.breaker_state}
    finally:
        await limiter.close()
        await cache.close()
    return out


if __name__ == "__main__":
    result = asyncio.run(act(json.loads(sys.argv[1]), json.loads(sys.argv[2])))
    print(json.dumps(result))
