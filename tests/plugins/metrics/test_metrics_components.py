"""``dbsbm_component_up``: the database, cache and gateway health checks, run at each scrape;
``dbsbm_cluster_processes``, ``dbsbm_cluster_plugin_versions`` and each process's heartbeat and
plugin versions: the cluster's view."""

from __future__ import annotations

from pathlib import Path

import pytest
from metrics_support import Scrape, scrape

from core.testing import FaultProxy
from core.testing.server import LocalDiscord
from tests.web.support import backend_url, running_app


def up(scraped: Scrape, component: str) -> float:
    return scraped.value("dbsbm_component_up", component=component, shard="0")


async def test_all_up_then_the_database_down(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async with running_app(local_discord, tmp_path, ("metrics",)) as app:
        healthy = await scrape(app)
        await app.db.close()
        down = await scrape(app)
    assert [up(healthy, c) for c in ("database", "cache", "gateway")] == [1, 1, 1]
    assert [up(down, c) for c in ("database", "cache", "gateway")] == [0, 1, 1]


async def test_the_cluster_of_one_process(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async with running_app(local_discord, tmp_path, ("metrics",)) as app:
        scraped = await scrape(app)
    processes = {
        state: scraped.value("dbsbm_cluster_processes", state=state, shard="0")
        for state in ("ready", "starting", "stopped", "down")
    }
    assert processes == {"ready": 1, "starting": 0, "stopped": 0, "down": 0}
    assert scraped.value("dbsbm_cluster_plugin_versions", plugin="metrics", shard="0") == 1
    (beat,) = [
        s for s in scraped.samples if s.name == "dbsbm_cluster_process_heartbeat_age_seconds"
    ]
    assert beat.labels["process"] == app.cluster.id and beat.labels["state"] == "ready"
    assert 0 <= beat.value < 60  # written at start, every [cluster] heartbeat seconds
    (info,) = [s for s in scraped.samples if s.name == "dbsbm_cluster_process_plugin_info"]
    assert info.value == 1 and info.labels["process"] == app.cluster.id
    assert (info.labels["plugin"], info.labels["version"]) == (
        "metrics",
        app.reloader.version("metrics"),
    )


async def test_gateway_not_connected(local_discord: LocalDiscord, tmp_path: Path) -> None:
    async with running_app(local_discord, tmp_path, ("metrics",), connect=False) as app:
        scraped = await scrape(app)
    assert up(scraped, "gateway") == 0
    assert up(scraped, "database") == 1


@pytest.mark.backend
async def test_cache_down_while_redis_is_cut(local_discord: LocalDiscord, tmp_path: Path) -> None:
    url = backend_url("redis")
    proxy = await FaultProxy.for_url(url).start()
    try:
        async with running_app(
            local_discord,
            tmp_path,
            ("metrics",),
            cache={"backend": "redis", "redis_url": proxy.url(url), "breaker_failures": 1},
        ) as app:
            before = await scrape(app)
            proxy.cut()
            during = await scrape(app)
    finally:
        await proxy.close()
    assert (up(before, "cache"), up(during, "cache")) == (1, 0)
    assert up(during, "database") == 1
