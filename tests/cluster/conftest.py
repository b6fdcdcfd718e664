"""Fixtures of the cluster tests: ``redis_url``, the test Redis (skipped without
``DBSBM_TEST_REDIS_URL``, failing instead under ``CI=true``)."""

from __future__ import annotations

import pytest

from tests.web.support import backend_url


@pytest.fixture
def redis_url() -> str:
    return backend_url("redis")
