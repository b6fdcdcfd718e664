"""The dependency audit's verdict on pip-audit's JSON report (.ci/audit_dependencies.py): a
vulnerability fails, a source that knows no package is "not audited", never "clean"."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", ROOT / ".ci/audit_dependencies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dep(name: str, *vulns: str) -> dict[str, object]:
    return {
        "name": name,
        "version": "1.0",
        "vulns": [{"id": v, "fix_versions": ["1.1"], "aliases": []} for v in vulns],
    }


def unknown(name: str) -> dict[str, object]:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI: {name} (1.0)"}


def test_a_vulnerability_fails(audit: ModuleType) -> None:
    status, lines = audit.verdict({"dependencies": [dep("aiohttp", "GHSA-1"), dep("yarl")]})
    assert status == 1
    assert lines == [
        "aiohttp 1.0: GHSA-1 (fixed in: 1.1)",
        "pip-audit: 1 known vulnerabilities in uv.lock",
    ]


def test_no_package_known_to_the_source_is_not_audited(audit: ModuleType) -> None:
    status, lines = audit.verdict({"dependencies": [unknown("aiohttp"), unknown("yarl")]})
    assert status == 0
    assert lines == [f"{audit.UNREACHABLE} (the source knows none of the 2 locked packages)"]


def test_clean_and_partly_audited(audit: ModuleType) -> None:
    assert audit.verdict({"dependencies": [dep("aiohttp"), dep("yarl")]}) == (
        0,
        ["pip-audit: 2 locked packages audited, no known vulnerabilities"],
    )
    status, lines = audit.verdict({"dependencies": [dep("aiohttp"), unknown("yarl")]})
    assert status == 0
    assert lines[1] == "pip-audit: 1 not audited (unknown to the source): yarl"
