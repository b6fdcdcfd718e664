"""Shared test set-up: the helpers in tests/fixtures are importable by name (``db_backends``);
the framework's pytest plugin is loaded here rather than through its entry point (``-p no:dbsbm``
in pyproject.toml), so that it and the modules it imports load after coverage has started."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

pytest_plugins = ["core.testing.pytest_plugin"]


def pytest_configure(config: pytest.Config) -> None:
    """The coverage gate (``fail_under`` in pyproject.toml) is the whole suite's: a run of some
    of the tests reports their coverage without failing on it."""
    whole_suite = config.args_source is pytest.Config.ArgsSource.TESTPATHS and not (
        config.option.keyword or config.option.markexpr
    )
    coverage = config.pluginmanager.getplugin("_cov")  # pytest-cov's plugin, when measuring
    if not whole_suite and coverage is not None:
        coverage.options.cov_fail_under = 0  # read from [tool.coverage.report] as it started
