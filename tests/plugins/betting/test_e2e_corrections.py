"""Result corrections, settlement in every order and the time checks of ``/game``, end to end
through the local Discord (issue 14, items 1, 2 and 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

from betting_support import BetWorld
from test_e2e_picks import add_game, setup_guild, straight  # type: ignore[import-not-found]

from core.events import SecurityEvent
from core.hookspecs import hookimpl
from plugins.betting.games import GameStatus, GameUpdate
from plugins.betting.models import Draft, Game, GradeChange, Leg, Pick, ResultChange
from plugins.betting.service import Betting


async def command(world: BetWorld, actor_name: str, *path: str, **options: Any) -> str:
    reply = await (await getattr(world, actor_name).slash(*path, **options)).wait_reply()
    assert reply.ephemeral
    return reply.message.content


def slip_status(world: BetWorld, pick_id: int) -> str:
    """The Status field of pick ``pick_id``'s slip as members see it in #picks now."""
    for message in world.discord.messages("picks"):
        embed = message.embeds[0]
        if embed.title and embed.title.startswith(f"Pick #{pick_id} "):
            return {f.name: f.value for f in embed.fields}["Status"]
    raise AssertionError(f"no slip of pick #{pick_id}")


async def picks_now() -> dict[int, tuple[str, D | None]]:
    return {p.id: (p.status, p.result_units) for p in await Pick.all().order_by("id")}


async def played(game_id: int) -> None:
    """The game started three hours ago (as if its start time had passed)."""
    await Game.filter(id=game_id).update(starts_at=datetime.now(UTC) - timedelta(hours=3))


def service(world: BetWorld) -> Betting:
    ctx = world.app.plugins.records["betting"].ctx
    assert ctx is not None
    return Betting(ctx)


async def place_parlay(world: BetWorld, games: list[Game], units: str = "1") -> None:
    """Bob's parlay on the home teams of ``games`` at +100 each, through the builder."""
    builder = await (await world.bob.slash("bet", "parlay", units=units)).wait_reply()
    draft = await Draft.filter(user_id=world.bob.member.id, status="open").order_by("-id").first()
    assert draft is not None
    legs = [
        {
            "game_id": g.id,
            "league": g.league,
            "matchup": g.matchup,
            "market": "moneyline",
            "side": "home",
            "selection": g.home,
            "line": None,
            "odds_format": "american",
            "odds_value": "+100",
        }
        for g in games
    ]
    await Draft.filter(id=draft.id).update(legs=legs)
    placed = await (await world.bob.click(builder.message, "Place parlay")).wait_reply()
    assert "placed" in placed.message.content, placed.message.content


async def test_a_corrected_manual_result_regrades_picks_slips_and_records(world: BetWorld) -> None:
    await setup_guild(world)
    start = datetime.now(UTC) + timedelta(hours=1)
    added = await command(
        world, "gina", "game", "add", league="KBO", home="Twins", away="Bears",
        starts=f"{start:%Y-%m-%d %H:%M}",
    )  # fmt: skip
    assert added.startswith("Game #1 added")
    await straight(world.bob, "1", league="KBO", selection="Twins", odds="+120")  # 1
    await straight(world.bob, "1", league="KBO", market="total", selection="Under", line="8.5")  # 2
    await straight(world.bob, "1", league="KBO", market="prop", selection="Kim 2+ hits", line="1.5")
    await straight(world.cody, "1", league="KBO", selection="Bears")  # 4: graded by hand
    assert "graded won" in await command(world, "gina", "bet", "grade", id=4, result="won")
    await played(1)

    first = await command(world, "gina", "game", "result", game="1", home_score=3, away_score=5)
    assert first == "Bears @ Twins: final 5-3. 2 pick(s) changed."
    assert await picks_now() == {
        1: ("lost", D("-1.00")),
        2: ("won", D("0.91")),
        3: ("pending", None),
        4: ("won", D("0.91")),
    }
    corrected = await command(world, "gina", "game", "result", game="1", home_score=6, away_score=5)
    assert corrected == "Bears @ Twins: corrected from final 5-3 to final 5-6. 2 pick(s) changed."
    assert await picks_now() == {
        1: ("won", D("1.20")),  # the pick on the real winner
        2: ("lost", D("-1.00")),  # 11 runs: over 8.5
        3: ("pending", None),  # props stay the grader's
        4: ("won", D("0.91")),  # a grader's result stands
    }
    assert slip_status(world, 1) == "WON (+1.20u)" and slip_status(world, 2) == "LOST (-1.00u)"
    stats = await (await world.alice.slash("stats", member="Bob")).wait_reply()
    fields = {f.name: f.value for f in stats.message.embeds[0].fields}
    assert (fields["Record (W-L-P)"], fields["Units"]) == ("1-1-0", "+0.20u")
    corrections = [e for e in world.probe.actions if e.kind == "game.corrected"]
    assert [(e.user_id, e.data["picks_changed"], e.data["old_home"]) for e in corrections] == [
        (world.gina.member.id, 2, 3)
    ]
    assert [e.kind for e in world.probe.actions if e.target == "pick:1"][-2:] == [
        "bet.graded",
        "bet.corrected",
    ]

    again = await command(world, "gina", "game", "result", game="1", home_score=6, away_score=5)
    assert again == "Bears @ Twins is already final 5-6: nothing changed."
    voided = await command(world, "gina", "game", "result", game="1", status="cancelled")
    assert voided == "Bears @ Twins: corrected from final 5-6 to cancelled. 3 pick(s) changed."
    assert await picks_now() == {
        1: ("void", D("0.00")),
        2: ("void", D("0.00")),
        3: ("void", D("0.00")),  # the bot's void of a prop...
        4: ("won", D("0.91")),
    }
    replayed = await command(
        world, "gina", "game", "result", game="1", home_score=10_000, away_score=0
    )
    assert replayed == (
        "Bears @ Twins: corrected from cancelled to final 0-10000. 3 pick(s) changed."
    )
    assert await picks_now() == {
        1: ("won", D("1.20")),
        2: ("lost", D("-1.00")),
        3: ("pending", None),  # ...is taken back when the game is played after all
        4: ("won", D("0.91")),
    }
    history = await ResultChange.filter(game_id=1).order_by("id")
    assert [
        (r.old_status, r.old_home, r.old_away, r.new_status, r.new_home, r.new_away)
        for r in history
    ] == [
        ("scheduled", None, None, "final", 3, 5),
        ("final", 3, 5, "final", 6, 5),
        ("final", 6, 5, "cancelled", None, None),
        ("cancelled", None, None, "final", 10_000, 0),
    ]
    assert [(r.by, r.picks_changed) for r in history] == [(world.gina.member.id, 2)] + [
        (world.gina.member.id, n) for n in (2, 3, 3)
    ]
    # a correction can be picked from the list: settled games are offered too
    choices = await world.gina.autocomplete("game", "result", focused="game", game="twins")
    assert [c.value for c in choices] == ["1"] and "final 0-10000" in choices[0].name


async def test_a_source_correction_regrades_and_a_parlay_follows(world: BetWorld) -> None:
    await setup_guild(world)
    a, b = await add_game("H1", "A1"), await add_game("H2", "A2")
    await straight(world.bob, a, selection="H1", odds="+100")  # 1
    await place_parlay(world, [a, b])  # 2
    betting = service(world)

    def update(game: Game, home: int, away: int) -> GameUpdate:
        assert game.external_id is not None and game.starts_at is not None
        return GameUpdate(
            source=game.source,
            external_id=game.external_id,
            league=game.league,
            home=game.home,
            away=game.away,
            starts_at=game.starts_at,
            status=GameStatus.FINAL,
            home_score=home,
            away_score=away,
        )

    changed = await betting.apply_updates([update(a, 1, 2), update(b, 3, 0)])
    assert len(changed) == 3  # pick 1 lost; the parlay lost (leg 1), then leg 2 graded on it
    assert await picks_now() == {1: ("lost", D("-1.00")), 2: ("lost", D("-1.00"))}
    assert [leg.result for leg in await Leg.filter(pick_id=2).order_by("position")] == [
        "lost",
        "won",  # graded although its parlay had already lost
    ]
    assert await betting.apply_updates([update(a, 1, 2)]) == []  # the same result: nothing
    changed = await betting.apply_updates([update(a, 2, 1)])  # API-Sports corrects the score
    assert sorted(o.pick.id for o in changed) == [1, 2]
    assert await picks_now() == {1: ("won", D("1.00")), 2: ("won", D("3.00"))}
    assert slip_status(world, 1) == "WON (+1.00u)" and slip_status(world, 2) == "WON (+3.00u)"
    [correction] = [e for e in world.probe.actions if e.kind == "game.corrected"]
    assert (correction.user_id, correction.data["picks_changed"]) == (None, 2)
    assert await ResultChange.filter(game_id=a.id, by=0).count() == 2


async def test_a_lost_parlay_corrected_to_won_settles(world: BetWorld) -> None:
    await setup_guild(world)
    a, b, c = [await add_game(f"H{i}", f"A{i}") for i in (1, 2, 3)]
    await place_parlay(world, [a, b])  # 1
    await place_parlay(world, [a, c])  # 2
    graded = await command(world, "gina", "bet", "grade", id=1, result="lost", leg=1)
    assert graded == "Pick #1 leg 1 graded lost. Pick status: lost (-1.00u)."
    await command(world, "gina", "bet", "grade", id=2, result="lost", leg=1)
    # game b is final after the parlay lost (graded from the score all the same); game c's
    # final score was stored without grading (as before this fix): its leg is still pending
    betting = service(world)
    assert b.external_id and b.starts_at
    await betting.apply_updates(
        [
            GameUpdate(
                source=b.source,
                external_id=b.external_id,
                league=b.league,
                home=b.home,
                away=b.away,
                starts_at=b.starts_at,
                status=GameStatus.FINAL,
                home_score=2,
                away_score=1,
            )
        ]
    )
    await Game.filter(id=c.id).update(status="final", home_score=4, away_score=0)
    corrected = await command(world, "gina", "bet", "grade", id=1, result="won", leg=1)
    assert corrected == "Pick #1 leg 1 corrected to won. Pick status: won (3.00u)."
    corrected = await command(world, "gina", "bet", "grade", id=2, result="won", leg=1)
    assert corrected == "Pick #2 leg 1 corrected to won. Pick status: won (3.00u)."
    assert slip_status(world, 1) == "WON (+3.00u)" and slip_status(world, 2) == "WON (+3.00u)"
    filled = await GradeChange.get(pick_id=2, leg_position=2)
    assert (filled.old, filled.new, filled.auto, filled.by) == ("pending", "won", True, 0)
    board = await (await world.alice.slash("leaderboard")).wait_reply()
    assert board.message.embeds[0].description.startswith(f"**1.** <@{world.bob.member.id}> +6.00u")


async def test_game_times_are_checked_unless_an_admin_overrides(world: BetWorld) -> None:
    await setup_guild(world)
    refused: list[SecurityEvent] = []

    class Listener:
        @hookimpl
        def dbsbm_security_event(self, event: SecurityEvent) -> None:
            refused.append(event)

    world.app.pm.register(Listener(), name="security-listener")
    now = datetime.now(UTC)
    past = f"{now - timedelta(minutes=1):%Y-%m-%d %H:%M}"
    soon = f"{now + timedelta(minutes=2):%Y-%m-%d %H:%M}"
    add = {"league": "KBO", "home": "Twins", "away": "Bears"}
    answer = await command(world, "gina", "game", "add", starts=past, **add)
    assert answer.startswith(f"{past} UTC is in the past") and "override:True" in answer
    answer = await command(world, "gina", "game", "add", starts=past, override=True, **add)
    assert answer == "Only members with Manage Server can override the time check."
    assert await Game.all().count() == 0
    assert [e.detail for e in refused] == ["/game add override:True without Manage Server"]
    answer = await command(world, "alice", "game", "add", starts=past, override=True, **add)
    assert answer.startswith("Game #1 added")
    assert "Game #2 added" in await command(world, "gina", "game", "add", starts=soon, **add)
    added = [e for e in world.probe.actions if e.kind == "game.added"]
    assert [e.data["override"] for e in added] == [True, False]

    answer = await command(world, "gina", "game", "result", game="2", home_score=1, away_score=0)
    assert answer.startswith("Bears @ Twins starts at ") and "override:True" in answer
    answer = await command(
        world, "gina", "game", "result", game="2", home_score=1, away_score=0, override=True
    )
    assert answer == "Only members with Manage Server can override the time check."
    assert (await Game.get(id=2)).status == "scheduled"
    assert await ResultChange.all().count() == 0
    answer = await command(
        world, "alice", "game", "result", game="2", home_score=1, away_score=0, override=True
    )
    assert answer == "Bears @ Twins: final 0-1. 0 pick(s) changed."
    [result] = [e for e in world.probe.actions if e.kind == "game.result"]
    assert result.data["override"] is True
    # a game that has started takes its score; one that has not may still be called off
    answer = await command(
        world, "gina", "game", "result", game="1", home_score=10_001, away_score=0
    )
    assert answer.startswith("home_score: must be between 0 and 10000")
    assert "final 0-3" in await command(
        world, "gina", "game", "result", game="1", home_score=3, away_score=0
    )
    assert "Game #3 added" in await command(world, "gina", "game", "add", starts=soon, **add)
    answer = await command(world, "gina", "game", "result", game="3", status="cancelled")
    assert answer == "Bears @ Twins: cancelled. 0 pick(s) changed."
