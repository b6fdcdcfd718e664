"""Every API-Sports sport end to end: the background syncs read each sport's own API (one fake
API-Sports on loopback, a path prefix per sport, serving the recordings and the hand-written
games of tests/fixtures/api_sports/) and grade picks placed through the local Discord on games
that ended in overtime, extra innings, a shoot-out or extra time, as each market's rules say
(docs/plugins/betting.md, "Grading per sport")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from aiohttp import web

from plugins.betting.models import Game, Pick
from tests.plugins.betting.betting_support import running
from tests.plugins.betting.test_e2e_picks import straight

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "api_sports"

#: sport: (file served, the followed league)
SERVED = {
    "football": ("football_fixtures_handwritten.json", {"name": "EPL", "team": 33, "season": 2023}),
    "american-football": (
        "american_football_games_nfl_2022-09-11.json",
        {"name": "NFL", "league": 1, "season": 2022},
    ),
    "basketball": (
        "basketball_games_nba_2021-10-20.json",
        {"name": "NBA", "league": 12, "season": "2021-2022"},
    ),
    "baseball": (
        "baseball_games_mlb_handwritten.json",
        {"name": "MLB", "league": 1, "season": 2024},
    ),
    "hockey": ("hockey_games_nhl_handwritten.json", {"name": "NHL", "league": 57, "season": 2023}),
}


@asynccontextmanager
async def fake_api_sports(release: asyncio.Event) -> AsyncIterator[tuple[str, list[str]]]:
    """One loopback server answering ``/<sport>/fixtures`` and ``/<sport>/games`` once
    ``release`` is set; yields its URL and the paths asked."""
    asked: list[str] = []

    async def games(request: web.Request) -> web.Response:
        asked.append(f"{request.path}?{request.query_string}")
        await release.wait()
        name, _ = SERVED[request.match_info["sport"]]
        return web.Response(text=(FIXTURES / name).read_text(), content_type="application/json")

    app = web.Application()
    app.router.add_get("/{sport}/fixtures", games)
    app.router.add_get("/{sport}/games", games)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", asked
    finally:
        await runner.cleanup()


async def upcoming(external_id: str, league: str, home: str, away: str) -> Game:
    """The game as the schedule had it before it was played (picks still open)."""
    return await Game.create(
        source="api-sports",
        external_id=external_id,
        league=league,
        home=home,
        away=away,
        starts_at=datetime.now(UTC) + timedelta(hours=1),
    )


async def test_every_sport_grades_overtime_shootouts_and_extra_time(tmp_path: Path) -> None:
    release = asyncio.Event()
    async with fake_api_sports(release) as (url, asked):
        api = {
            "key": "test-key",
            "base_urls": {sport: f"{url}/{sport}" for sport in SERVED},
            "follow": [{"sport": sport, **follow} for sport, (_, follow) in SERVED.items()],
        }
        async with running(tmp_path, api_sports=api) as world:
            nfl_ot = await upcoming(
                "american-football:3957", "NFL", "Cincinnati Bengals", "Pittsburgh Steelers"
            )
            nfl_tie = await upcoming(
                "american-football:3963", "NFL", "Houston Texans", "Indianapolis Colts"
            )
            nba = await upcoming("basketball:137232", "NBA", "New York Knicks", "Boston Celtics")
            mlb = await upcoming(
                "baseball:900102", "MLB", "Los Angeles Dodgers", "San Francisco Giants"
            )
            nhl = await upcoming("hockey:900003", "NHL", "New York Rangers", "New Jersey Devils")
            epl = await upcoming("900301", "EPL", "Manchester United", "Middlesbrough")
            placed: list[tuple[Game, dict[str, str], str]] = [
                # NFL 23-20 after overtime (20-20 after four quarters): overtime counts
                (nfl_ot, {"selection": "Pittsburgh Steelers"}, "won"),
                (
                    nfl_ot,
                    {"market": "spread", "selection": "Cincinnati Bengals", "line": "+3"},
                    "push",
                ),
                (nfl_ot, {"market": "total", "selection": "Over", "line": "42.5"}, "won"),
                # NFL 20-20 after overtime: a tie, the moneyline pushes
                (nfl_tie, {"selection": "Houston Texans"}, "push"),
                # NBA 138-134 after overtime (116-116 after four quarters)
                (nba, {"market": "total", "selection": "Over", "line": "250.5"}, "won"),
                (nba, {"market": "spread", "selection": "Boston Celtics", "line": "+3.5"}, "lost"),
                # MLB 5-4 in the 10th: extra innings count
                (mlb, {"market": "total", "selection": "Over", "line": "8.5"}, "won"),
                (mlb, {"selection": "Los Angeles Dodgers"}, "won"),
                # NHL 2-2 after overtime, the Devils won the shoot-out: 2-3
                (nhl, {"selection": "New Jersey Devils"}, "won"),
                (nhl, {"market": "spread", "selection": "New York Rangers", "line": "+1.5"}, "won"),
                (nhl, {"market": "total", "selection": "Over", "line": "4.5"}, "won"),
                # EPL 1-1 after 90 minutes, 2-1 after extra time: regulation time grades
                (epl, {"selection": "Manchester United"}, "push"),
                (epl, {"market": "total", "selection": "Under", "line": "2.5"}, "won"),
            ]
            for game, options, _ in placed:
                reply = await straight(world.bob, game, league=game.league, **options)
                assert "placed" in reply.message.content, reply.message.content
            release.set()
            await world.probe.wait_for(
                lambda: sum(a.kind == "bet.graded" for a in world.probe.actions) == len(placed)
            )
            results = [p.status for p in await Pick.all().order_by("id")]
            assert results == [expected for _, _, expected in placed]
            assert (await Pick.get(id=4)).result_units == D("0.00")

            stored = {g.external_id: g for g in await Game.all()}
            ended = {
                k: (g.sport, g.status, g.away_score, g.home_score, g.ended_in)
                for k, g in stored.items()
            }
            assert ended["american-football:3957"] == (
                "american-football",
                "final",
                23,
                20,
                "overtime",
            )
            assert ended["basketball:137232"] == ("basketball", "final", 134, 138, "overtime")
            assert ended["baseball:900102"] == ("baseball", "final", 4, 5, "overtime")
            assert ended["hockey:900003"] == ("hockey", "final", 3, 2, "shootout")
            assert ended["900301"] == ("football", "final", 1, 1, "extra_time")
            assert (stored["900301"].venue, stored["900301"].city) == ("Old Trafford", "Manchester")
            assert stored["american-football:3957"].venue == "Paycor Stadium"
            assert stored["hockey:900005"].status == "scheduled"  # the rest of the feed is stored
            assert stored["american-football:3955"].ended_in == "regulation"
    assert sorted(asked) == sorted(
        [
            "/american-football/games?season=2022&league=1",
            "/basketball/games?season=2021-2022&league=12",
            "/baseball/games?season=2024&league=1",
            "/football/fixtures?season=2023&team=33",
            "/hockey/games?season=2023&league=57",
        ]
    )


async def test_one_sports_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    """Each sport syncs on its own: hockey's API refusing (its daily quota) leaves basketball's
    sync grading."""
    release, hockey_refused = asyncio.Event(), asyncio.Event()
    refused: list[str] = []

    async def games(request: web.Request) -> web.Response:
        sport = request.match_info["sport"]
        if sport == "hockey":
            refused.append(sport)
            hockey_refused.set()
            body: dict[str, Any] = {
                "get": "games",
                "parameters": dict(request.query),
                "errors": {"requests": "You have reached the request limit for the day"},
                "results": 0,
                "response": [],
            }
            return web.Response(text=json.dumps(body), content_type="application/json")
        await release.wait()
        name, _ = SERVED[sport]
        return web.Response(text=(FIXTURES / name).read_text(), content_type="application/json")

    app = web.Application()
    app.router.add_get("/{sport}/games", games)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    api = {
        "key": "test-key",
        "base_urls": {"hockey": f"{url}/hockey", "basketball": f"{url}/basketball"},
        "follow": [
            {"sport": "hockey", **SERVED["hockey"][1]},
            {"sport": "basketball", **SERVED["basketball"][1]},
        ],
    }
    try:
        async with running(tmp_path, api_sports=api) as world:
            game = await upcoming("basketball:137232", "NBA", "New York Knicks", "Boston Celtics")
            await straight(world.bob, game, league="NBA", selection="New York Knicks")
            await asyncio.wait_for(hockey_refused.wait(), 5)
            release.set()
            await world.probe.wait_for(
                lambda: any(a.kind == "bet.graded" for a in world.probe.actions)
            )
            assert (await Pick.get(id=1)).status == "won"
            assert refused == ["hockey"]  # refused once; the quota's wait is max_backoff
            tasks = sorted(
                t.get_name() for t in asyncio.all_tasks() if "api-sports" in t.get_name()
            )
            assert tasks == ["betting:api-sports basketball sync", "betting:api-sports hockey sync"]
    finally:
        await runner.cleanup()
