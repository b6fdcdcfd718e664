"""What a member reads when the rate limiter refuses a command."""

from __future__ import annotations

import math
import time

from core.events import RateLimitDecision


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
