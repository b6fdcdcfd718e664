"""The metrics plugin end to end: scrape /metrics over HTTP, run commands, see metrics move."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from metrics_support import METRICS_PLUGINS, Scrape, scrape

from core.app import App
from core.events import CommandEvent
from core.hooks import emit
from core.testing.driver import Actor
from core.testing.events import EventRecorder
from core.testing.server import LocalDiscord

pytestmark = pytest.mark.dbsbm(
    plugins=["admin", "metrics", "picks"],
    local_plugins=METRICS_PLUGINS,
    settings={"ratelimit": {"commands": {"pick grade": "1/60s"}}},
)


async def run(dbsbm_events: EventRecorder, actor: Actor, *path: str, **options: Any) -> None:
    """Run a command and wait until the pipeline (and so the metrics) finished with it."""
    response = await actor.slash(*path, **options)
    await dbsbm_events.wait(
        lambda e: isinstance(e, CommandEvent) and e.info.interaction_id == response.interaction_id
    )


def moved(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


async def test_each_metric_moves_with_the_commands_that_move_it(
    dbsbm: App, local_discord: LocalDiscord, alice: Actor, bob: Actor, dbsbm_events: EventRecorder
) -> None:
    owner = local_discord.member("Owner")
    before = await scrape(dbsbm)

    await run(dbsbm_events, alice, "pick", "place")
    await run(dbsbm_events, alice, "pick", "grade", result="win")
    await run(dbsbm_events, alice, "pick", "grade", result="loss")  # over the 1/60s limit
    await run(dbsbm_events, alice, "pick", "crash")
    await run(dbsbm_events, alice, "pick", "board")
    await run(dbsbm_events, alice, "pick", "board")
    await run(dbsbm_events, bob, "status")  # refused: not the owner
    await run(dbsbm_events, alice, "admin", "plugins", plugin="picks", enabled=True)
    await run(dbsbm_events, owner, "reload", plugin="picks")

    after = await scrape(dbsbm)
    ok = {"plugin": "picks", "command": "pick place", "kind": "command", "outcome": "ok"}
    assert moved(before, after, "dbsbm_commands_total", **ok) == 1
    assert moved(before, after, "dbsbm_commands_total", plugin="picks", outcome="failed") == 1
    assert moved(before, after, "dbsbm_commands_total", command="status", outcome="rejected") == 1
    latency = {"plugin": "picks", "command": "pick board"}
    assert moved(before, after, "dbsbm_command_latency_seconds_count", **latency) == 2
    assert moved(before, after, "dbsbm_command_latency_seconds_sum", **latency) > 0
    assert moved(before, after, "dbsbm_picks_placed_total", plugin="picks", kind="parlay") == 1
    assert moved(before, after, "dbsbm_picks_graded_total", result="win") == 1
    assert moved(before, after, "dbsbm_picks_graded_total", result="loss") == 0
    assert moved(before, after, "dbsbm_errors_total", type="ZeroDivisionError") == 1
    assert moved(before, after, "dbsbm_rate_limit_denials_total", command="pick grade") == 1
    assert moved(before, after, "dbsbm_security_events_total", kind="permission_refused") == 1
    assert moved(before, after, "dbsbm_cache_misses_total", namespace="picks.board") == 1
    assert moved(before, after, "dbsbm_cache_hits_total", namespace="picks.board") == 1
    assert moved(before, after, "dbsbm_db_query_duration_seconds_count", operation="select") > 0
    assert moved(before, after, "dbsbm_reloads_total", plugin="picks", outcome="ok") == 1
    assert moved(before, after, "dbsbm_reload_duration_seconds_count", plugin="picks") == 1


async def test_state_gauges_and_the_shard_label(dbsbm: App) -> None:
    scraped = await scrape(dbsbm)
    assert scraped.value("dbsbm_guilds", shard="0") == 1
    assert scraped.value("dbsbm_plugins_loaded", shard="0") == 3
    latency = [s for s in scraped.samples if s.name == "dbsbm_gateway_latency_seconds"]
    assert [s.labels for s in latency] == [{"shard": "0"}]
    assert 0 <= latency[0].value < 5
    shards = {s.labels.get("shard") for s in scraped.samples if s.name.startswith("dbsbm_")}
    assert shards == {"0"}
    assert scraped.value("process_start_time_seconds") > 0


async def test_failed_reloads_are_counted_apart(dbsbm: App) -> None:
    await emit(dbsbm.pm.hook.dbsbm_plugin_reloaded, name="picks", ok=False, duration=0.2, error="x")
    scraped = await scrape(dbsbm)
    assert scraped.value("dbsbm_reloads_total", plugin="picks", outcome="rolled_back") == 1
    assert scraped.value("dbsbm_reloads_total", plugin="picks", outcome="ok") == 0


async def test_plugins_loaded_falls_when_one_unloads(dbsbm: App) -> None:
    await dbsbm.plugins.unload("picks")
    assert (await scrape(dbsbm)).value("dbsbm_plugins_loaded") == 2


@pytest.mark.dbsbm(
    plugins=["metrics"],
    local_plugins=METRICS_PLUGINS,
    settings={"plugins": {"metrics": {"path": "/internal/metrics", "shard_label": "2,3"}}},
)
async def test_processes_are_told_apart_by_the_shard_label(dbsbm: App) -> None:
    scraped = await scrape(dbsbm, "/internal/metrics")
    assert scraped.value("dbsbm_plugins_loaded", shard="2,3") == 1
    assert scraped.value("dbsbm_guilds", shard="2,3") == 1


async def test_metrics_route_goes_away_on_unload(dbsbm: App) -> None:
    await dbsbm.plugins.unload("metrics")
    async with aiohttp.ClientSession() as http, http.get(dbsbm.web.url + "/metrics") as r:
        assert r.status == 404
