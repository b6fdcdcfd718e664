"""The Grafana dashboard and the Prometheus scrape config use the metric names we export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from metrics_support import METRICS_PLUGINS, scrape

from core.app import App
from plugins.metrics.settings import MetricsSettings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "dbsbm.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"]]
    return exprs


@pytest.mark.dbsbm(plugins=["metrics"], local_plugins=METRICS_PLUGINS)
async def test_dashboard_queries_only_exported_metrics(dbsbm: App) -> None:
    scraped = await scrape(dbsbm)
    exported = {
        family.name + suffix
        for family in scraped.families.values()
        for suffix in SUFFIXES.get(family.type, ("",))
    }
    used = {
        name
        for expr in dashboard_expressions()
        for name in re.findall(r"\b((?:dbsbm|process)_[a-z_]+)\b", expr)
    }
    assert len(used) >= 15
    assert used <= exported, sorted(used - exported)


def test_prometheus_scrapes_the_metrics_path() -> None:
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    assert re.search(r"^\s+- job_name: dbsbm$", config, re.M)
    assert re.search(rf"^\s+metrics_path: {re.escape(MetricsSettings().path)}$", config, re.M)
    assert 'job="dbsbm"' in "".join(dashboard_expressions())
