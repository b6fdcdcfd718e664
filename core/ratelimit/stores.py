"""Where the windows live: :class:`MemoryStore` (one process) and :class:`RedisStore` (shared)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.ratelimit.limits import ALLOW, BLOCK_MEMORY, BlockPolicy, Bucket, Limit, Verdict

if TYPE_CHECKING:
    import redis.asyncio as aioredis

SWEEP_INTERVAL = 60.0
"""Seconds between sweeps of expired windows in the memory store."""


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
    ) -> Verdict:
        """Check ``buckets`` (and ``subject``'s block) and count the request if all accept."""
        if now - self._last_sweep >= SWEEP_INTERVAL:
            self._sweep(now)
        if subject is not None and policy is not None:
            block = self._blocks.get(subject)
            if block is not None and block.until > now:
                return Verdict(False, block.until - now, "block", blocked=True)
        denied: Verdict | None = None
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
                    denied = Verdict(False, retry, bucket.scope)
        if denied is not None:
            if subject is not None and policy is not None:
                return self._violation(subject, policy, now) or denied
            return denied
        for window in windows:
            window.stamps.append(now)
        return ALLOW

    def _violation(self, subject: str, policy: BlockPolicy, now: float) -> Verdict | None:
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
        return Verdict(False, duration, "block", blocked=True, new_block=True)

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


_LUA = """
local function f(x) return string.format('%.17g', x) end
local now = tonumber(ARGV[1])
local nb = math.floor((#ARGV - 1) / 2)
local policy = #ARGV % 2 == 0
if policy then
  local untl = redis.call('HGET', KEYS[nb + 2], 'until')
  if untl and tonumber(untl) > now then return f(untl - now) .. ' 0 0' end
end
local denied, retry = 0, 0
for i = 1, nb do
  local e = redis.call('LINDEX', KEYS[i], ARGV[2 * i] - 1)
  if e then
    local r = tonumber(e) + tonumber(ARGV[2 * i + 1]) - now
    if r > 0 and (denied == 0 or r > retry) then denied, retry = i, r end
  end
end
if denied == 0 then
  for i = 1, nb do
    local count = tonumber(ARGV[2 * i])
    if redis.call('LPUSH', KEYS[i], ARGV[1]) > count then
      redis.call('LTRIM', KEYS[i], 0, count - 1)
    end
    redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i + 1]) * 1000))
  end
  return 1
end
if policy then
  local a, w, s, m, c = string.match(ARGV[#ARGV], '(%S+) (%S+) (%S+) (%S+) (%S+)')
  local after, window, seconds = tonumber(a), tonumber(w), tonumber(s)
  local memory, cap = tonumber(m), tonumber(c)
  local vkey, bkey = KEYS[nb + 1], KEYS[nb + 2]
  redis.call('LPUSH', vkey, ARGV[1])
  redis.call('LTRIM', vkey, 0, after - 1)
  redis.call('PEXPIRE', vkey, math.ceil(window * 1000))
  local oldest = redis.call('LINDEX', vkey, after - 1)
  if oldest and tonumber(oldest) > now - window then
    local prev = redis.call('HMGET', bkey, 'level', 'at')
    local level = 1
    if prev[1] and now - tonumber(prev[2]) < memory then level = tonumber(prev[1]) + 1 end
    local duration = math.min(cap, seconds * 2 ^ math.min(level - 1, 60))
    redis.call('HSET', bkey, 'until', f(now + duration), 'level', level, 'at', ARGV[1])
    redis.call('PEXPIRE', bkey, math.ceil((memory + duration) * 1000))
    redis.call('DEL', vkey)
    return f(duration) .. ' 0 1'
  end
end
return f(retry) .. ' ' .. denied .. ' 0'
"""


class RedisStore:
    """Sliding windows in Redis, shared by every process of the bot.

    A window is a list of its newest hits' times, newest first, trimmed to the limit's count:
    the hit at index ``count - 1``, when it is younger than the period, is the one whose expiry
    frees a place (the retry time), as in :class:`MemoryStore`. A subject's recent denials are
    such a list too (trimmed to the policy's ``after``), and a block a hash (until, level, at).

    The script's arguments: the check's time, each bucket's count and period, then (with a block
    policy) the policy's five numbers in one; its keys: the buckets' windows, then the
    subject's denials and block. An allowed check, the common one, reads the block's ``until``
    and each window's one entry, pushes the time and answers one integer."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._script = client.register_script(_LUA)
        self._windows = f"{prefix}:wl:"
        self._denials = f"{prefix}:vl:"
        self._blocks = f"{prefix}:b:"
        self._encoded: dict[Limit | BlockPolicy, list[bytes]] = {}

    async def hit(
        self, buckets: Sequence[Bucket], subject: str | None, policy: BlockPolicy | None, now: float
    ) -> Verdict:
        """Check and count in one round trip (EVALSHA); same semantics as :class:`MemoryStore`."""
        keys = [self._windows + b.key for b in buckets]
        args: list[Any] = [repr(now)]
        for bucket in buckets:
            args += self._encoded.get(bucket.limit) or self._encode(bucket.limit)
        if subject is not None and policy is not None:
            keys += [self._denials + subject, self._blocks + subject]
            args += self._encoded.get(policy) or self._encode(policy)
        # One integer when allowed (the hot path reads one value), else "retry index new_block"
        answer = await self._script(keys, args)
        if answer == 1:
            return ALLOW
        retry, index, new_block = answer.split()
        retry_after = float(retry)
        if int(index) == 0:
            return Verdict(False, retry_after, "block", blocked=True, new_block=new_block == "1")
        return Verdict(False, retry_after, buckets[int(index) - 1].scope)

    def _encode(self, item: Limit | BlockPolicy) -> list[bytes]:
        """The script's arguments for a limit (count, period) or a block policy (its five
        numbers in one argument), encoded once: a check then sends bytes redis-py passes on."""
        if isinstance(item, Limit):
            args = [str(item.count).encode(), repr(item.period).encode()]
        else:
            numbers = (item.after, item.window, item.seconds, item.memory, item.cap)
            args = [" ".join(map(repr, numbers)).encode()]
        self._encoded[item] = args
        return args
