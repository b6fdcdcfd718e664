"""The metrics of one App: a private prometheus-client registry with every DBSBM metric.

Each App gets its own :class:`prometheus_client.CollectorRegistry` (never the global one), so
several Apps in one process do not collide. Every series carries a ``shard`` label naming the
process's shards, so processes sharing a dashboard stay apart; for the gateway latency the label
is the shard itself.

Event-driven metrics (commands, errors, picks, reloads, query timings) are updated by
:class:`plugins.metrics.listeners.Listeners`; state read at scrape time (cache hit counts, gateway
latency, guilds, plugins) comes from :class:`AppCollector`, and whether the database, the cache
and the gateway are up, and the cluster's processes, from :meth:`Metrics.check_components` (the
``/metrics`` route awaits it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from core.cluster import ProcessState
from core.health import Status, gateway_health, shard_latencies, status_of, timed

if TYPE_CHECKING:
    from core.app import App

QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
RELOAD_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ReloadOutcome(StrEnum):
    """The ``outcome`` label of ``dbsbm_reloads``."""

    OK = "ok"
    ROLLED_BACK = "rolled_back"


def process_shard_label(app: App) -> str:
    """This process's shards as a label value: ``"0"`` unsharded, else the ids joined by ``,``."""
    discord = app.settings.discord
    if discord.shard_ids:
        return ",".join(str(s) for s in sorted(discord.shard_ids))
    shard_id = getattr(app.bot, "shard_id", None)
    return str(shard_id or 0)


class AppCollector(Collector):
    """Reads the App's live state at scrape time."""

    def __init__(self, app: App, shard: str) -> None:
        self.app = app
        self.shard = shard

    def collect(self) -> Iterator[Metric]:
        hits = CounterMetricFamily(
            "dbsbm_cache_hits",
            "Cache lookups answered from the cache.",
            labels=["namespace", "shard"],
        )
        misses = CounterMetricFamily(
            "dbsbm_cache_misses",
            "Cache lookups that had to compute the value.",
            labels=["namespace", "shard"],
        )
        errors = CounterMetricFamily(
            "dbsbm_cache_errors",
            "Cache operations where Redis failed and memory answered.",
            labels=["namespace", "shard"],
        )
        for namespace, stats in sorted(self.app.cache.stats().items()):
            hits.add_metric([namespace, self.shard], stats.hits)
            misses.add_metric([namespace, self.shard], stats.misses)
            errors.add_metric([namespace, self.shard], stats.errors)
        yield hits
        yield misses
        yield errors

        latency = GaugeMetricFamily(
            "dbsbm_gateway_latency_seconds",
            "Time between a gateway heartbeat and its acknowledgement, per shard.",
            labels=["shard"],
        )
        for shard, seconds in sorted(shard_latencies(self.app.bot).items()):
            if seconds is not None:
                latency.add_metric([str(shard)], seconds)
        yield latency

        guilds = GaugeMetricFamily("dbsbm_guilds", "Guilds this process serves.", labels=["shard"])
        guilds.add_metric([self.shard], len(self.app.bot.guilds))
        yield guilds

        loaded = GaugeMetricFamily(
            "dbsbm_plugins_loaded", "Plugins loaded in this process.", labels=["shard"]
        )
        loaded.add_metric([self.shard], len(self.app.plugins.loaded()))
        yield loaded


class Metrics:
    """Every DBSBM metric of one App, registered in :attr:`registry`."""

    def __init__(self, app: App, shard: str | None = None) -> None:
        self.app = app
        self.shard = shard or process_shard_label(app)
        self.registry = r = CollectorRegistry()
        counter, histogram = self._counter, self._histogram
        self.commands = counter(
            "dbsbm_commands",
            "Interactions handled, by plugin, command and outcome.",
            "plugin command kind outcome",
        )
        self.command_latency = histogram(
            "dbsbm_command_latency_seconds",
            "Time from receiving an interaction to its end.",
            "plugin command",
        )
        self.errors = counter(
            "dbsbm_errors",
            "Handler errors shown to members with an error id, by exception type.",
            "plugin type",
        )
        self.rate_limited = counter(
            "dbsbm_rate_limit_denials",
            "Interactions refused by the rate limiter.",
            "plugin command",
        )
        self.security_events = counter(
            "dbsbm_security_events", "Security events (refusals, blocks, rejected input).", "kind"
        )
        self.picks_placed = counter("dbsbm_picks_placed", "Picks placed.", "plugin kind")
        self.picks_graded = counter(
            "dbsbm_picks_graded", "Picks graded, by result.", "plugin result"
        )
        self.query_latency = histogram(
            "dbsbm_db_query_duration_seconds",
            "Database query time, by SQL statement kind.",
            "operation",
            QUERY_BUCKETS,
        )
        self.reloads = counter(
            "dbsbm_reloads", "Plugin reloads, by outcome (ok or rolled_back).", "plugin outcome"
        )
        self.reload_duration = histogram(
            "dbsbm_reload_duration_seconds", "Time a plugin reload took.", "plugin", RELOAD_BUCKETS
        )
        self.component_up = Gauge(
            "dbsbm_component_up",
            "1 while a component is healthy, 0 while it fails (database, cache, gateway).",
            ["component", "shard"],
            registry=r,
        )
        self.cluster_processes = Gauge(
            "dbsbm_cluster_processes",
            "The processes of the bot's cluster by state (ready, starting, stopped, down), as "
            "this process sees them (core.cluster).",
            ["state", "shard"],
            registry=r,
        )
        self.cluster_versions = Gauge(
            "dbsbm_cluster_plugin_versions",
            "How many versions of a plugin the cluster's ready processes run (more than 1: "
            "a split cluster).",
            ["plugin", "shard"],
            registry=r,
        )
        self.cluster_heartbeats = Gauge(
            "dbsbm_cluster_process_heartbeat_age_seconds",
            "Seconds since each process of the cluster last wrote its heartbeat, with its "
            "shards and state, as this process sees them.",
            ["process", "shards", "state", "shard"],
            registry=r,
        )
        self.cluster_plugins = Gauge(
            "dbsbm_cluster_process_plugin_info",
            "1 for each plugin version each ready or starting process of the cluster runs.",
            ["process", "plugin", "version", "shard"],
            registry=r,
        )
        r.register(AppCollector(app, self.shard))
        ProcessCollector(registry=r)

    def _counter(self, name: str, documentation: str, labels: str) -> Counter:
        """A counter in this App's registry; ``labels`` (space-separated) get ``shard`` last."""
        return Counter(name, documentation, [*labels.split(), "shard"], registry=self.registry)

    def _histogram(
        self,
        name: str,
        documentation: str,
        labels: str,
        buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS,
    ) -> Histogram:
        """A histogram in this App's registry; ``labels`` as for :meth:`_counter`."""
        return Histogram(
            name, documentation, [*labels.split(), "shard"], registry=self.registry, buckets=buckets
        )

    async def check_components(self) -> None:
        """Set ``dbsbm_component_up`` from the health checks of :mod:`core.health`: the
        database's ``SELECT 1``, the cache (down while Redis fails or its breaker is open) and
        the gateway, each bounded by :data:`core.health.CHECK_TIMEOUT`; and the cluster's
        processes and plugin versions from :meth:`core.cluster.Cluster.view`."""
        app = self.app
        checked = await asyncio.gather(
            timed("database", app.db.ping), timed("cache", app.cache.health)
        )
        for result in (*checked, gateway_health(app.bot)):
            up = status_of(result) is not Status.UNHEALTHY
            self.component_up.labels(result.component, self.shard).set(up)
        view = await app.cluster.view()
        states = [view.state_of(p) for p in view.processes]
        for state in ProcessState:
            self.cluster_processes.labels(str(state), self.shard).set(states.count(state))
        self.cluster_versions.clear()
        for plugin, versions in view.versions().items():
            self.cluster_versions.labels(plugin, self.shard).set(len(versions))
        self.cluster_heartbeats.clear()
        self.cluster_plugins.clear()
        for process in view.processes:
            state = view.state_of(process)
            shards = ",".join(map(str, process.shards))
            age = max(0.0, view.at - process.heartbeat)
            self.cluster_heartbeats.labels(process.id, shards, str(state), self.shard).set(age)
            if state in (ProcessState.READY, ProcessState.STARTING):
                for plugin, version in process.plugins.items():
                    self.cluster_plugins.labels(process.id, plugin, version, self.shard).set(1)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
