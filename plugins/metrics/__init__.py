"""Metrics: Prometheus metrics on the core web server."""

from core.plugin import Plugin

plugin = Plugin(
    name="metrics",
    version="0.1.0",
    description="Prometheus metrics at /metrics on the core web server.",
)
