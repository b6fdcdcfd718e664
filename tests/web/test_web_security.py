"""What the web server tells strangers: rate-limit refusals counted instead of one security
event each, ``/health/ready`` without details beyond loopback, and no HTTP/0.9."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.app import App
from core.testing.server import LocalDiscord
from core.web import is_loopback
from tests.web.support import SecurityLog, running_app

SOURCES = ("127.0.0.1", "127.0.0.2")  # two client addresses (all of 127/8 is this machine)


def outside_address() -> str:
    """This machine's address on its network, to reach the server "from beyond loopback"."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        except OSError:
            pytest.skip("this machine has no network address besides loopback")
        address = str(probe.getsockname()[0])
    if is_loopback(address):
        pytest.skip("this machine has no network address besides loopback")
    return address


async def hammer(app: App, source: str, requests: int, statuses: Counter[int]) -> None:
    """``requests`` sequential GET /health from client address ``source``."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(requests):
            async with http.get(app.web.url + "/health") as response:
                statuses[response.status] += 1


async def test_refusals_are_counted_in_one_event_per_address_and_window(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    """2,000 requests from two addresses against 20 per second: every refusal is counted in
    the windows' end events, and each address has one start event per window at most."""
    log = SecurityLog()
    statuses = {source: Counter[int]() for source in SOURCES}
    loop = asyncio.get_running_loop()
    async with running_app(
        local_discord, tmp_path, (), connect=False, ratelimit={"web": "20/1s"}
    ) as app:
        app.pm.register(log, name="test.security")
        started = loop.time()
        await asyncio.gather(*(hammer(app, s, 250, statuses[s]) for s in SOURCES for _ in range(4)))
        elapsed = loop.time() - started
    for source in SOURCES:
        refused = statuses[source][429]
        assert statuses[source][200] + refused == 1000 and refused > 500, statuses
        events = [e for e in log.events if e.client_address == source]
        starts = [e for e in events if e.kind == "web_rate_limited"]
        ends = [e for e in events if e.kind == "web_rate_limit_ended"]
        assert len(starts) == len(ends) == len(events) / 2
        assert 1 <= len(starts) <= elapsed / 1.0 + 1  # windows of the limit's period never overlap
        assert sum(e.data["refused"] for e in ends) == refused
        assert all(e.data["seconds"] <= 1.5 for e in ends)
    assert len(log.events) <= 2 * len(SOURCES) * (elapsed + 1)


async def test_a_refusal_window_reports_its_count_when_it_closes(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    log = SecurityLog()
    async with running_app(
        local_discord, tmp_path, (), connect=False, ratelimit={"web": "1/1s"}
    ) as app:
        app.pm.register(log, name="test.security")
        statuses: Counter[int] = Counter()
        async with aiohttp.ClientSession() as http:
            while statuses[429] < 3:
                async with http.get(app.web.url + "/health") as response:
                    statuses[response.status] += 1
        ended = await log.wait_for("web_rate_limit_ended", within=5)  # the server still runs
        assert log.kinds()[0] == "web_rate_limited"
        assert ended.client_address == "127.0.0.1"
        assert 1 <= ended.data["refused"] <= 3 and 0.9 <= ended.data["seconds"] <= 2
        assert ended.data["limit"] == "1/1s"


async def ready(url: str, **headers: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.json()


async def test_ready_beyond_loopback_shows_statuses_only_without_the_token(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    outside = outside_address()
    token = "ready-token-" + "7" * 8
    async with running_app(
        local_discord, tmp_path, (), web={"host": "0.0.0.0", "token": token}
    ) as app:
        await app.db.close()  # the database is down: its detail names the URL and the reason
        port = app.web.port
        stranger = await ready(f"http://{outside}:{port}/health/ready")
        wrong = await ready(f"http://{outside}:{port}/health/ready", Authorization="Bearer no")
        with_token = await ready(
            f"http://{outside}:{port}/health/ready", Authorization=f"Bearer {token}"
        )
        local = await ready(f"http://127.0.0.1:{port}/health/ready")
    assert stranger == wrong
    assert stranger == (
        503,
        {
            "status": "unhealthy",
            "failing": ["database"],
            "components": {"gateway": {"status": "ok"}, "database": {"status": "unhealthy"}},
        },
    )
    for status, body in (with_token, local):
        database = body["components"]["database"]
        assert (status, body["failing"]) == (503, ["database"])
        assert database["detail"] == "not connected"
        assert database["data"]["url"].startswith("sqlite://")


async def raw_request(app: App, request: bytes, *, end: bool = False) -> bytes:
    """Send ``request`` on a plain socket (then end the sending side when ``end``: aiohttp
    drops a request whose client did so) and read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", app.web.port)
    try:
        writer.write(request)
        if end:
            writer.write_eof()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_http_0_9_is_refused(local_discord: LocalDiscord, tmp_path: Path) -> None:
    """aiohttp's parser takes a request line without a version as HTTP/0.9 and would answer
    it; the server refuses it (505), and a line without its blank line gets no answer."""
    async with running_app(local_discord, tmp_path, (), connect=False) as app:
        bare = await raw_request(app, b"GET /health\r\n\r\n")
        declared = await raw_request(app, b"GET /health HTTP/0.9\r\n\r\n")
        unfinished = await raw_request(app, b"GET /health\r\n", end=True)
        http_1_0 = await raw_request(app, b"GET /health HTTP/1.0\r\n\r\n")
    for answer in (bare, declared):
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split(b" ")[1] == b"505", answer
        assert b'"status"' not in rest
    assert unfinished == b""
    assert http_1_0.startswith(b"HTTP/1.0 200 ") and http_1_0.endswith(b'{"status": "ok"}')
