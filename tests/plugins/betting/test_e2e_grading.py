"""Grading, records, set-up and games end to end through the local Discord."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from betting_support import BetWorld, running
from test_e2e_picks import (  # type: ignore[import-not-found]
    add_game,
    forged_next,
    setup_guild,
    straight,
)

from core.events import SecurityEvent
from core.hookspecs import hookimpl
from core.recovery import UserError
from plugins.betting.commands.leaderboard import board_state
from plugins.betting.models import Draft, Game, GradeChange, GuildConfig, Pick
from plugins.betting.records import Metric, Period

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "api_sports"


async def grade(world: BetWorld, actor_name: str, **options: Any) -> str:
    actor = getattr(world, actor_name)
    reply = await (await actor.slash("bet", "grade", **options)).wait_reply()
    assert reply.ephemeral
    return reply.message.content


async def test_grading_rights(world: BetWorld) -> None:
    await setup_guild(world)
    game = await add_game()
    await straight(world.bob, game, odds="+150", units="2")
    await straight(world.gina, game)
    refused: list[SecurityEvent] = []

    class Listener:
        @hookimpl
        def dbsbm_security_event(self, event: SecurityEvent) -> None:
            refused.append(event)

    world.app.pm.register(Listener(), name="security-listener")
    assert "Only graders" in await grade(world, "bob", id=1, result="won")
    assert "Only graders" in await grade(world, "cody", id=1, result="won")
    assert "cannot grade your own pick" in await grade(world, "gina", id=2, result="won")
    assert await Pick.filter(status="pending").count() == 2
    assert [e.kind for e in refused] == ["permission_refused"] * 3
    assert "Pick #1 graded won. Pick status: won (3.00u)." == await grade(
        world, "gina", id=1, result="won"
    )
    assert "graded won" in await grade(world, "alice", id=2, result="won")  # Manage Server
    corrected = await grade(world, "alice", id=1, result="lost")
    assert "corrected to lost" in corrected and "(-2.00u)" in corrected
    assert await GradeChange.filter(pick_id=1, leg_position=None).count() == 2
    await setup_guild(world, self_grading=True)
    assert "Pick #2 corrected to push" in await grade(world, "gina", id=2, result="push")


async def test_parlay_grades_per_leg(world: BetWorld) -> None:
    a, b = await add_game("H1", "A1"), await add_game("H2", "A2")
    builder = await (await world.bob.slash("bet", "parlay", units="1")).wait_reply()
    legs = [
        {
            "game_id": g.id,
            "league": "NFL",
            "matchup": g.matchup,
            "market": "moneyline",
            "side": "home",
            "selection": g.home,
            "line": None,
            "odds_format": "american",
            "odds_value": "+100",
        }
        for g in (a, b)
    ]
    await Draft.filter(id=1).update(legs=legs)
    await (await world.bob.click(builder.message, "Place parlay")).wait_reply()
    assert "one leg at a time" in await grade(world, "alice", id=1, result="won")
    assert "Pick status: pending" in await grade(world, "alice", id=1, result="won", leg=1)
    assert "Pick status: won (1.00u)" in await grade(world, "alice", id=1, result="push", leg=2)


async def test_auto_grading_from_a_manual_final_score(world: BetWorld) -> None:
    await setup_guild(world)
    added = await (
        await world.gina.slash(
            "game", "add", league="KBO", home="Twins", away="Bears", starts="2099-01-01 10:00"
        )
    ).wait_reply()
    assert "Game #1 added: KBO · Bears @ Twins at 2099-01-01 10:00 UTC." in added.message.content
    refused = await (
        await world.bob.slash(
            "game", "add", league="KBO", home="A", away="B", starts="2099-01-01 10:00"
        )
    ).wait_reply()
    assert "Only graders" in refused.message.content
    await straight(world.bob, "1", league="KBO", selection="Bears", odds="+120")
    await straight(world.bob, "1", league="KBO", market="total", selection="Under", line="8.5")
    await straight(
        world.bob, "1", league="KBO", market="prop", selection="Kim over 1.5 hits", line="1.5"
    )
    choices = await world.gina.autocomplete("game", "result", focused="game", game="")
    assert [c.value for c in choices] == ["1"]
    await Game.filter(id=1).update(starts_at=datetime.now(UTC) - timedelta(hours=3))  # played
    result = await (
        await world.gina.slash("game", "result", game="1", home_score=3, away_score=5)
    ).wait_reply()
    assert result.message.content == "Bears @ Twins: final 5-3. 2 pick(s) changed."
    picks = {p.id: (p.status, p.result_units) for p in await Pick.all()}
    assert picks == {1: ("won", D("1.20")), 2: ("won", D("0.91")), 3: ("pending", None)}
    slip = world.discord.messages("picks")[0]
    assert "WON (+1.20u)" in {f.name: f.value for f in slip.embeds[0].fields}["Status"]
    after = await straight(world.bob, "1", league="KBO", selection="Bears")
    assert "final" in after.message.content


async def test_stats_with_chart(world: BetWorld) -> None:
    game = await add_game()
    for odds in ("+150", "-110", "-110"):
        await straight(world.bob, game, odds=odds, units="2")
    await grade(world, "alice", id=1, result="won")
    await grade(world, "alice", id=2, result="lost")
    await grade(world, "alice", id=3, result="won")
    reply = await (await world.alice.slash("stats", member="Bob")).wait_reply()
    fields = {f.name: f.value for f in reply.message.embeds[0].fields}
    assert fields["Record (W-L-P)"] == "2-1-0"
    assert fields["Units"] == "+2.82u"  # 3.00 - 2.00 + 1.82
    assert fields["Win rate"] == "66.7%"
    assert fields["ROI"] == "47.0%"
    assert fields["Streak"] == "W1"
    assert fields["Best win"] == "+3.00u (pick #1)"
    assert fields["Average odds"] == "+111"  # (2.5 + 1.9091 + 1.9091) / 3 = 2.1061
    [chart] = reply.message.files
    assert chart.name == "units.png" and chart.data.startswith(b"\x89PNG")
    empty = await (await world.bob.slash("stats", league="NBA")).wait_reply()
    assert {f.name: f.value for f in empty.message.embeds[0].fields}["Record (W-L-P)"] == "0-0-0"
    assert empty.message.files == ()


async def test_leaderboard_is_never_stale_after_a_grade(world: BetWorld) -> None:
    game = await add_game()
    await straight(world.bob, game, units="2", odds="+100")
    await straight(world.cody, game, units="1", odds="+100")
    await grade(world, "alice", id=1, result="won")
    await grade(world, "alice", id=2, result="won")
    first = await (await world.alice.slash("leaderboard")).wait_reply()
    lines = first.message.embeds[0].description.splitlines()
    bob, cody = world.bob.member.id, world.cody.member.id
    assert lines[0].startswith(f"**1.** <@{bob}> +2.00u") and lines[1].startswith(
        f"**2.** <@{cody}> +1.00u"
    )
    cached = await (await world.alice.slash("leaderboard")).wait_reply()
    assert cached.message.embeds[0].description == first.message.embeds[0].description
    await grade(world, "alice", id=1, result="lost")  # a correction
    after = await (await world.alice.slash("leaderboard")).wait_reply()
    lines = after.message.embeds[0].description.splitlines()
    assert lines[0].startswith(f"**1.** <@{cody}> +1.00u") and lines[1].startswith(
        f"**2.** <@{bob}> -2.00u"
    )
    roi = await (await world.alice.slash("leaderboard", metric="roi")).wait_reply()
    assert "ROI 100.0%" in roi.message.embeds[0].description.splitlines()[0]


async def test_leaderboard_pages(world: BetWorld) -> None:
    game = await add_game()
    for index in range(12):
        await Pick.create(
            guild_id=world.guild_id,
            user_id=10_000 + index,
            interaction_id=index + 1,
            kind="straight",
            league="NFL",
            stake=D(1),
            to_win=D(1),
            stake_mode="risk",
            odds_decimal=D(2),
            status="won",
            result_units=D(index + 1),
            graded_at=datetime.now(UTC),
        )
    assert game.id
    first = await (await world.alice.slash("leaderboard")).wait_reply()
    assert len(first.message.embeds[0].description.splitlines()) == 10
    second = await (await world.alice.click(first.message, "Next")).wait_reply()
    lines = second.message.embeds[0].description.splitlines()
    assert lines == [
        "**11.** <@10001> +2.00u · 1-0-0 · ROI 200.0% · win 100.0%",
        "**12.** <@10000> +1.00u · 1-0-0 · ROI 100.0% · win 100.0%",
    ]


def test_a_leaderboard_buttons_state_reads_back_or_is_refused() -> None:
    assert board_state("all:units:2:") == (Period.ALL, Metric.UNITS, 2, None)
    assert board_state("week:winrate:1:NFL") == (Period.WEEK, Metric.WIN_RATE, 1, "NFL")
    assert board_state("month:roi:3:A:B") == (Period.MONTH, Metric.ROI, 3, "A:B")
    assert board_state("all:units:2:")[0] is Period.ALL
    stale_ids = ("decade:units:2:", "all:profit:2:", "all:units:two:", "noop:2", "all:units:2", "")
    for stale in stale_ids:
        with pytest.raises(UserError) as refused:
            board_state(stale)
        assert str(refused.value) == "This list is out of date: run /leaderboard again."


async def test_a_leaderboard_button_with_a_period_it_does_not_know_is_refused(
    world: BetWorld,
) -> None:
    """A button from a version that had other periods (or a forged one) is told to run
    /leaderboard again, not answered with a failure; the board stays as it was."""
    board = await (await world.alice.slash("leaderboard", period="week")).wait_reply()
    assert board.message is not None
    assert board.message.component("Next").custom_id == "betlb:week:units:2:"
    refused = await forged_next(world.alice, board.message, "betlb:decade:units:2:")
    assert refused == "This list is out of date: run /leaderboard again."


async def test_setup_needs_manage_server(world: BetWorld) -> None:
    refused = await (await world.bob.slash("setup", min_units="1")).wait_reply()
    assert "Manage Server" in refused.message.content
    assert await GuildConfig.all().count() == 0
    bad = await (await world.alice.slash("setup", min_units="5", max_units="2")).wait_reply()
    assert "min_units: must not be more than max_units" in bad.message.content
    ok = await (
        await world.alice.slash("setup", min_units="1", max_units="25", stake_mode="win")
    ).wait_reply()
    assert "Units: 1.00 to 25.00" in ok.message.content
    config = await GuildConfig.get(guild_id=world.guild_id)
    assert (config.min_units, config.max_units, config.stake_mode) == (D(1), D(25), "win")
    game = await add_game()
    reply = await straight(world.bob, game, units="20", odds="-110")
    assert "risk 22.00u to win 20.00u" in reply.message.content


async def test_api_sports_sync_grades_from_final_score(tmp_path: Path) -> None:
    """The background sync reads API-Sports (a loopback fake serving the real recording) and
    grades a pending pick on a game the recording reports final (Manchester United 5-1 Leeds)."""
    body = json.loads((FIXTURES / "football_fixtures_team33_2021.json").read_text())
    release = asyncio.Event()
    keys: list[str] = []

    async def fixtures(request: web.Request) -> web.Response:
        keys.append(request.headers.get("x-apisports-key", ""))
        await release.wait()
        return web.Response(text=json.dumps(body), content_type="application/json")

    server = web.Application()
    server.router.add_get("/fixtures", fixtures)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api = {
        "key": "test-key",
        "base_url": f"http://127.0.0.1:{port}",
        "follow": [{"name": "Premier League", "team": 33, "season": 2021}],
    }
    try:
        async with running(tmp_path, api_sports=api) as world:
            game = await Game.create(
                source="api-sports",
                external_id="710561",
                league="Premier League",
                home="Manchester United",
                away="Leeds",
                starts_at=datetime.now(UTC) + timedelta(hours=1),
            )
            won = await straight(
                world.bob,
                game,
                league="Premier League",
                selection="Manchester United",
                odds="+100",
            )
            lost = await straight(
                world.bob,
                game,
                league="Premier League",
                market="spread",
                selection="Leeds",
                line="+3.5",
                odds="-110",
            )
            assert "Pick #2 placed" in lost.message.content and "Pick #1" in won.message.content
            release.set()
            await world.probe.wait_for(
                lambda: sum(a.kind == "bet.graded" for a in world.probe.actions) == 2
            )
            picks = {p.id: (p.status, p.result_units, p.graded_by) for p in await Pick.all()}
            assert picks == {1: ("won", D("1.00"), 0), 2: ("lost", D("-1.00"), 0)}
            stored = await Game.get(external_id="710561")
            assert (stored.status, stored.home_score, stored.away_score) == ("final", 5, 1)
            assert keys == ["test-key"]
    finally:
        await runner.cleanup()
