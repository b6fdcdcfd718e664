"""Fixtures of the service tests: Redis (skipped without ``DBSBM_TEST_REDIS_URL``, failing under
``CI=true``), a random key prefix cleaned up afterwards, a fake clock, and a fault proxy in front of
Redis that a test can cut and restore to simulate an outage."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from core.testing import FaultProxy


class FakeClock:
    """A clock the test moves by hand (no sleeps)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("DBSBM_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("DBSBM_TEST_REDIS_URL is not set; Redis tests must run under CI")
        pytest.skip("DBSBM_TEST_REDIS_URL is not set")
    return url


def new_prefix() -> str:
    return f"dbsbm-test:{secrets.token_hex(6)}"


async def delete_prefix(redis_url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (SCAN, fine in tests)."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A fresh key prefix; every key under it is deleted after the test."""
    prefix = new_prefix()
    yield prefix
    await delete_prefix(redis_url, prefix)


CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
"""Nothing listens on port 1: connections are refused at once."""


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of Redis; the test connects to ``redis_proxy.url(redis_url)``."""
    async with FaultProxy.for_url(redis_url) as proxy:
        yield proxy
