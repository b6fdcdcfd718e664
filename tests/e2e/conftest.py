"""Fixtures of the core's end-to-end tests."""

from __future__ import annotations

import pytest
from e2e_support import EventRecorder

from core.app import App


@pytest.fixture
def events(dbsbm: App) -> EventRecorder:
    """Every pipeline event of the test's App, with ``wait(predicate)``."""
    recorder = EventRecorder()
    dbsbm.pm.register(recorder, name="test.events")
    return recorder
