"""The API-Sports clients against a fake API-Sports on loopback serving recordings (and, for
what no recording has, games hand-written from the documented format: see
tests/fixtures/api_sports/README.md)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from plugins.betting.api_sports import ApiSportsClient, ApiSportsError
from plugins.betting.api_sports_games import FORMATS, STATUS_CODES, Ending, game_status
from plugins.betting.games import GameStatus, GameUpdate
from plugins.betting.settings import DEFAULT_BASE_URLS, ApiSportsSettings, FollowedLeague, Sport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "api_sports"


def recording(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class FakeApiSports:
    """Answers ``GET /fixtures`` and ``GET /games`` with queued (status, body) answers, then
    the last."""

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
    app.router.add_get("/games", fake.fixtures)
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

    sport = kw.pop("sport", Sport.FOOTBALL)
    follow = kw.pop("follow", [FollowedLeague(name="Premier League", team=33, season=2021)])
    settings = ApiSportsSettings(key="secret-key", base_urls={sport: base_url}, follow=follow, **kw)
    return ApiSportsClient(session, settings, sport, sleep=sleep)


def parse_all(sport: Sport, name: str) -> list[GameUpdate]:
    return [FORMATS[sport].parse(item, "L") for item in recording(name)["response"]]


def test_parse_recorded_fixtures() -> None:
    body = recording("football_fixtures_team33_2021.json")
    updates = [FORMATS[Sport.FOOTBALL].parse(item, "Premier League") for item in body["response"]]
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
    updates = [FORMATS[Sport.FOOTBALL].parse(item, "Premier League") for item in body["response"]]
    scheduled = [u for u in updates if u.status is GameStatus.SCHEDULED]
    assert len(scheduled) == 35 and all(u.home_score is None for u in scheduled)


@pytest.mark.parametrize(
    ("sport", "status", "expected"),
    [
        (Sport.FOOTBALL, {"short": "PEN", "long": "Match Finished"}, GameStatus.FINAL),
        (Sport.FOOTBALL, {"short": "AET", "long": "Match Finished"}, GameStatus.FINAL),
        (Sport.FOOTBALL, {"short": "PST", "long": "Match Postponed"}, GameStatus.POSTPONED),
        (Sport.FOOTBALL, {"short": "ABD", "long": "Match Abandoned"}, GameStatus.CANCELLED),
        (Sport.FOOTBALL, {"short": "HT", "long": "Halftime"}, GameStatus.LIVE),
        (Sport.AMERICAN_FOOTBALL, {"short": "AOT", "long": "After Over Time"}, GameStatus.FINAL),
        (Sport.AMERICAN_FOOTBALL, {"short": None, "long": "Final/OT"}, GameStatus.FINAL),
        (Sport.AMERICAN_FOOTBALL, {"short": None, "long": None}, GameStatus.SCHEDULED),
        (Sport.AMERICAN_FOOTBALL, {"short": "Q4", "long": "Fourth Quarter"}, GameStatus.LIVE),
        (Sport.BASKETBALL, {"short": "AOT", "long": "After Over Time"}, GameStatus.FINAL),
        (Sport.BASKETBALL, {"short": "POST", "long": "Game Postponed"}, GameStatus.POSTPONED),
        (Sport.BASEBALL, {"short": "IN9", "long": "Inning 9"}, GameStatus.LIVE),
        (Sport.BASEBALL, {"short": "IN11", "long": "Inning 11"}, GameStatus.LIVE),
        (Sport.HOCKEY, {"short": "AP", "long": "After Penalties"}, GameStatus.FINAL),
        (Sport.HOCKEY, {"short": "PT", "long": "Penalties Time"}, GameStatus.LIVE),
        (Sport.HOCKEY, {"short": "AWD", "long": "Awarded"}, GameStatus.CANCELLED),
        (Sport.HOCKEY, {"short": "XYZ", "long": "Something new"}, GameStatus.LIVE),
    ],
)
def test_status_mapping(sport: Sport, status: dict[str, Any], expected: GameStatus) -> None:
    assert game_status(sport, status) is expected


def test_every_status_in_the_files_maps_to_its_documented_one() -> None:
    """Each status a file's games carry is one the sport's table lists (or the null short
    code with "Final/OT"), and maps to that table's status."""
    files = {
        Sport.FOOTBALL: [
            "football_fixtures_team33_2021.json",
            "football_fixtures_team37_2023.json",
            "football_fixtures_handwritten.json",
        ],
        Sport.AMERICAN_FOOTBALL: [
            "american_football_games_nfl_2022-09-11.json",
            "american_football_games_handwritten.json",
        ],
        Sport.BASKETBALL: ["basketball_games_nba_2021-10-20.json"],
        Sport.BASEBALL: ["baseball_games_mlb_handwritten.json"],
        Sport.HOCKEY: ["hockey_games_nhl_handwritten.json"],
    }
    seen: dict[Sport, set[str | None]] = {}
    for sport, names in files.items():
        for name in names:
            for item in recording(name)["response"]:
                status = (item.get("fixture") or item.get("game") or item)["status"]
                seen.setdefault(sport, set()).add(status["short"])
                expected = STATUS_CODES[sport].get(status["short"], GameStatus.FINAL)
                assert game_status(sport, status) is expected, (sport, status)
    assert seen == {
        Sport.FOOTBALL: {"FT", "NS", "CANC", "PEN", "AET"},
        Sport.AMERICAN_FOOTBALL: {"FT", "AOT", None, "Q3", "NS", "PST"},
        Sport.BASKETBALL: {"FT", "AOT"},
        Sport.BASEBALL: {"FT", "IN5", "NS", "POST"},
        Sport.HOCKEY: {"FT", "AOT", "AP", "P2", "NS", "POST", "CANC"},
    }


def scores(updates: list[GameUpdate]) -> dict[str, tuple[int | None, int | None, str | None]]:
    """``{external id: (away, home, ended_in)}``."""
    return {u.external_id: (u.away_score, u.home_score, u.ended_in) for u in updates}


def test_nfl_totals_include_overtime_and_the_venue_is_kept() -> None:
    updates = parse_all(Sport.AMERICAN_FOOTBALL, "american_football_games_nfl_2022-09-11.json")
    assert scores(updates) == {
        "american-football:3955": (27, 26, "regulation"),
        "american-football:3956": (10, 19, "regulation"),
        "american-football:3957": (23, 20, "overtime"),  # 20-20 after four quarters
        "american-football:3963": (20, 20, "overtime"),  # a tie after overtime
        "american-football:3982": (29, 23, "overtime"),
    }
    first = updates[0]
    assert (first.sport, first.venue, first.city) == (
        "american-football",
        "Mercedes-Benz Stadium",
        None,
    )
    assert (
        first.starts_at is not None and first.starts_at.isoformat() == "2022-09-11T17:00:00+00:00"
    )
    by_doc = parse_all(Sport.AMERICAN_FOOTBALL, "american_football_games_handwritten.json")
    assert scores(by_doc)["american-football:900201"] == (24, 30, "overtime")  # AOT
    assert scores(by_doc)["american-football:900202"] == (27, 24, "overtime")  # "Final/OT"
    assert [u.status for u in by_doc[2:]] == [
        GameStatus.LIVE,
        GameStatus.SCHEDULED,
        GameStatus.POSTPONED,
    ]
    assert all(u.home_score is None and u.ended_in is None for u in by_doc[2:])
    assert (by_doc[0].venue, by_doc[0].city) == ("Lambeau Field", "Green Bay")


def test_nba_aot_total_includes_overtime() -> None:
    updates = parse_all(Sport.BASKETBALL, "basketball_games_nba_2021-10-20.json")
    assert scores(updates)["basketball:137232"] == (134, 138, "overtime")  # 116-116 after four
    assert [u.ended_in for u in updates].count("regulation") == 4
    assert all(u.venue is None and u.sport == "basketball" for u in updates)


def test_mlb_totals_include_extra_innings() -> None:
    updates = parse_all(Sport.BASEBALL, "baseball_games_mlb_handwritten.json")
    assert scores(updates) == {
        "baseball:900101": (3, 7, "regulation"),
        "baseball:900102": (4, 5, "overtime"),  # won in the 10th
        "baseball:900103": (None, None, None),  # live: no score stored
        "baseball:900104": (None, None, None),
        "baseball:900105": (None, None, None),
    }


def test_nhl_overtime_counts_and_the_shootout_is_one_goal_for_its_winner() -> None:
    updates = parse_all(Sport.HOCKEY, "hockey_games_nhl_handwritten.json")
    assert scores(updates) == {
        "hockey:900001": (2, 4, "regulation"),
        "hockey:900002": (2, 3, "overtime"),
        "hockey:900003": (3, 2, "shootout"),  # 2-2 after overtime, the Devils won it 2-1
        "hockey:900004": (None, None, None),
        "hockey:900005": (None, None, None),
        "hockey:900006": (None, None, None),
        "hockey:900007": (None, None, None),
    }
    assert updates[-1].status is GameStatus.CANCELLED


def test_hockey_without_readable_periods_uses_the_scores() -> None:
    item = recording("hockey_games_nhl_handwritten.json")["response"][2]
    item = {**item, "periods": {"first": None, "second": None, "third": None}}
    assert scores([FORMATS[Sport.HOCKEY].parse(item, "NHL")]) == {
        "hockey:900003": (3, 2, "shootout")
    }


def test_football_is_graded_on_regulation_time() -> None:
    """score.fulltime, not goals (which include extra time) nor the penalty shoot-out."""
    [aet] = parse_all(Sport.FOOTBALL, "football_fixtures_handwritten.json")
    assert (aet.away_score, aet.home_score, aet.ended_in) == (1, 1, Ending.EXTRA_TIME.value)
    assert (aet.venue, aet.city, aet.sport) == ("Old Trafford", "Manchester", "football")
    recorded = parse_all(Sport.FOOTBALL, "football_fixtures_team33_2021.json")
    pen = next(u for u in recorded if u.external_id == "824596")
    assert (pen.away_score, pen.home_score, pen.ended_in) == (1, 1, "penalties")
    assert {u.ended_in for u in recorded} == {"regulation", "penalties", None}  # None: cancelled


def test_long_names_are_cut_to_their_columns() -> None:
    item = recording("basketball_games_nba_2021-10-20.json")["response"][0]
    long = {**item, "teams": {"home": {"name": "H" * 300}, "away": {"name": "A" * 65}}}
    update = FORMATS[Sport.BASKETBALL].parse(long, "NBA")
    assert (len(update.home), len(update.away)) == (64, 64)


def test_each_sport_has_its_own_api_and_the_old_base_url_is_footballs() -> None:
    assert ApiSportsSettings().base_urls == DEFAULT_BASE_URLS
    assert DEFAULT_BASE_URLS[Sport.HOCKEY] == "https://v1.hockey.api-sports.io"
    old = ApiSportsSettings.model_validate({"base_url": "http://127.0.0.1:9"})
    assert old.base_urls == {**DEFAULT_BASE_URLS, Sport.FOOTBALL: "http://127.0.0.1:9"}
    follows = [
        {"name": "EPL", "league": 39, "season": 2024},  # no sport: football, as before
        {"name": "NBA", "sport": "basketball", "league": 12, "season": "2024-2025"},
    ]
    settings = ApiSportsSettings.model_validate({"follow": follows})
    assert settings.sports() == [Sport.FOOTBALL, Sport.BASKETBALL]
    for bad, error in (
        ({"name": "NBA", "league": 12, "season": "24-25"}, "a season is a year"),
        ({"name": "NBA", "season": 2024}, "league id or the team id"),
        ({"name": "NBA", "sport": "cricket", "league": 1, "season": 2024}, "american-football"),
    ):
        with pytest.raises(ValueError, match=error):
            FollowedLeague.model_validate(bad)


async def test_a_sport_asks_its_own_path_for_its_own_leagues(
    fake_api: tuple[FakeApiSports, str],
) -> None:
    """The basketball client asks ``/games`` for the basketball leagues only; an entry the
    format does not fit is skipped, the others still sync."""
    fake, url = fake_api
    body = recording("basketball_games_nba_2021-10-20.json")
    fake.answers = [(200, {**body, "response": [*body["response"], {"id": 1}]})]
    follow = [
        FollowedLeague(name="EPL", league=39, season=2021),
        FollowedLeague(name="NBA", sport=Sport.BASKETBALL, league=12, season="2021-2022"),
    ]
    async with aiohttp.ClientSession() as session:
        client = client_for(session, url, [], sport=Sport.BASKETBALL, follow=follow)
        updates = await client.fetch()
    assert client.name == "api-sports basketball"
    assert len(updates) == 5 and {u.league for u in updates} == {"NBA"}
    [request] = fake.requests
    assert request.path == "/games"
    assert dict(request.query) == {"league": "12", "season": "2021-2022"}


async def test_errors_of_another_sports_api_are_read_the_same_way(
    fake_api: tuple[FakeApiSports, str],
) -> None:
    fake, url = fake_api
    quota = {**envelope({"requests": "You have reached the request limit for the day"})}
    fake.answers = [(200, {**quota, "get": "games"})]
    follow = [FollowedLeague(name="NHL", sport=Sport.HOCKEY, league=57, season=2023)]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ApiSportsError) as info:
            await client_for(session, url, [], sport=Sport.HOCKEY, follow=follow).fetch()
    assert info.value.quota_exhausted and fake.requests[0].path == "/games"


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
