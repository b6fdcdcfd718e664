"""Fixtures of the core's tests: ``importable``, a folder on ``sys.path`` for a test's own
modules."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    """A folder on ``sys.path`` for the test's modules, taken off (with them) afterwards."""
    before = set(sys.modules)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in set(sys.modules) - before:
        del sys.modules[name]
