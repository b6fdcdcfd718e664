"""The API-Sports client against a fake API-Sports on loopback serving real recordings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from plugins.betting.api_sports import ApiSportsClient, ApiSportsError, game_status, parse_fixture
from plugins.betting.games import GameStatus
from plugins.betting.settings import ApiSportsSettings, FollowedLeague

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "api_sports"


def recording(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class FakeApiSports:
    """Answers ``GET /fixtures`` with queued (status, body, headers) answers, then the last."""

    answers: list[tuple[int, Any]] = field(default_factory=list)
    requests: list[web.Request] = field(default_factory=list)

    async def fixtures(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        status, body = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")


@pytest.fixture
async def fake_api() -> AsyncIterator[tuple[FakeApiSports, str]]:
    fake = FakeApiSports()
    app = web.Application()
    app.router.add_get("/fixtures", fake.fixtures)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield fake, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


Sleeps = list[float]


def client_for(
    session: aiohttp.ClientSession, base_url: str, sleeps: Sleeps, **kw: Any
) -> ApiSportsClient:
    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    settings = ApiSportsSettings(
        key="secret-key",
        base_url=base_url,
        follow=[FollowedLeague(name="Premier League", team=33, season=2021)],
        **kw,
    )
    return ApiSportsClient(session, settings, sleep=sleep)


def test_parse_recorded_fixtures() -> None:
    body = recording("football_fixtures_team33_2021.json")
    updates = [parse_fixture(item, "Premier League") for item in body["response"]]
    by_status: dict[GameStatus, int] = {}
    for u in updates:
        by_status[u.status] = by_status.get(u.status, 0) + 1
    assert by_status == {GameStatus.FINAL: 53, GameStatus.CANCELLED: 1}
    first = updates[0]
    assert (first.external_id, first.home, first.away) == ("710561", "Manchester United", "Leeds")
    assert (first.home_score, first.away_score) == (5, 1)
    assert (
        first.starts_at is not None and first.starts_at.isoformat() == "2021-08-14T11:30:00+00:00"
    )
    cancelled = next(u for u in updates if u.status is GameStatus.CANCELLED)
    assert cancelled.home_score is None


def test_not_started_fixtures_have_no_score() -> None:
    body = recording("football_fixtures_team37_2023.json")
    updates = [parse_fixture(item, "Premier League") for item in body["response"]]
    scheduled = [u for u in updates if u.status is GameStatus.SCHEDULED]
    assert len(scheduled) == 35 and all(u.home_score is None for u in scheduled)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"short": "PEN", "long": "Match Finished After Penalty"}, GameStatus.FINAL),
        ({"short": "AOT", "long": "After Over Time"}, GameStatus.FINAL),
        ({"short": None, "long": "Final/OT"}, GameStatus.FINAL),
        ({"short": "PST", "long": "Match Postponed"}, GameStatus.POSTPONED),
        ({"short": "ABD", "long": "Match Abandoned"}, GameStatus.CANCELLED),
        ({"short": "HT", "long": "Halftime"}, GameStatus.LIVE),
    ],
)
def test_status_mapping(status: dict[str, Any], expected: GameStatus) -> None:
    assert game_status(status) is expected


async def test_fetch_sends_key_and_parameters(fake_api: tuple[FakeApiSports, str]) -> None:
    fake, url = fake_api
    fake.answers = [(200, recording("football_fixtures_team33_2021.json"))]
    sleeps: Sleeps = []
    async with aiohttp.ClientSession() as session:
        updates = await client_for(session, url, sleeps).fetch()
    assert len(updates) == 54 and sleeps == []
    request = fake.requests[0]
    assert request.headers["x-apisports-key"] == "secret-key"
    assert dict(request.query) == {"season": "2021", "team": "33"}


async def test_error_object_in_http_200_raises(fake_api: tuple[FakeApiSports, str]) -> None:
    fake, url = fake_api
    fake.answers = [(200, recording("football_error_params.json"))]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ApiSportsError, match="cannot be used with live") as info:
            await client_for(session, url, []).fetch()
    assert not info.value.quota_exhausted
    assert len(fake.requests) == 1  # a parameter error is not retried


def envelope(errors: dict[str, str]) -> dict[str, Any]:
    base = recording("football_error_params.json")
    return {**base, "errors": errors}


@pytest.mark.parametrize(
    "first",
    [
        (429, {"message": "Too many requests"}),
        (503, {"message": "unavailable"}),
        (200, "rate-limit"),
    ],
)
async def test_429_5xx_and_rate_limit_are_retried(
    fake_api: tuple[FakeApiSports, str], first: tuple[int, Any]
) -> None:
    fake, url = fake_api
    status, body = first
    if body == "rate-limit":
        body = envelope(
            {"rateLimit": "Too many requests. Your rate limit is 10 requests per minute."}
        )
    fake.answers = [
        (status, body),
        (status, body),
        (200, recording("football_fixtures_team37_2023.json")),
    ]
    sleeps: Sleeps = []
    async with aiohttp.ClientSession() as session:
        updates = await client_for(session, url, sleeps).fetch()
    assert len(updates) == 51
    assert len(fake.requests) == 3
    assert len(sleeps) == 2 and sleeps[1] >= sleeps[0] / 2  # backoff grows (with jitter)


async def test_retries_give_up(fake_api: tuple[FakeApiSports, str]) -> None:
    fake, url = fake_api
    fake.answers = [(502, {"message": "bad gateway"})]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(Exception, match="502"):
            await client_for(session, url, [], retry_attempts=3).fetch()
    assert len(fake.requests) == 3


async def test_daily_quota_is_reported(fake_api: tuple[FakeApiSports, str]) -> None:
    fake, url = fake_api
    fake.answers = [(200, envelope({"requests": "You have reached the request limit for the day"}))]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ApiSportsError) as info:
            await client_for(session, url, []).fetch()
    assert info.value.quota_exhausted


async def test_paging_follows_every_page(fake_api: tuple[FakeApiSports, str]) -> None:
    fake, url = fake_api
    body = recording("football_fixtures_team33_2021.json")
    page1 = {**body, "paging": {"current": 1, "total": 2}, "response": body["response"][:30]}
    page2 = {**body, "paging": {"current": 2, "total": 2}, "response": body["response"][30:]}
    fake.answers = [(200, page1), (200, page2)]
    async with aiohttp.ClientSession() as session:
        updates = await client_for(session, url, []).fetch()
    assert len(updates) == 54
    assert fake.requests[1].query["page"] == "2"
