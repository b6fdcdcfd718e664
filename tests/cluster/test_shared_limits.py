"""Three processes of one bot share Discord's limits through Redis (:mod:`core.discord_budget`):
together they stay within the global limit and the route buckets, and their shards IDENTIFY
one ``rate_limit_key`` at a time; with Redis gone each keeps to its own limits."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import disnake
import pytest
from budget_support import processes
from loguru import logger

from core.app import App
from core.testing import FaultProxy, LocalDiscord, default_world
from core.testing.ratelimits import GLOBAL_LIMIT, RouteLimit
from core.testing.state import Channel

pytestmark = pytest.mark.backend

PROCESSES = 3
CHANNELS = 8
MESSAGES = 40
"""Messages each process sends: five in each channel, fifteen a channel in all."""
GETS = 20
SEND = ("POST", "/channels/{channel_id}/messages")


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of Redis; the test connects to ``redis_proxy.url(redis_url)``."""
    async with FaultProxy.for_url(redis_url) as proxy:
        yield proxy


def burst_world() -> tuple[Any, list[Channel]]:
    world = default_world()
    guild = world.guild()
    return world, [guild.add_channel(f"burst-{i}") for i in range(CHANNELS)]


def redis_settings(redis_url: str, **discord: Any) -> dict[str, Any]:
    """The cache (and so the budget) on ``redis_url``; IDENTIFYs 50 ms apart unless told."""
    return {
        "cache": {"backend": "redis", "redis_url": redis_url},
        "discord": {"identify_interval": 0.05} | discord,
    }


async def burst(app: App, channels: list[Channel], tag: str) -> list[Any]:
    """``MESSAGES`` messages across the channels and ``GETS`` channel reads, all at once."""
    bot = app.bot
    sends = []
    for i in range(MESSAGES):
        channel = bot.get_channel(channels[i % len(channels)].id)
        assert isinstance(channel, disnake.TextChannel)
        sends.append(channel.send(f"{tag} {i}"))
    reads = [bot.fetch_channel(channels[i % len(channels)].id) for i in range(GETS)]
    return await asyncio.gather(*sends, *reads, return_exceptions=True)


def refused(discord: LocalDiscord) -> list[str]:
    return [f"{r.method} {r.path}" for r in discord.requests if r.status == 429]


async def test_three_processes_together_stay_within_discords_limits(
    tmp_path: Path, redis_url: str
) -> None:
    world, channels = burst_world()
    async with (
        LocalDiscord(world) as discord,
        processes(discord, tmp_path, PROCESSES, lambda _: redis_settings(redis_url)) as apps,
    ):
        discord.rate_limits.routes[SEND] = RouteLimit(5, 0.5, "channel_id")
        results = await asyncio.gather(
            *(burst(app, channels, f"p{i}") for i, app in enumerate(apps))
        )
        failures = [r for rs in results for r in rs if isinstance(r, BaseException)]
        assert failures == []
        assert refused(discord) == []
        assert discord.rate_limits.busiest_second() <= GLOBAL_LIMIT
        for channel in channels:
            assert len(discord.channel_messages(channel.id)) == PROCESSES * MESSAGES // CHANNELS
        assert not any(app.bot.budget is None or app.bot.budget.degraded for app in apps)


async def test_without_the_shared_budget_the_same_burst_exceeds_the_global_limit(
    tmp_path: Path,
) -> None:
    """The yardstick: three processes on their own limits (memory cache, no budget) send more
    than Discord's global limit in one second (the local Discord counts without refusing)."""
    world, channels = burst_world()
    async with (
        LocalDiscord(world, rate_limits=False) as discord,
        processes(discord, tmp_path, PROCESSES, lambda _: {}) as apps,
    ):
        assert all(app.bot.budget is None for app in apps)
        await asyncio.gather(*(burst(app, channels, f"p{i}") for i, app in enumerate(apps)))
        assert discord.rate_limits.busiest_second() > GLOBAL_LIMIT


@pytest.mark.parametrize(("shards", "concurrency"), [(3, 1), (6, 2)])
async def test_shards_of_three_processes_identify_one_per_interval_and_key(
    tmp_path: Path, redis_url: str, shards: int, concurrency: int
) -> None:
    interval = 0.4
    per_process = shards // PROCESSES

    def settings(i: int) -> dict[str, Any]:
        ids = list(range(i * per_process, (i + 1) * per_process))
        return redis_settings(
            redis_url, shard_count=shards, shard_ids=ids, identify_interval=interval
        )

    async with LocalDiscord(shards=shards) as discord:
        discord.gateway.max_concurrency = concurrency
        discord.gateway.identify_interval = interval
        async with processes(discord, tmp_path, PROCESSES, settings):
            identifies = list(discord.gateway.identifies)
    assert discord.gateway.identify_refusals == 0
    assert sorted(shard for _, shard in identifies) == list(range(shards))
    for key in range(concurrency):
        times = [t for t, shard in identifies if shard % concurrency == key]
        assert all(b - a >= interval for a, b in itertools.pairwise(times))
    if concurrency > 1:  # the keys do not wait for each other
        first = [min(t for t, s in identifies if s % concurrency == k) for k in range(2)]
        assert abs(first[1] - first[0]) < interval


async def test_without_the_shared_budget_identifies_at_once_are_refused(tmp_path: Path) -> None:
    """The yardstick: three processes on their own limits identify at once, and the local
    Discord refuses those too soon with op 9 (disnake identifies again until one passes)."""
    async with LocalDiscord() as discord:
        discord.gateway.identify_interval = 0.2
        async with processes(discord, tmp_path, PROCESSES, lambda _: {}) as apps:
            assert all(app.bot.budget is None for app in apps)
    assert discord.gateway.identify_refusals > 0
    times = [t for t, _ in discord.gateway.identifies]
    assert len(times) == PROCESSES
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(times))


async def test_a_process_keeps_to_its_own_limits_when_redis_goes_down_mid_burst(
    tmp_path: Path, redis_url: str, redis_proxy: FaultProxy
) -> None:
    world, channels = burst_world()
    warnings: list[str] = []
    sink = logger.add(lambda m: warnings.append(str(m)), level="WARNING")
    try:
        async with (
            LocalDiscord(world) as discord,
            processes(
                discord, tmp_path, 1, lambda _: redis_settings(redis_proxy.url(redis_url))
            ) as (app,),
        ):
            discord.rate_limits.routes[SEND] = RouteLimit(5, 0.5, "channel_id")
            tasks = [asyncio.ensure_future(c) for c in _requests(app, channels)]
            for done, finished in enumerate(asyncio.as_completed(tasks), 1):
                await finished
                if done == 10:
                    redis_proxy.cut()
                    break
            pending = sum(not task.done() for task in tasks)
            async with asyncio.timeout(30):  # a budget waiting on the dead Redis would hang
                results = await asyncio.gather(*tasks, return_exceptions=True)
            assert pending > 0
            assert [r for r in results if isinstance(r, BaseException)] == []
            assert app.bot.budget is not None and app.bot.budget.degraded
            assert len(discord.requests) >= MESSAGES + GETS
    finally:
        logger.remove(sink)
    assert any("Discord budget: Redis unreachable" in w for w in warnings)


def _requests(app: App, channels: list[Channel]) -> list[Any]:
    bot = app.bot
    calls: list[Any] = []
    for i in range(MESSAGES):
        channel = bot.get_channel(channels[i % len(channels)].id)
        assert isinstance(channel, disnake.TextChannel)
        calls.append(channel.send(f"m {i}"))
    return calls + [bot.fetch_channel(channels[i % len(channels)].id) for i in range(GETS)]
