"""The cluster view: two bot processes (this one's App and a bot process, each with its own
shard) on one Redis and one local Discord; each shows both in ``/status``, ``/plugins`` and
``/health/detailed``; a process that stops heartbeating is shown down, one that stops cleanly
is shown stopped, and processes running different versions of a plugin are reported
(``DBSBM_TEST_REDIS_URL``)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from core.app import App
from core.cluster import ProcessInfo, ProcessState
from core.events import HealthResult
from core.health import detailed
from core.testing.backends import FaultProxy
from core.testing.harness import run_app
from core.testing.processes import BotProcess, bot_process
from core.testing.server import LocalDiscord


def fields(message: Any) -> dict[str, str]:
    return {f.name: f.value for f in message.embeds[0].fields}


def cluster_settings(key: str, shard: int, redis_url: str) -> dict[str, Any]:
    return {
        "cache": {"backend": "redis", "redis_url": redis_url},
        "discord": {"shard_count": 2, "shard_ids": [shard], "identify_interval": 0.2},
        "cluster": {"key": key},
    }


@pytest.fixture
def key() -> str:
    return f"test:cluster:{uuid.uuid4().hex}"


@pytest.fixture
async def redis(key: str, redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.delete(key)
    await client.aclose()


@pytest.fixture
async def cluster(
    tmp_path: Path, key: str, redis_url: str
) -> AsyncIterator[tuple[LocalDiscord, App, BotProcess]]:
    """Two processes: shard 0 (this one's App) and shard 1 (a bot process) of a bot of two."""
    async with LocalDiscord() as discord:
        settings = cluster_settings(key, 0, redis_url)
        async with run_app(
            discord, tmp_path / "shard0", plugins=["admin"], settings=settings
        ) as app:
            other = cluster_settings(key, 1, redis_url)
            async with bot_process(discord, tmp_path / "shard1", other, ["admin"]) as process:
                yield discord, app, process


async def status_cluster_lines(discord: LocalDiscord) -> list[str]:
    """The lines of the Cluster field of ``/status`` as the owner sees it."""
    reply = await (await discord.member("Owner").slash("status")).wait_reply()
    assert reply.message is not None
    return fields(reply.message)["Cluster"].splitlines()


async def cluster_health(app: App) -> HealthResult:
    """The ``cluster`` component of ``app``'s ``/health/detailed``."""
    return {c.component: c for c in (await detailed(app)).components}["cluster"]


def ghost(view_of: App, **changes: Any) -> ProcessInfo:
    """A process like ``view_of`` as another machine's would be."""
    base = view_of.cluster.me()
    return dataclasses.replace(
        base, id="other-host:4242:abcdef", host="other-host", pid=4242, **changes
    )


async def test_each_process_shows_both_with_shards_versions_and_state(
    cluster: tuple[LocalDiscord, App, BotProcess],
) -> None:
    discord, first, second = cluster
    view = await first.cluster.view()
    assert view.shared
    assert [(p.id, p.shards, p.shard_count, p.state) for p in view.processes] == [
        (first.cluster.id, (0,), 2, ProcessState.READY),
        (second.id, (1,), 2, ProcessState.READY),
    ]
    (version,) = view.versions()["admin"]  # the same files: the same version in both
    assert version.startswith("0.1.0+") and len(version) == len("0.1.0+") + 12
    lines = await status_cluster_lines(discord)
    assert len(lines) == 2 and all(line.startswith("✅ ") for line in lines)
    assert "shards 0 of 2 · ready" in lines[0] and "shards 1 of 2 · ready" in lines[1]
    assert sum("(this one)" in line for line in lines) == 1
    health = await cluster_health(first)
    assert health.healthy and health.detail == "2 process(es) up"


async def test_a_silent_process_is_down_and_a_stopped_one_is_not(
    cluster: tuple[LocalDiscord, App, BotProcess], redis: aioredis.Redis, key: str
) -> None:
    discord, first, _ = cluster
    silent = ghost(first, heartbeat=time.time() - first.settings.cluster.down_after - 1)
    await redis.hset(key, silent.id, silent.to_json())
    view = await first.cluster.view()
    assert view.down == {silent.id}
    assert view.state_of(next(p for p in view.processes if p.id == silent.id)) == "down"
    health = await cluster_health(first)
    assert health.healthy and health.detail == "1 process(es) down"  # this one still serves
    down = [line for line in await status_cluster_lines(discord) if "other-host" in line]
    assert len(down) == 1 and down[0].startswith("❌ other-host:4242") and "· down ·" in down[0]

    stopped = dataclasses.replace(silent, state=ProcessState.STOPPED)
    await redis.hset(key, silent.id, stopped.to_json())
    view = await first.cluster.view()
    assert not view.down  # it said it stopped: no outage
    health = await cluster_health(first)
    assert health.healthy and health.detail == "2 process(es) up, 1 stopped"


async def test_processes_on_different_versions_of_a_plugin_are_reported(
    cluster: tuple[LocalDiscord, App, BotProcess], redis: aioredis.Redis, key: str
) -> None:
    discord, first, _ = cluster
    ours = first.cluster.me().plugins["admin"]
    other = ghost(first, plugins={"admin": "0.1.0+000000000000"})
    await redis.hset(key, other.id, other.to_json())
    health = await cluster_health(first)
    assert not health.healthy and health.detail == "versions differ: admin"
    reply = await (await discord.member("Owner").slash("plugins")).wait_reply()
    assert reply.message is not None
    line = fields(reply.message)["admin"].splitlines()[-1]
    assert line == f"❌ cluster: 0.1.0+000000000000 in 1 process(es), {ours} in 2 process(es)"


async def test_without_redis_the_view_is_this_process_alone_and_the_bot_serves(
    tmp_path: Path, key: str, redis_url: str
) -> None:
    async with FaultProxy.for_url(redis_url) as proxy, LocalDiscord() as discord:
        settings = cluster_settings(key, 0, proxy.url(redis_url))
        settings["discord"] = {}
        async with run_app(discord, tmp_path, plugins=["admin"], settings=settings) as app:
            assert len((await app.cluster.view()).processes) == 1
            for fault in (proxy.cut, proxy.stall):  # Redis gone, then Redis hanging
                fault()
                view = await app.cluster.view()
                assert not view.shared and view.problem.startswith("Redis: ")
                assert [p.id for p in view.processes] == [app.cluster.id]
                await app.cluster.beat()  # logged, not raised
                reply = await (await discord.member("Owner").slash("status")).wait_reply()
                assert reply.message is not None and "Cluster" not in fields(reply.message)
                await proxy.restore()
                await app.cluster.beat()
                assert (await app.cluster.view()).shared
