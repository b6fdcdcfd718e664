"""Benchmark of the core services beside their baselines, in one run.

    uv run python benchmarks/services.py [--redis redis://127.0.0.1:6379/0]

- Rate limiting: checks per second of :class:`core.ratelimit.limiter.RateLimiter` (memory and Redis)
  beside the ``limits`` library's moving-window limiter (memory and Redis storage, redis-py).
- Cache: latency of one ``get`` (hit) of :class:`core.cache.Cache` (memory and Redis) beside raw
  aiocache (``SimpleMemoryCache`` / ``RedisCache`` with aiocache's JSON serializer).

Each figure is the median of ``--repeat`` runs; ratios are ours / baseline. In a run, ours and the
baseline take turns by tenths of their calls (after an untimed tenth each), so both meet the same
load. Keys live under a random prefix and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from aiocache import RedisCache, SimpleMemoryCache
from aiocache.serializers import JsonSerializer
from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from core.cache import Cache
from core.events import InteractionInfo, RateLimitRequest
from core.ratelimit.limiter import RateLimiter
from core.settings import CacheSettings, RateLimitSettings

USERS = 1000
VALUE = {"home": "Yankees", "away": "Red Sox", "odds": [-110, 150], "total": 8.5}


async def latencies(call: Callable[[], Awaitable[object]], n: int) -> list[float]:
    """Microseconds of ``n`` sequential calls."""
    out = []
    for _ in range(n):
        started = time.perf_counter_ns()
        await call()
        out.append((time.perf_counter_ns() - started) / 1000)
    return out


async def side_by_side(
    calls: dict[str, Callable[[], Awaitable[object]]], n: int, slices: int = 10
) -> dict[str, list[float]]:
    """Microseconds of ``n`` calls of each of ``calls`` (ours and a baseline), made in slices that
    take turns, so that both meet the machine's load alike (other processes, a Redis server
    that sat idle during the memory runs), after an untimed slice of each."""
    out: dict[str, list[float]] = {key: [] for key in calls}
    size = n // slices
    for call in calls.values():
        await latencies(call, size)
    for i in range(slices):
        for key in list(calls) if i % 2 == 0 else list(calls)[::-1]:
            out[key] += await latencies(calls[key], size)
    return out


def per_second(values: list[float]) -> float:
    """Calls per second of calls that took ``values`` microseconds."""
    return len(values) / sum(values) * 1e6


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def bench_ratelimit(url: str, prefix: str, repeat: int) -> None:
    settings = dict(default="1000000/60s", block_after=1000)
    ours_mem = RateLimiter(RateLimitSettings(**settings), prefix=prefix)
    ours_redis = RateLimiter(
        RateLimitSettings(backend="redis", redis_url=url, **settings), prefix=prefix
    )
    item = parse("1000000/minute")
    lim_mem = MovingWindowRateLimiter(MemoryStorage())
    redis_uri = "async+redis://" + url.split("://", 1)[1]
    lim_redis = MovingWindowRateLimiter(
        RedisStorage(redis_uri, implementation="redispy", key_prefix=f"{prefix}:limits")
    )
    requests = [
        RateLimitRequest(InteractionInfo(1, "command", None, "bet", u, 10, 20), "bet")
        for u in range(USERS)
    ]

    def checks(check: Callable[[int], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        """``check`` of the next of ``USERS`` users at each call."""
        users = itertools.cycle(range(USERS))
        return lambda: check(next(users))

    cases = {
        "om": checks(lambda u: ours_mem.check(requests[u])),
        "lm": checks(lambda u: lim_mem.hit(item, "bet", str(u))),
        "or": checks(lambda u: ours_redis.check(requests[u])),
        "lr": checks(lambda u: lim_redis.hit(item, "bet", str(u))),
    }
    runs: dict[str, list[float]] = {k: [] for k in cases}
    for pair, n in ((("om", "lm"), 20_000), (("or", "lr"), 3_000)):
        for _ in range(repeat):
            for key, values in (await side_by_side({k: cases[k] for k in pair}, n)).items():
                runs[key].append(per_second(values))
    await ours_mem.close()
    await ours_redis.close()
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"rate-limit checks/second (median of {repeat} runs)")
    print(
        f"  memory  ours {med['om']:>10,.0f}   limits moving-window {med['lm']:>10,.0f}"
        f"   ratio {med['om'] / med['lm']:.2f}"
    )
    print(
        f"  redis   ours {med['or']:>10,.0f}   limits moving-window {med['lr']:>10,.0f}"
        f"   ratio {med['or'] / med['lr']:.2f}"
    )


async def bench_cache(url: str, prefix: str, repeat: int) -> None:
    parts = urlsplit(url)
    ours_mem = Cache(CacheSettings(), prefix=prefix)
    ours_redis = Cache(CacheSettings(backend="redis", redis_url=url), prefix=prefix)
    raw_mem = SimpleMemoryCache()
    raw_redis = RedisCache(
        serializer=JsonSerializer(),
        endpoint=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=int((parts.path or "/0").lstrip("/") or 0),
        password=parts.password,
    )
    for ns in (ours_mem.namespace("bench"), ours_redis.namespace("bench")):
        await ns.set("game", VALUE)
    await raw_mem.set("game", VALUE)
    await raw_redis.set(f"{prefix}:raw:game", VALUE)
    mem_ns, redis_ns = ours_mem.namespace("bench"), ours_redis.namespace("bench")
    cases: dict[str, Callable[[], Awaitable[object]]] = {
        "om": lambda: mem_ns.get("game"),
        "rm": lambda: raw_mem.get("game"),
        "or": lambda: redis_ns.get("game"),
        "rr": lambda: raw_redis.get(f"{prefix}:raw:game"),
    }
    med: dict[str, list[float]] = {k: [] for k in cases}
    tail: dict[str, list[float]] = {k: [] for k in cases}
    for pair, n in ((("om", "rm"), 20_000), (("or", "rr"), 3_000)):
        for _ in range(repeat):
            for key, values in (await side_by_side({k: cases[k] for k in pair}, n)).items():
                med[key].append(statistics.median(values))
                tail[key].append(p95(values))
    m = {k: statistics.median(v) for k, v in med.items()}
    t = {k: statistics.median(v) for k, v in tail.items()}
    print(f"cache get latency, microseconds (median / p95; median of {repeat} runs)")
    print(
        f"  memory  ours {m['om']:6.1f} / {t['om']:6.1f}   aiocache SimpleMemoryCache "
        f"{m['rm']:6.1f} / {t['rm']:6.1f}   ratio {m['om'] / m['rm']:.2f}"
    )
    print(
        f"  redis   ours {m['or']:6.1f} / {t['or']:6.1f}   aiocache RedisCache        "
        f"{m['rr']:6.1f} / {t['rr']:6.1f}   ratio {m['or'] / m['rr']:.2f}"
    )
    await ours_mem.close()
    await ours_redis.close()
    await raw_mem.close()
    await raw_redis.client.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    prefix = f"dbsbm-bench:{secrets.token_hex(4)}"
    try:
        await bench_ratelimit(args.redis, prefix, args.repeat)
        await bench_cache(args.redis, prefix, args.repeat)
    finally:
        client = aioredis.Redis.from_url(args.redis)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
