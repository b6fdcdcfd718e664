"""Where the windows live: :class:`MemoryStore` (one process) and :class:`RedisStore` (shared)."""

from __future__ import annotations

import hashlib
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


def _bulk(value: bytes) -> bytes:
    """``value`` as a bulk string of the Redis protocol."""
    return b"$%d\r\n%b\r\n" % (len(value), value)


class RedisStore:
    """Sliding windows in Redis, shared by every process of the bot.

    A window is a list of its newest hits' times, newest first, trimmed to the limit's count:
    the hit at index ``count - 1``, when it is younger than the period, is the one whose expiry
    frees a place (the retry time), as in :class:`MemoryStore`. A subject's recent denials are
    such a list too (trimmed to the policy's ``after``), and a block a hash (until, level, at).

    The script's arguments: the check's time, each bucket's count and period, then (with a block
    policy) the policy's five numbers in one; its keys: the buckets' windows, then the
    subject's denials and block. An allowed check, the common one, reads the block's ``until``
    and each window's one entry, pushes the time and answers one integer.

    A check writes its EVALSHA command itself from parts encoded once (the limits' and the
    policy's arguments), encoding only the keys and the time, and sends it on a connection of
    the client's pool with the client's retry policy: redis-py's own command call would encode
    every argument again (a third of the client's time per check)."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        from redis.exceptions import NoScriptError

        self._client = client
        self._no_script = NoScriptError
        self._evalsha = _bulk(b"EVALSHA") + _bulk(
            hashlib.sha1(_LUA.encode(), usedforsecurity=False).hexdigest().encode()
        )
        self._windows = f"{prefix}:wl:"
        self._denials = f"{prefix}:vl:"
        self._blocks = f"{prefix}:b:"
        self._encoded: dict[Limit | BlockPolicy, tuple[int, bytes]] = {}

    async def hit(
        self, buckets: Sequence[Bucket], subject: str | None, policy: BlockPolicy | None, now: float
    ) -> Verdict:
        """Check and count in one round trip; same semantics as :class:`MemoryStore`."""
        keys = [self._windows + b.key for b in buckets]
        encoded = [self._encoded.get(b.limit) or self._encode(b.limit) for b in buckets]
        if subject is not None and policy is not None:
            keys += [self._denials + subject, self._blocks + subject]
            encoded.append(self._encoded.get(policy) or self._encode(policy))
        args = 4 + len(keys) + sum(n for n, _ in encoded)  # EVALSHA sha numkeys keys now ...
        command = b"".join(
            [
                b"*%d\r\n" % args,
                self._evalsha,
                _bulk(b"%d" % len(keys)),
                *[_bulk(key.encode()) for key in keys],
                _bulk(repr(now).encode()),
                *[part for _, part in encoded],
            ]
        )
        # One integer when allowed (the hot path reads one value), else "retry index new_block"
        answer = await self._call(command)
        if answer == 1:
            return ALLOW
        retry, index, new_block = answer.split()
        retry_after = float(retry)
        if int(index) == 0:
            return Verdict(False, retry_after, "block", blocked=True, new_block=new_block == "1")
        return Verdict(False, retry_after, buckets[int(index) - 1].scope)

    def _encode(self, item: Limit | BlockPolicy) -> tuple[int, bytes]:
        """The script's arguments for a limit (count, period) or a block policy (its five
        numbers in one argument), encoded once: how many, and their bytes on the wire."""
        if isinstance(item, Limit):
            args = [str(item.count).encode(), repr(item.period).encode()]
        else:
            numbers = (item.after, item.window, item.seconds, item.memory, item.cap)
            args = [" ".join(map(repr, numbers)).encode()]
        self._encoded[item] = len(args), b"".join(map(_bulk, args))
        return self._encoded[item]

    async def _call(self, command: bytes) -> Any:
        """The answer to ``command``; loads the script first when Redis has lost it (after a
        restart or a ``SCRIPT FLUSH``)."""
        try:
            return await self._send(command)
        except self._no_script:
            await self._client.script_load(_LUA)
            return await self._send(command)

    async def _send(self, command: bytes) -> Any:
        """Send ``command`` on a pooled connection and read the answer; a dropped connection is
        retried as the client's retry policy says (as redis-py's own command call does)."""
        pool = self._client.connection_pool
        conn = await pool.get_connection()

        async def roundtrip() -> Any:
            await conn.send_packed_command(command)
            return await conn.read_response()

        async def disconnect(_error: Exception) -> None:
            await conn.disconnect()

        try:
            return await conn.retry.call_with_retry(roundtrip, disconnect)
        finally:
            await pool.release(conn)
