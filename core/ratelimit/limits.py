"""Limit strings (``"5/60s"``), the buckets a request is counted in, and the block policy."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from core.events import RateLimitDecision

BLOCK_MEMORY = 86_400.0
"""A block within this many seconds of the previous one doubles it."""
BLOCK_CAP = 86_400.0
"""No block lasts longer than this (seconds)."""
RATE_LIMIT = "rate_limit"
"""The key of a command's ``extras`` that holds the limit :func:`rate_limit` declared."""

Command = TypeVar("Command")


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
class Verdict:
    """A store's answer for one request (``new_block``: this request started a block)."""

    allowed: bool
    retry_after: float = 0.0
    scope: str = ""
    blocked: bool = False
    new_block: bool = False

    def decision(self) -> RateLimitDecision:
        if self.allowed:
            return ALLOWED
        return RateLimitDecision(False, self.retry_after, self.scope, self.blocked)


ALLOW = Verdict(True)
ALLOWED = RateLimitDecision(True)
"""The decision of every allowed check but an owner's (one frozen instance, shared)."""


def rate_limit(limit: str) -> Callable[[Command], Command]:
    """Declare a command's per-member limit, e.g. ``"3/60s"``; put it above disnake's command
    decorator (``commands.slash_command``, ``sub_command``, ``user_command``...)::

        @rate_limit("3/1m")
        @group.sub_command()
        async def give(inter, member: disnake.Member) -> None: ...

    The pipeline enforces it like the core's own limits (the ``rate_limited`` outcome, the
    "try again" reply, blocks, owners exempt, shared through Redis). A limit for the same
    command or group in ``[ratelimit.commands]`` of config.toml overrides it. A bad limit
    string raises :class:`LimitError` when the plugin is imported.
    """
    parse_limit(limit, "rate_limit")

    def declare(command: Command) -> Command:
        extras = getattr(command, "extras", None)
        if not isinstance(extras, dict):
            raise TypeError(
                "@rate_limit goes above the command decorator (commands.slash_command, "
                f"sub_command, ...), not on {command!r}"
            )
        extras[RATE_LIMIT] = limit
        return command

    return declare


def declared_limits(command: Any) -> dict[str, Limit]:
    """The limits :func:`rate_limit` declared on ``command`` and its sub-commands, by
    qualified name (``"karma give"``)."""
    found: dict[str, Limit] = {}
    stack = [command]
    while stack:
        item = stack.pop()
        text = (getattr(item, "extras", None) or {}).get(RATE_LIMIT)
        if text is not None:
            found[item.qualified_name] = parse_limit(text, "rate_limit")
        stack.extend((getattr(item, "children", None) or {}).values())
    return found
