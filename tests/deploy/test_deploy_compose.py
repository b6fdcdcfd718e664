"""docker-compose.yml against the Compose Specification's schema, and the validator's own checks
(``.ci/checks`` runs the same validator on the file)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validate() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compose_validate", ROOT / "deploy/compose/validate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def doc(validate: ModuleType) -> dict[str, Any]:
    return validate.load(ROOT / "docker-compose.yml")


def test_compose_file_is_valid(validate: ModuleType) -> None:
    assert validate.validate(ROOT / "docker-compose.yml") == []


def test_full_stack_with_health_checks_and_start_order(doc: dict[str, Any]) -> None:
    services = doc["services"]
    assert {"bot", "bot-mariadb", "postgres", "mariadb", "redis", "prometheus", "grafana"} <= set(
        services
    )
    for name in ("postgres", "mariadb", "redis", "prometheus", "grafana"):
        assert "healthcheck" in services[name], name
    assert services["bot"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["bot-mariadb"]["depends_on"]["mariadb"]["condition"] == "service_healthy"
    assert services["mariadb"]["profiles"] == ["mariadb"]
    for bot in ("bot", "bot-mariadb"):
        assert "bot" in services[bot]["networks"]["default"]["aliases"]  # Prometheus' target
        assert services[bot]["env_file"] == ".env"
        env = services[bot]["environment"]
        assert env["DBSBM_CACHE__BACKEND"] == "redis" and "DBSBM_DATABASE__URL" in env
    assert set(doc["volumes"]) >= {"bot-data", "postgres-data", "grafana-data", "prometheus-data"}


def test_schema_rejects_what_compose_would(validate: ModuleType, doc: dict[str, Any]) -> None:
    broken = copy.deepcopy(doc)
    broken["services"]["redis"]["helthcheck"] = broken["services"]["redis"].pop("healthcheck")
    broken["services"]["bot"]["depends_on"]["redis"]["condition"] = "service_ready"
    errors = validate.schema_errors(broken)
    assert any("helthcheck" in e for e in errors)
    assert any("service_ready" in e for e in errors)


def test_consistency_checks_catch_broken_references(
    validate: ModuleType, doc: dict[str, Any]
) -> None:
    broken = copy.deepcopy(doc)
    broken["services"]["bot"]["depends_on"]["cache"] = {"condition": "service_started"}
    del broken["services"]["bot"]["profiles"]  # but postgres only runs with the postgres profile
    del broken["services"]["redis"]["healthcheck"]
    broken["services"]["grafana"]["volumes"].append("./deploy/missing.yml:/x:ro")
    broken["services"]["prometheus"]["volumes"].append("undeclared:/y")
    errors = "\n".join(validate.consistency_errors(broken))
    assert "'cache', which is not a service" in errors
    assert "only runs with the profiles ['postgres', 'sharded']" in errors
    assert "'redis' to be healthy, which has no healthcheck" in errors
    assert "./deploy/missing.yml does not exist" in errors
    assert "'undeclared' is not declared" in errors


def test_sharded_profile_runs_one_bot_as_two_processes(doc: dict[str, Any]) -> None:
    """``COMPOSE_PROFILES=sharded``: migrations once, then two shard processes of one bot, each
    its own host port, both behind the alias Prometheus looks up."""
    services = doc["services"]
    sharded = {name for name, s in services.items() if "sharded" in s.get("profiles", [])}
    assert sharded == {"migrate", "bot-shard-0", "bot-shard-1", "postgres"}
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["ports"] == []
    shards, ports = [], []
    for name in ("bot-shard-0", "bot-shard-1"):
        service = services[name]
        env = service["environment"]
        assert env["DBSBM_DISCORD__SHARD_COUNT"] == "2"
        assert env["DBSBM_DATABASE__MIGRATE_ON_START"] == "false"
        assert env["DBSBM_CACHE__BACKEND"] == "redis"  # one cluster: shared limits and view
        assert env["DBSBM_DATABASE__URL"].startswith("postgres://")
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "bot" in service["networks"]["default"]["aliases"]
        shards.append(env["DBSBM_DISCORD__SHARD_IDS"])
        ports.extend(service["ports"])
    assert shards == ["[0]", "[1]"]
    assert len(set(ports)) == 2 and all(p.endswith(":8080") for p in ports), ports
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text("utf-8"))
    job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "dbsbm")
    assert job["dns_sd_configs"] == [
        {"names": ["bot"], "type": "A", "port": 8080, "refresh_interval": "30s"}
    ]
