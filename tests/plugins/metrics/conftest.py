"""Fixtures of the metrics plugin's tests."""

from __future__ import annotations

import pytest
from metrics_support import Completions

from core.app import App


@pytest.fixture
def completions(dbsbm: App) -> Completions:
    found = Completions()
    dbsbm.pm.register(found, name="test.completions")
    return found
