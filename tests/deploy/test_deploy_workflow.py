"""The GitHub Actions workflow (.github/workflows/ci.yml): the suite runs against the same
backends as docker-compose.yml, and the image is only pushed from a version tag
(``.ci/checks`` lints the file with actionlint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ON_TAG = "startsWith(github.ref, 'refs/tags/v')"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    doc: dict[Any, Any] = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    doc["on"] = doc.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return doc


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(f"{action}@")]


def test_ci_run_against_the_compose_backends(workflow: dict[str, Any]) -> None:
    test = workflow["jobs"]["test"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    services = test["services"]
    assert {name: s["image"] for name, s in services.items()} == {
        name: compose[name]["image"] for name in ("postgres", "mariadb", "redis")
    }
    urls = {k: urlsplit(v) for k, v in test["env"].items() if k.startswith("DBSBM_TEST_")}
    assert {k: (u.scheme, u.hostname) for k, u in urls.items()} == {
        "DBSBM_TEST_POSTGRES_URL": ("postgres", "postgres"),
        "DBSBM_TEST_MYSQL_URL": ("mysql", "mariadb"),
        "DBSBM_TEST_REDIS_URL": ("redis", "redis"),
    }
    assert test["env"]["CI"] == "true"  # a backend test fails instead of skipping
    assert test["steps"][-1]["run"] == "bash .ci/run"


def test_the_image_is_built_after_the_tests_and_pushed_only_from_a_tag(
    workflow: dict[str, Any],
) -> None:
    assert "v*.*.*" in workflow["on"]["push"]["tags"]
    assert workflow["permissions"] == {"contents": "read"}
    image = workflow["jobs"]["image"]
    assert image["needs"] == "test"
    assert image["permissions"]["packages"] == "write"
    [login] = steps_using(image, "docker/login-action")
    assert login["if"] == ON_TAG
    assert login["with"]["registry"] == "ghcr.io"
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"
    [build] = steps_using(image, "docker/build-push-action")
    assert build["with"]["push"] == "${{ " + ON_TAG + " }}"
    [meta] = steps_using(image, "docker/metadata-action")
    assert meta["with"]["images"] == "ghcr.io/${{ github.repository }}"
    assert build["with"]["tags"] == "${{ steps." + meta["id"] + ".outputs.tags }}"
