"""The Prometheus alert rules (deploy/prometheus/alerts.yml) against what the bot exports and
what the deployment guide says (``.ci/checks`` runs promtool's own checks and rule tests).

The metric names and label values a rule uses are read from a live scrape of ``/metrics`` and from
the code, not from a list kept here: a renamed metric or outcome breaks the test, not the alert.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from core.app import App
from core.events import Outcome
from plugins.metrics.registry import Metrics, ReloadOutcome

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GUIDE = (ROOT / "docs" / "DEPLOYMENT_GUIDE.md").read_text(encoding="utf-8")
RUNBOOKS = GUIDE[GUIDE.index("## 12. Alerts and runbooks") : GUIDE.index("## 13.")]
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
PROMETHEUS_OWN = {"up"}  # series Prometheus writes itself for every target
TARGET_LABELS = {"job", "instance"}  # labels Prometheus adds to every scraped series
OUTCOMES = {
    "dbsbm_commands_total": {str(o) for o in Outcome},
    "dbsbm_reloads_total": {str(o) for o in ReloadOutcome},
}

# a series selector: a metric name, then optionally {label matchers}
_SELECTOR = re.compile(r"\b([a-z_][a-z0-9_]*)\s*(?:\{([^}]*)\})?")
_MATCHER = re.compile(r'([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
_FUNCTIONS = {
    "sum",
    "max",
    "absent",
    "rate",
    "increase",
    "histogram_quantile",
    "by",
    "unless",
    "offset",
    "or",
}


def rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in doc["groups"] for rule in group["rules"]]


def selectors(expr: str) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """(metric, {label: (operator, value)}) of every series selector in ``expr``."""
    expr = re.sub(r"by\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    out = []
    for name, matchers in _SELECTOR.findall(expr):
        if name in _FUNCTIONS or re.fullmatch(r"\d+[smhd]?", name):
            continue
        out.append((name, {k: (op, v) for k, op, v in _MATCHER.findall(matchers)}))
    return out


async def exported(app: App) -> dict[str, dict[str, set[str]]]:
    """Every series name ``/metrics`` exports, with the values of each of its labels seen in the
    scrape. A labelled counter has no samples (so no labels) before its first increment: those
    label names come from the metric objects of the plugin's registry."""
    async with aiohttp.ClientSession() as http, http.get(app.web.url + "/metrics") as response:
        text = await response.text()
    names: dict[str, dict[str, set[str]]] = {}
    for family in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.setdefault(family.name + suffix, {})
        for sample in family.samples:
            labels = names.setdefault(sample.name, {})
            for key, value in sample.labels.items():
                labels.setdefault(key, set()).add(value)
    for wrapper in vars(Metrics(app)).values():
        if isinstance(wrapper, MetricWrapperBase):
            for family in wrapper.describe():
                for suffix in SUFFIXES[family.type]:
                    extra = ("le",) if suffix == "_bucket" else ()
                    for key in (*wrapper._labelnames, *extra):
                        names[family.name + suffix].setdefault(key, set())
    return names


def test_there_are_rules_for_what_the_issue_names() -> None:
    names = {rule["alert"] for rule in rules()}
    assert {
        "DbsbmDown",
        "DbsbmHighErrorRate",
        "DbsbmSlowCommands",
        "DbsbmDatabaseDown",
        "DbsbmRedisDown",
        "DbsbmGatewayDisconnected",
        "DbsbmReloadRolledBack",
        "DbsbmAuditEntriesDropped",
        "DbsbmTlsErrors",
        "DbsbmWebTokenRefused",
    } <= names


def test_every_alert_has_one_runbook_line_and_every_line_an_alert() -> None:
    documented = re.findall(r"^\| `(\w+)` \|", RUNBOOKS, re.M)
    alerts = [rule["alert"] for rule in rules()]
    assert sorted(documented) == sorted(alerts)
    assert len(set(documented)) == len(documented)


def test_every_alert_has_a_severity_and_points_at_the_runbooks() -> None:
    anchor = "#12-alerts-and-runbooks"
    assert f"[12. Alerts and runbooks]({anchor})" in GUIDE
    for rule in rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["runbook"] == f"docs/DEPLOYMENT_GUIDE.md{anchor}"
        assert rule["annotations"]["summary"]


def test_the_selector_parser_sees_names_and_matchers() -> None:
    expr = 'sum by (job, le) (rate(dbsbm_x_bucket{a="1", b=~"c|d"}[10m])) > 1 or up == 0'
    assert selectors(expr) == [
        ("dbsbm_x_bucket", {"a": ("=", "1"), "b": ("=~", "c|d")}),
        ("up", {}),
    ]


@pytest.mark.dbsbm(plugins=["metrics"])
async def test_rules_use_only_metrics_and_labels_the_bot_exports(dbsbm: App) -> None:
    names = await exported(dbsbm)
    used = [(rule["alert"], s) for rule in rules() for s in selectors(rule["expr"])]
    assert len(used) >= 15
    for alert, (metric, matchers) in used:
        if metric in PROMETHEUS_OWN:
            continue
        assert metric in names, f"{alert}: {metric} is not exported by /metrics"
        for label in matchers:
            assert label in names[metric].keys() | TARGET_LABELS, f"{alert}: {metric}{{{label}}}"


@pytest.mark.dbsbm(plugins=["metrics"])
async def test_label_values_in_rules_are_ones_the_bot_writes(dbsbm: App) -> None:
    names = await exported(dbsbm)
    components = names["dbsbm_component_up"]["component"]
    source = "\n".join(
        p.read_text(encoding="utf-8") for d in ("core", "plugins") for p in (ROOT / d).rglob("*.py")
    )
    for rule in rules():
        for metric, matchers in selectors(rule["expr"]):
            for label, (op, value) in matchers.items():
                values = set(value.split("|")) if op in ("=~", "!~") else {value}
                if label == "component":
                    assert values <= components, (rule["alert"], values)
                elif label == "outcome":
                    assert values <= OUTCOMES[metric], (rule["alert"], values)
                elif label == "kind" and metric == "dbsbm_security_events_total":
                    assert f'"{value}"' in source, f"{rule['alert']}: no security event {value!r}"


def test_prometheus_loads_the_rules_in_compose() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    mounts = compose["services"]["prometheus"]["volumes"]
    config_dir = "/etc/prometheus"
    assert f"./deploy/prometheus/prometheus.yml:{config_dir}/prometheus.yml:ro" in mounts
    for rule_file in config["rule_files"]:
        assert (PROMETHEUS / rule_file).is_file()
        assert f"./deploy/prometheus/{rule_file}:{config_dir}/{rule_file}:ro" in mounts
