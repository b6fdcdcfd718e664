"""Fixtures of the service tests: Redis (skipped without ``DBSBM_TEST_REDIS_URL``, failing under
``CI=true``), a random key prefix cleaned up afterwards, a fake clock, and a TCP proxy to Redis
that a test can cut and restore to simulate an outage."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio as aioredis


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


class RedisProxy:
    """A loopback TCP proxy to Redis; :meth:`cut` drops the listener and every connection,
    :meth:`restore` listens again on the same port."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (OSError, RuntimeError):
            pass
        finally:
            dst.close()


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[RedisProxy]:
    parts = urlsplit(redis_url)
    proxy = RedisProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    await proxy.restore()
    yield proxy
    await proxy.cut()


def proxied_url(redis_url: str, proxy: RedisProxy) -> str:
    """``redis_url`` with its host and port replaced by the proxy's."""
    parts = urlsplit(redis_url)
    netloc = f"127.0.0.1:{proxy.port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}:{parts.password or ''}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
