"""Fixtures of the core's end-to-end tests."""

from __future__ import annotations

import pytest

from core.testing.events import EventRecorder


@pytest.fixture
def events(dbsbm_events: EventRecorder) -> EventRecorder:
    """Short name for the testing kit's ``dbsbm_events``."""
    return dbsbm_events
