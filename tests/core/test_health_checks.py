"""The health checks' building blocks (core.health) on their own: a check that hangs or raises is
an unhealthy result, never an exception; the gateway's health from one or many shards."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from core import health
from core.events import HealthResult
from core.health import (
    HealthReport,
    Status,
    gateway_connected,
    gateway_health,
    shard_latencies,
    timed,
)
from core.plugin_manager import PluginState


async def test_a_check_that_hangs_is_unhealthy_once_the_timeout_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.01)
    never = asyncio.Event()

    async def hangs() -> HealthResult:
        await never.wait()
        raise AssertionError("unreachable")

    result = await timed("database", hangs)
    assert (result.component, result.healthy) == ("database", False)
    assert result.detail == "no answer within 0.01s"
    assert result.duration_ms > 0


async def test_a_check_that_raises_is_unhealthy_with_the_error_named() -> None:
    async def fails() -> HealthResult:
        raise ConnectionRefusedError("connection refused")

    result = await timed("cache", fails)
    assert (result.component, result.healthy) == ("cache", False)
    assert result.detail == "ConnectionRefusedError: connection refused"


async def test_a_passing_check_is_renamed_and_keeps_its_own_timing() -> None:
    async def passes() -> HealthResult:
        return HealthResult("whatever", True, "fine", 12.5, {"n": 1})

    result = await timed("weather", passes)
    assert result == HealthResult("weather", True, "fine", 12.5, {"n": 1})


@dataclass
class Shard:
    closed: bool = False

    def is_closed(self) -> bool:
        return self.closed


@dataclass
class Socket:
    open: bool = True


@dataclass
class StubBot:
    """The part of a disnake client the gateway check reads."""

    closed: bool = False
    ready: bool = True
    latency: float = 0.042
    shard_id: int | None = None
    ws: Socket | None = field(default_factory=Socket)
    guilds: list[object] = field(default_factory=list)

    def is_closed(self) -> bool:
        return self.closed

    def is_ready(self) -> bool:
        return self.ready


@dataclass
class ShardedStubBot(StubBot):
    latencies: list[tuple[int, float]] = field(default_factory=list)
    shards: dict[int, Shard] = field(default_factory=dict)


def test_one_shard_latency_and_an_unmeasured_one_is_none() -> None:
    assert shard_latencies(StubBot(latency=0.042)) == {0: 0.042}
    assert shard_latencies(StubBot(latency=math.nan, shard_id=3)) == {3: None}
    sharded = ShardedStubBot(latencies=[(0, 0.01), (1, math.inf)])
    assert shard_latencies(sharded) == {0: 0.01, 1: None}


def test_the_gateway_is_connected_only_when_ready_with_every_socket_open() -> None:
    assert gateway_connected(StubBot())
    assert not gateway_connected(StubBot(ready=False))
    assert not gateway_connected(StubBot(closed=True))
    assert not gateway_connected(StubBot(ws=None))
    assert not gateway_connected(StubBot(ws=Socket(open=False)))
    both_open = ShardedStubBot(ws=None, shards={0: Shard(), 1: Shard()})
    assert gateway_connected(both_open)
    one_closed = ShardedStubBot(shards={0: Shard(), 1: Shard(closed=True)})
    assert not gateway_connected(one_closed)


def test_gateway_health_reports_each_shards_latency_and_the_worst() -> None:
    bot = ShardedStubBot(
        latencies=[(0, 0.012), (1, 0.034)], shards={0: Shard(), 1: Shard()}, guilds=[1, 2]
    )
    result = gateway_health(bot)
    assert result.healthy and result.detail == "2 shard(s), latency 34 ms (worst)"
    assert result.data == {"shards": {"0": 12.0, "1": 34.0}, "guilds": 2}
    unmeasured = gateway_health(StubBot(latency=math.nan))
    assert unmeasured.healthy and unmeasured.detail == "1 shard(s)"
    assert unmeasured.data["shards"] == {"0": None}


def test_gateway_health_says_why_it_is_down() -> None:
    closed = gateway_health(StubBot(closed=True))
    assert (closed.healthy, closed.detail) == (False, "closed")
    waiting = gateway_health(StubBot(ready=False))
    assert (waiting.healthy, waiting.detail) == (False, "not connected to the Discord gateway")


def test_a_report_fails_on_unhealthy_components_only_and_hides_detail_on_request() -> None:
    report = HealthReport(
        (
            HealthResult("database", True, "ok", 1.234),
            HealthResult("cache", False, "down", 2.0, {"breaker": "open"}),
            HealthResult("weather", False, "set [plugins.weather] api_key", configured=False),
        ),
        3.456,
    )
    assert not report.healthy and report.failing() == ["cache"]
    assert report.to_json(detail=False) == {
        "status": "unhealthy",
        "failing": ["cache"],
        "components": {
            "database": {"status": "ok"},
            "cache": {"status": "unhealthy"},
            "weather": {"status": "not_configured"},
        },
    }
    detailed = report.to_json()
    assert detailed["duration_ms"] == 3.46
    assert detailed["components"]["cache"] == {
        "status": "unhealthy",
        "detail": "down",
        "duration_ms": 2.0,
        "data": {"breaker": "open"},
    }
    assert "data" not in detailed["components"]["database"]


def test_statuses_are_the_members_the_endpoints_write() -> None:
    assert health.status_of(HealthResult("database", True, "ok")) is Status.OK
    assert health.status_of(HealthResult("cache", False, "down")) is Status.UNHEALTHY
    off = HealthResult("weather", False, "no key", configured=False)
    assert health.status_of(off) is Status.NOT_CONFIGURED
    assert HealthReport((), 0.0).to_json()["status"] is Status.OK
    assert [str(s) for s in Status] == ["ok", "unhealthy", "not_configured"]


@dataclass
class StubRecord:
    state: PluginState
    error: str | None = None
    plugin: None = None


def stub_app(**states: PluginState) -> Any:
    records = {
        name: StubRecord(state, "boom" if state is PluginState.FAILED else None)
        for name, state in states.items()
    }
    return SimpleNamespace(plugins=SimpleNamespace(records=records))


def test_plugins_health_fails_on_a_failed_plugin_and_counts_the_loaded_ones() -> None:
    app = stub_app(audit=PluginState.LOADED, betting=PluginState.FAILED, hello=PluginState.DISABLED)
    failing = health.plugins_health(app)
    assert (failing.healthy, failing.detail) == (False, "failed to load: betting")
    assert failing.data["betting"] == {"state": "failed", "version": None, "error": "boom"}
    fine = health.plugins_health(
        stub_app(audit=PluginState.LOADED, betting=PluginState.LOADED, hello=PluginState.UNLOADED)
    )
    assert (fine.healthy, fine.detail) == (True, "2 loaded")
