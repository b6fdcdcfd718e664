"""The metrics plugin's event listeners: one object per App, registered with the App's hooks."""

from __future__ import annotations

from prometheus_client import Histogram

from core.events import ActionEvent, CommandEvent, Outcome, SecurityEvent
from core.hookspecs import hookimpl
from plugins.metrics.registry import Metrics, ReloadOutcome
from plugins.metrics.settings import MetricsSettings


class Listeners:
    """Turns the pipeline's and plugins' events into metric updates."""

    def __init__(self, metrics: Metrics, settings: MetricsSettings) -> None:
        self.metrics = metrics
        self.placed = frozenset(settings.placed_actions)
        self.graded = frozenset(settings.graded_actions)
        self._query_latency: dict[str, Histogram] = {}
        """The query-latency child per operation (several queries per command: the label
        lookup each time costs more than the observation)."""

    def _command(self, event: CommandEvent) -> None:
        m, info = self.metrics, event.info
        plugin = info.plugin or "core"
        m.commands.labels(plugin, info.command, info.kind, str(event.outcome), m.shard).inc()
        if event.outcome is not Outcome.DUPLICATE:
            m.command_latency.labels(plugin, info.command, m.shard).observe(event.latency)
        if event.outcome is Outcome.RATE_LIMITED:
            m.rate_limited.labels(plugin, info.command, m.shard).inc()

    @hookimpl
    def dbsbm_command_completed(self, event: CommandEvent) -> None:
        self._command(event)

    @hookimpl
    def dbsbm_command_failed(self, event: CommandEvent) -> None:
        self._command(event)
        plugin = event.info.plugin or "core"
        self.metrics.errors.labels(plugin, event.error_type or "unknown", self.metrics.shard).inc()

    @hookimpl
    def dbsbm_security_event(self, event: SecurityEvent) -> None:
        self.metrics.security_events.labels(event.kind, self.metrics.shard).inc()

    @hookimpl
    def dbsbm_action(self, event: ActionEvent) -> None:
        """Count picks: placed by ``data["kind"]`` (e.g. straight, parlay), graded by the pick's
        new ``data["status"]`` (or ``data["result"]``)."""
        m = self.metrics
        if event.kind in self.placed:
            kind = str(event.data.get("kind") or event.kind)
            m.picks_placed.labels(event.plugin, kind, m.shard).inc()
        elif event.kind in self.graded:
            result = str(event.data.get("status") or event.data.get("result") or "unknown")
            m.picks_graded.labels(event.plugin, result, m.shard).inc()

    @hookimpl
    def dbsbm_plugin_reloaded(
        self, name: str, ok: bool, duration: float, error: str | None
    ) -> None:
        m = self.metrics
        m.reloads.labels(name, ReloadOutcome.OK if ok else ReloadOutcome.ROLLED_BACK, m.shard).inc()
        m.reload_duration.labels(name, m.shard).observe(duration)

    def query(self, operation: str, seconds: float) -> None:
        """Observer for :func:`plugins.metrics.querytiming.observe_queries`."""
        child = self._query_latency.get(operation)
        if child is None:
            child = self._query_latency[operation] = self.metrics.query_latency.labels(
                operation, self.metrics.shard
            )
        child.observe(seconds)
