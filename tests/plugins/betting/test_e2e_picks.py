"""Picks end to end: the local Discord, the real disnake client, the App and its pipeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from betting_support import BetWorld

from core.events import Outcome
from core.recovery import UserError
from core.testing.driver import Actor, Callback, Component, Message
from plugins.betting.commands.bet_picks import list_state
from plugins.betting.maths import Result
from plugins.betting.models import Draft, Game, Leg, Pick


async def setup_guild(world: BetWorld, **options: Any) -> None:
    response = await world.alice.slash(
        "setup", picks_channel="picks", grader_role="Graders", **options
    )
    reply = await response.wait_reply()
    assert reply.ephemeral and "saved" in reply.message.content


async def add_game(
    home: str = "Chiefs", away: str = "Bills", hours: float = 2, league: str = "NFL"
) -> Game:
    return await Game.create(
        source="api-sports",
        external_id=f"{league}-{home}-{away}",
        league=league,
        home=home,
        away=away,
        starts_at=datetime.now(UTC) + timedelta(hours=hours),
    )


async def straight(actor: Actor, game: Game | str, **options: Any) -> Callback:
    values: dict[str, Any] = {
        "league": "NFL",
        "game": str(game.id) if isinstance(game, Game) else game,
        "market": "moneyline",
        "selection": "Chiefs",
        "odds": "-110",
        "units": "1",
    }
    values.update(options)
    values = {k: v for k, v in values.items() if v is not None}
    return await (await actor.slash("bet", "straight", **values)).wait_reply()


async def forged_next(actor: Actor, message: Message, custom_id: str) -> str:
    """What a ``Next`` button with ``custom_id`` on ``message`` answers, only to ``actor``: a
    paging button from an older version, or a forged one."""
    forged = replace(message, components=(Component(type=2, custom_id=custom_id, label="Next"),))
    answer = await (await actor.click(forged, "Next")).wait_reply()
    assert answer.ephemeral and answer.message is not None
    return answer.message.content


async def test_straight_pick_is_posted_and_confirmed(world: BetWorld) -> None:
    await setup_guild(world)
    game = await add_game()
    reply = await straight(world.bob, game, units="2.20", note="lock")
    assert reply.ephemeral
    assert "Pick #1 placed: risk 2.20u to win 2.00u" in reply.message.content
    slip = await world.discord.wait_for_message("picks", where=lambda m: bool(m.embeds))
    assert slip.embeds[0].title == "Pick #1 · Straight"
    assert "Bills @ Chiefs — Moneyline · Chiefs (-110)" in slip.embeds[0].description
    pick = await Pick.get(id=1)
    assert (pick.message_id, pick.stake, pick.to_win) == (slip.id, D("2.20"), D("2.00"))


async def test_autocomplete_leagues_games_and_selections(world: BetWorld) -> None:
    game = await add_game()
    await add_game("Eagles", "Giants", hours=-1)  # started: not offered
    leagues = await world.bob.autocomplete("bet", "straight", focused="league", league="n")
    assert [c.value for c in leagues] == ["NFL"]
    offered = await world.bob.autocomplete("bet", "straight", focused="game", league="NFL", game="")
    assert [c.value for c in offered] == [str(game.id)]
    assert offered[0].name.startswith("Bills @ Chiefs")
    sides = await world.bob.autocomplete(
        "bet",
        "straight",
        focused="selection",
        league="NFL",
        game=str(game.id),
        market="spread",
        selection="",
    )
    assert [c.value for c in sides] == ["Bills", "Chiefs"]


async def test_manual_matchup_when_no_schedule(world: BetWorld) -> None:
    reply = await straight(world.bob, "Bears @ Twins", league="KBO", selection="Bears", odds="+120")
    assert "Pick #1 placed" in reply.message.content
    game = await Game.get(league="KBO")
    assert (game.home, game.away, game.source, game.guild_id) == (
        "Twins",
        "Bears",
        "manual",
        world.guild_id,
    )
    # with a schedule, a free-typed matchup is refused
    await add_game()
    refused = await straight(world.bob, "Bills @ Chiefs")
    assert refused.ephemeral and "game: pick one of the listed NFL games" in refused.message.content


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"odds": "0"}, "odds: American odds must be at most -100 or at least +100"),
        ({"odds": "+50"}, "odds: American odds must be at most -100 or at least +100 (got +50)"),
        ({"odds": "-99"}, "odds: American odds must be at most -100 or at least +100 (got -99)"),
        ({"units": "50"}, "units: must be at most 10"),
        ({"units": "0.1"}, "units: must be at least 0.5"),
        ({"units": "1.005"}, "units: must have at most 2 decimal places"),
        ({"game": "999999"}, "game: unknown game in NFL"),
        ({"note": "@" * 301}, "note: must be at most 300 characters (got 301)"),
        ({"market": "spread"}, "line: a spread pick needs a line"),
        ({"selection": "Packers"}, "selection: pick Bills or Chiefs"),
    ],
)
async def test_bad_input_is_refused_and_nothing_written(
    world: BetWorld, options: dict[str, Any], problem: str
) -> None:
    game = await add_game()
    if options.get("market") == "player prop":
        options["market"] = "prop"
    reply = await straight(world.bob, options.pop("game", game), **options)
    assert reply.ephemeral
    assert problem in reply.message.content
    assert await Pick.all().count() == 0
    assert await Game.all().count() == 1


async def test_started_game_is_refused(world: BetWorld) -> None:
    game = await add_game(hours=-0.5)
    reply = await straight(world.bob, game)
    assert reply.ephemeral and "has already started" in reply.message.content
    assert await Pick.all().count() == 0


async def test_decimal_odds_where_the_guild_prefers_them(world: BetWorld) -> None:
    game = await add_game()
    refused = await straight(world.bob, game, odds="1.91")
    assert "odds: American odds must be" in refused.message.content
    await setup_guild(world, odds_format="decimal")
    reply = await straight(world.bob, game, odds="1.91", units="3")
    assert "risk 3.00u to win 2.73u" in reply.message.content


async def test_capper_role_limits_who_posts(world: BetWorld) -> None:
    await setup_guild(world, capper_role="Cappers")
    game = await add_game()
    refused = await straight(world.bob, game)
    assert refused.ephemeral and "capper role" in refused.message.content
    ok = await straight(world.cody, game)
    assert "Pick #1 placed" in ok.message.content
    await setup_guild(world, everyone_may_post=True)
    assert "Pick #2 placed" in (await straight(world.bob, game)).message.content


async def test_same_interaction_delivered_twice_writes_once(world: BetWorld) -> None:
    game = await add_game()
    world.discord.faults.duplicate_next_interaction()
    reply = await straight(world.bob, game)
    assert "Pick #1 placed" in reply.message.content
    await world.probe.wait_for(
        lambda: any(e.outcome is Outcome.DUPLICATE for e in world.probe.completed)
    )
    assert await Pick.all().count() == 1


async def test_guided_flow(world: BetWorld) -> None:
    await setup_guild(world)
    game = await add_game()
    step1 = await (await world.bob.slash("bet", "new")).wait_reply()
    assert step1.ephemeral and "choose a league" in step1.message.content
    step2 = await (await world.bob.select(step1.message, ["NFL"])).wait_reply()
    assert step2.type == 7
    step3 = await (await world.bob.select(step2.message, [str(game.id)])).wait_reply()
    step4 = await (await world.bob.select(step3.message, ["spread"])).wait_reply()
    assert [o.label for o in step4.message.components[0].options] == ["Bills", "Chiefs"]
    opened = await (await world.bob.select(step4.message, ["away"])).wait_reply()
    assert opened.type == 9 and opened.modal is not None
    assert {f.custom_id for f in opened.modal.fields} == {"line", "odds", "units", "note"}
    preview = await (
        await world.bob.submit_modal(opened.modal, line="+3.5", odds="+105", units="2")
    ).wait_reply()
    assert preview.ephemeral and preview.message.embeds[0].title == "Confirm your pick"
    assert "Spread · Bills +3.50 (+105)" in preview.message.embeds[0].description
    assert await Pick.all().count() == 0
    placed = await (await world.bob.click(preview.message, "Place pick")).wait_reply()
    assert "Pick #1 placed: risk 2.00u to win 2.10u" in placed.message.content
    assert placed.message.components == ()
    leg = await Leg.get(pick_id=1)
    assert (leg.market, leg.side, leg.line) == ("spread", "away", D("3.50"))
    assert (await Draft.get(id=1)).status == "placed"


async def test_guided_flow_modal_refuses_bad_input_and_cancel(world: BetWorld) -> None:
    game = await add_game()
    step1 = await (await world.bob.slash("bet", "new")).wait_reply()
    step2 = await (await world.bob.select(step1.message, ["NFL"])).wait_reply()
    step3 = await (await world.bob.select(step2.message, [str(game.id)])).wait_reply()
    step4 = await (await world.bob.select(step3.message, ["moneyline"])).wait_reply()
    opened = await (await world.bob.select(step4.message, ["home"])).wait_reply()
    assert opened.modal is not None
    bad = await (await world.bob.submit_modal(opened.modal, odds="0", units="1")).wait_reply()
    assert bad.ephemeral and "odds: American odds" in bad.message.content
    assert await Draft.all().count() == 0
    preview = await (
        await world.bob.submit_modal(opened.modal, odds="-120", units="1")
    ).wait_reply()
    cancelled = await (await world.bob.click(preview.message, "Cancel")).wait_reply()
    assert "nothing was placed" in cancelled.message.content
    assert await Pick.all().count() == 0


async def test_parlay_builder(world: BetWorld) -> None:
    await setup_guild(world)
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(3)]
    builder = await (await world.bob.slash("bet", "parlay", units="1")).wait_reply()
    assert "0 of 12 legs" in builder.message.embeds[0].title
    too_few = await (await world.bob.click(builder.message, "Place parlay")).wait_reply()
    assert "legs: a parlay has 2 to 12 legs (got 0)" in too_few.message.content
    view = builder
    for game, side in zip(games[:2], ["home", "away"], strict=True):
        step1 = await (await world.bob.click(view.message, "Add leg")).wait_reply()
        step2 = await (await world.bob.select(step1.message, ["NFL"])).wait_reply()
        step3 = await (await world.bob.select(step2.message, [str(game.id)])).wait_reply()
        step4 = await (await world.bob.select(step3.message, ["moneyline"])).wait_reply()
        opened = await (await world.bob.select(step4.message, [side])).wait_reply()
        assert opened.modal is not None
        assert {f.custom_id for f in opened.modal.fields} == {"odds"}
        view = await (await world.bob.submit_modal(opened.modal, odds="-110")).wait_reply()
    embed = view.message.embeds[0]
    assert "2 of 12 legs" in embed.title
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Odds"] == "+264"  # (21/11)^2 = 3.6446
    assert fields["Potential payout"] == "3.64u (wins 2.64u)"
    placed = await (await world.bob.click(view.message, "Place parlay")).wait_reply()
    assert "Pick #1 placed: risk 1.00u to win 2.64u" in placed.message.content
    slip = await world.discord.wait_for_message("picks", where=lambda m: bool(m.embeds))
    assert slip.embeds[0].title == "Pick #1 · Parlay"
    assert (await Pick.get(id=1)).kind == "parlay"
    again = await (await world.bob.click(view.message, "Place parlay")).wait_reply()
    assert "already placed" in again.message.content
    assert await Pick.all().count() == 1


async def test_thirteenth_parlay_leg_is_refused(world: BetWorld) -> None:
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(13)]
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
            "odds_value": "-110",
        }
        for g in games[:12]
    ]
    builder = await (await world.bob.slash("bet", "parlay", units="1")).wait_reply()
    await Draft.filter(id=1).update(legs=legs)
    refused = await (await world.bob.click(builder.message, "Add leg")).wait_reply()
    assert refused.ephemeral
    assert "legs: a parlay has 2 to 12 legs (got 13)" in refused.message.content
    assert len((await Draft.get(id=1)).legs) == 12


async def test_cancel_show_and_list(world: BetWorld) -> None:
    await setup_guild(world)
    game = await add_game()
    for _ in range(12):
        await straight(world.bob, game)
    await straight(world.cody, game)
    shown = await (await world.bob.slash("bet", "show", id=3)).wait_reply()
    assert shown.message.embeds[0].title == "Pick #3 · Straight"
    other = await (await world.cody.slash("bet", "cancel", id=3)).wait_reply()
    assert "Only the pick's author or a grader" in other.message.content
    mine = await (await world.bob.slash("bet", "cancel", id=3)).wait_reply()
    assert mine.message.content == "Pick #3 cancelled."
    assert (await Pick.get(id=3)).status == "cancelled"
    by_grader = await (await world.gina.slash("bet", "cancel", id=13)).wait_reply()
    assert by_grader.message.content == "Pick #13 cancelled."
    listed = await (await world.alice.slash("bet", "list", member="Bob")).wait_reply()
    description = listed.message.embeds[0].description
    assert "(12)" in description and "`#12`" in description and "`#3`" in description
    assert "`#13`" not in description and "`#2`" not in description
    page2 = await (await world.alice.click(listed.message, "Next")).wait_reply()
    assert "`#2`" in page2.message.embeds[0].description
    assert "`#1`" in page2.message.embeds[0].description
    cancelled = await (await world.alice.slash("bet", "list", status="cancelled")).wait_reply()
    assert "(2)" in cancelled.message.embeds[0].description


def test_a_list_buttons_state_reads_back_or_is_refused() -> None:
    assert list_state("0:-:1") == (None, None, 1)
    assert list_state("42:won:3") == (42, Result.WON, 3)
    assert list_state("42:won:3")[1] is Result.WON
    for stale in ("0:maybe:2", "0:-:two", "x:-:1", "0:-", "noop:2", "0:won:1:extra"):
        with pytest.raises(UserError) as refused:
            list_state(stale)
        assert str(refused.value) == "This list is out of date: run /bet list again."


async def test_a_list_button_with_a_status_it_does_not_know_is_refused(world: BetWorld) -> None:
    """A button from a version that listed other statuses (or a forged one) is told to list
    again, not answered with a failure."""
    await straight(world.bob, await add_game())
    listed = await (await world.bob.slash("bet", "list", status="pending")).wait_reply()
    assert listed.message is not None
    assert "Picks of everyone · pending (1)" in listed.message.embeds[0].description
    assert listed.message.component("Next").custom_id == "betlist:0:pending:2"
    refused = await forged_next(world.bob, listed.message, "betlist:0:settled:2")
    assert refused == "This list is out of date: run /bet list again."


async def test_author_cannot_cancel_after_start(world: BetWorld) -> None:
    game = await add_game()
    await straight(world.bob, game)
    game.starts_at = datetime.now(UTC) - timedelta(minutes=5)
    await game.save()
    refused = await (await world.bob.slash("bet", "cancel", id=1)).wait_reply()
    assert "has started: only a grader" in refused.message.content
    assert (await Pick.get(id=1)).status == "pending"


async def test_a_slip_discord_keeps_refusing_is_reported_as_busy_not_permissions(
    world: BetWorld,
) -> None:
    """The picks channel answers 429 more often than disnake retries: the pick stands and the
    member is told Discord was busy, not to check the bot's permissions."""
    await setup_guild(world)
    game = await add_game()
    world.discord.faults.rate_limit("POST", "/channels/{channel_id}/messages", times=10)
    reply = await straight(world.bob, game)
    assert reply.message is not None
    assert "Pick #1 placed" in reply.message.content
    assert "Discord is busy" in reply.message.content and "permissions" not in reply.message.content
    assert await Pick.filter(id=1).exists()
