"""Limits on a pick (combined odds, payout, the stake in every stake mode) and odds shown as
entered, end to end through the local Discord: regression tests of issue 14's items 3, 6 and 7."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from betting_support import BetWorld
from test_e2e_picks import add_game, setup_guild, straight  # type: ignore[import-not-found]

from core.testing.driver import Actor, Callback
from plugins.betting.models import Draft, Game, GuildConfig, Pick


async def setup_reply(world: BetWorld, **options: Any) -> str:
    reply = await (await world.alice.slash("setup", **options)).wait_reply()
    assert reply.ephemeral and reply.message is not None
    return reply.message.content


async def open_form(actor: Actor, start: Callback, game: Game, side: str = "home") -> Callback:
    """From a first step (``/bet new`` or *Add leg*) to the form of a moneyline on ``game``."""
    assert start.message is not None
    league = await (await actor.select(start.message, [game.league])).wait_reply()
    assert league.message is not None
    chosen = await (await actor.select(league.message, [str(game.id)])).wait_reply()
    assert chosen.message is not None
    market = await (await actor.select(chosen.message, ["moneyline"])).wait_reply()
    assert market.message is not None
    opened = await (await actor.select(market.message, [side])).wait_reply()
    assert opened.modal is not None
    return opened


async def add_leg(actor: Actor, builder: Callback, game: Game, odds: str) -> Callback:
    """*Add leg* on the builder, a moneyline on ``game`` at ``odds``: the new builder, or the
    refusal."""
    assert builder.message is not None
    start = await (await actor.click(builder.message, "Add leg")).wait_reply()
    opened = await open_form(actor, start, game)
    assert opened.modal is not None
    return await (await actor.submit_modal(opened.modal, odds=odds)).wait_reply()


def fields_of(reply: Callback) -> dict[str, str]:
    assert reply.message is not None
    return {f.name: f.value for f in reply.message.embeds[0].fields}


# --- /setup ------------------------------------------------------------------------------------


async def test_setup_shows_and_changes_the_limits(world: BetWorld) -> None:
    shown = await setup_reply(world)
    assert "Per pick: odds up to 1001.00 (+100000), winning at most 10000.00u" in shown
    changed = await setup_reply(world, max_odds="101", max_payout="2500.5")
    assert "Per pick: odds up to 101.00 (+10000), winning at most 2500.50u" in changed
    config = await GuildConfig.get(guild_id=world.guild_id)
    assert (config.max_odds, config.max_payout) == (D("101.00"), D("2500.50"))


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        ({"max_odds": "1.01"}, "odds up to 1.01 (-10000)"),
        ({"max_odds": "1000000"}, "odds up to 1000000.00 (+99999900)"),
        ({"max_payout": "0.01"}, "winning at most 0.01u"),
        ({"max_payout": "1000000000"}, "winning at most 1000000000.00u"),
    ],
)
async def test_setup_limits_at_their_bounds(
    world: BetWorld, options: dict[str, str], shown: str
) -> None:
    assert shown in await setup_reply(world, **options)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"max_odds": "1.00"}, "max_odds: must be at least 1.01 (got 1.00)"),
        ({"max_odds": "1000000.01"}, "max_odds: must be at most 1000000 (got 1000000.01)"),
        ({"max_odds": "1.015"}, "max_odds: must have at most 2 decimal places"),
        ({"max_odds": "-110"}, "max_odds: must be more than 0 (got -110)"),
        ({"max_payout": "0"}, "max_payout: must be more than 0"),
        ({"max_payout": "1000000000.01"}, "max_payout: must be at most 1000000000"),
        ({"max_payout": "lots"}, "max_payout: must be a number (got lots)"),
    ],
)
async def test_setup_refuses_limits_beyond_their_bounds(
    world: BetWorld, options: dict[str, str], problem: str
) -> None:
    assert problem in await setup_reply(world, **options)
    assert not await GuildConfig.filter(guild_id=world.guild_id).exists()


# --- combined odds and payout (item 3) ---------------------------------------------------------


async def test_straight_pick_beyond_the_odds_or_payout_limit_is_refused(world: BetWorld) -> None:
    await setup_guild(world, max_odds="101", max_payout="5000")
    game = await add_game()
    too_long = await straight(world.bob, game, odds="+10001")
    assert too_long.message is not None
    assert "odds: must be at most 101.00 (+10000) here" in too_long.message.content
    within = await straight(world.bob, game, odds="+10000", units="5.01")
    assert within.message is not None
    assert "Pick #1 placed: risk 5.01u to win 501.00u" in within.message.content
    await setup_guild(world, max_payout="500")
    refused = await straight(world.bob, game, odds="+10000", units="5.01")
    assert refused.message is not None
    assert (
        "units: this pick would win 501.00u; a pick may win at most 500.00u here"
        in refused.message.content
    )
    at_limit = await straight(world.bob, game, odds="+10000", units="5")
    assert at_limit.message is not None
    assert "Pick #2 placed: risk 5.00u to win 500.00u" in at_limit.message.content
    assert await Pick.all().count() == 2


async def test_the_builder_refuses_the_leg_that_breaks_the_odds_limit(world: BetWorld) -> None:
    """The issue: 12 legs at +10000 showed "wins 1126825030131969720661200.00u", then failed
    on placing. The second leg at +10000 (10201.00) is refused now, naming the limit."""
    await setup_guild(world)
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(2)]
    builder = await (await world.bob.slash("bet", "parlay", units="1")).wait_reply()
    one = await add_leg(world.bob, builder, games[0], "+10000")
    assert fields_of(one)["Potential payout"] == "101.00u (wins 100.00u)"
    refused = await add_leg(world.bob, one, games[1], "+10000")
    assert refused.ephemeral and refused.message is not None
    assert refused.message.content == (
        "odds: must be at most 1001.00 (+100000) here; this leg was not added "
        "(the parlay keeps its 1 leg)"
    )
    assert len((await Draft.get(id=1)).legs) == 1


async def test_a_ten_unit_parlay_with_a_plus_100000_leg(world: BetWorld) -> None:
    """The issue: it crashed the builder. At the limits exactly it is shown and placed; one
    leg more is refused."""
    await setup_guild(world)
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(3)]
    builder = await (await world.bob.slash("bet", "parlay", units="10")).wait_reply()
    one = await add_leg(world.bob, builder, games[0], "+100000")
    assert fields_of(one) == {
        "Odds": "+100000",
        "Risk": "10.00u",
        "Potential payout": "10010.00u (wins 10000.00u)",
    }
    refused = await add_leg(world.bob, one, games[1], "-110")
    assert refused.message is not None
    assert "odds: must be at most 1001.00 (+100000) here" in refused.message.content
    legs = (await Draft.get(id=1)).legs
    await Draft.filter(id=1).update(legs=[*legs, leg_json(games[2], "-100000")])
    # a second leg at -100000 (1.001) takes the odds to 1002.001: refused on placing
    assert one.message is not None
    placed = await (await world.bob.click(one.message, "Place parlay")).wait_reply()
    assert placed.message is not None
    assert "odds: must be at most 1001.00 (+100000) here" in placed.message.content
    assert await Pick.all().count() == 0


def leg_json(game: Game, odds: str) -> dict[str, Any]:
    return {
        "game_id": game.id,
        "league": game.league,
        "matchup": game.matchup,
        "market": "moneyline",
        "side": "home",
        "selection": game.home,
        "line": None,
        "odds_format": "american",
        "odds_value": odds,
    }


async def test_an_old_draft_beyond_the_limits_is_refused_not_an_error(world: BetWorld) -> None:
    """A draft of 12 legs at +10000 (from before the limits) never shows its absurd numbers and
    is refused on placing with the limit, not "Something went wrong"."""
    await setup_guild(world)
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(13)]
    builder = await (await world.bob.slash("bet", "parlay", units="1")).wait_reply()
    await Draft.filter(id=1).update(legs=[leg_json(g, "10000") for g in games[:11]])
    refused = await add_leg(world.bob, builder, games[11], "+10000")
    assert refused.message is not None and "odds: must be at most" in refused.message.content
    await Draft.filter(id=1).update(legs=[leg_json(g, "10000") for g in games[:12]])
    assert builder.message is not None
    placed = await (await world.bob.click(builder.message, "Place parlay")).wait_reply()
    assert placed.message is not None
    assert "odds: must be at most 1001.00 (+100000) here" in placed.message.content
    assert "went wrong" not in placed.message.content
    assert await Pick.all().count() == 0


async def test_the_builder_refuses_the_leg_that_breaks_the_payout_limit(world: BetWorld) -> None:
    await setup_guild(world, max_payout="100")
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(2)]
    builder = await (await world.bob.slash("bet", "parlay", units="10")).wait_reply()
    one = await add_leg(world.bob, builder, games[0], "+500")
    assert fields_of(one)["Potential payout"] == "60.00u (wins 50.00u)"
    refused = await add_leg(world.bob, one, games[1], "+500")
    assert refused.message is not None
    assert refused.message.content == (
        "units: this pick would win 350.00u; a pick may win at most 100.00u here; "
        "this leg was not added (the parlay keeps its 1 leg)"
    )


# --- the stake bounds in "win" mode (item 6) ---------------------------------------------------


async def test_win_mode_keeps_the_stake_within_the_bounds(world: BetWorld) -> None:
    """The issue: odds -100000 with units 10 placed "risk 10000.00u to win 10.00u" in a guild
    whose bounds are 0.50-10.00."""
    await setup_guild(world, stake_mode="win")
    game = await add_game()
    refused = await straight(world.bob, game, odds="-100000", units="10")
    assert refused.message is not None
    assert refused.message.content.endswith(
        "units: to win 10.00u at these odds the stake would be 10000.00u; "
        "stakes must be between 0.50u and 10.00u here"
    )
    too_small = await straight(world.bob, game, odds="+100000", units="10")
    assert too_small.message is not None
    assert "the stake would be 0.01u; stakes must be between" in too_small.message.content
    over_payout = await straight(world.bob, game, odds="+100000", units="10000.01")
    assert over_payout.message is not None
    assert "units: must be at most 10000" in over_payout.message.content
    assert await Pick.all().count() == 0
    at_top = await straight(world.bob, game, odds="-110", units="9.09")
    assert at_top.message is not None
    assert "Pick #1 placed: risk 10.00u to win 9.09u" in at_top.message.content
    beyond = await straight(world.bob, game, odds="-110", units="9.10")
    assert beyond.message is not None and "the stake would be 10.01u" in beyond.message.content
    at_bottom = await straight(world.bob, game, odds="+100000", units="500")
    assert at_bottom.message is not None
    assert "Pick #2 placed: risk 0.50u to win 500.00u" in at_bottom.message.content


async def test_win_mode_in_the_guided_flow(world: BetWorld) -> None:
    await setup_guild(world, stake_mode="win")
    game = await add_game()
    start = await (await world.bob.slash("bet", "new")).wait_reply()
    opened = await open_form(world.bob, start, game)
    assert opened.modal is not None
    refused = await (
        await world.bob.submit_modal(opened.modal, odds="-100000", units="10")
    ).wait_reply()
    assert refused.message is not None
    assert "the stake would be 10000.00u; stakes must be between 0.50u and 10.00u here" in (
        refused.message.content
    )
    assert await Draft.all().count() == 0
    preview = await (
        await world.bob.submit_modal(opened.modal, odds="+150", units="10")
    ).wait_reply()
    assert fields_of(preview) == {"Risk": "6.67u", "To win": "10.00u"}


async def test_win_mode_parlay_is_placed_once_its_stake_fits(world: BetWorld) -> None:
    """To win 10u, one leg at -110 takes 11.00u (above 10): shown, not placeable; a second
    leg brings the stake to 3.78u."""
    await setup_guild(world, stake_mode="win")
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(2)]
    builder = await (await world.bob.slash("bet", "parlay", units="10")).wait_reply()
    one = await add_leg(world.bob, builder, games[0], "-110")
    shown = fields_of(one)
    assert shown["Risk"] == "11.00u"
    assert "the stake would be 11.00u" in shown["Cannot be placed yet"]
    two = await add_leg(world.bob, one, games[1], "-110")
    assert "Cannot be placed yet" not in fields_of(two)
    assert two.message is not None
    placed = await (await world.bob.click(two.message, "Place parlay")).wait_reply()
    assert placed.message is not None
    assert "Pick #1 placed: risk 3.78u to win 10.00u" in placed.message.content


# --- odds shown as entered (item 7) ------------------------------------------------------------


async def test_odds_are_shown_as_entered(world: BetWorld) -> None:
    """The issue: decimal odds of 1.001 were shown as "(1.00)", a price the bot refuses."""
    await setup_guild(world, odds_format="decimal")
    game = await add_game()
    placed = await straight(world.bob, game, odds="1.001", units="10")
    assert placed.message is not None
    assert "risk 10.00u to win 0.01u" in placed.message.content
    slip = await world.discord.wait_for_message("picks", where=lambda m: bool(m.embeds))
    assert "Moneyline · Chiefs (1.001)" in (slip.embeds[0].description or "")
    await straight(world.bob, game, odds="+150")
    await straight(world.bob, game, odds="2.5")
    listed = await (await world.bob.slash("bet", "list")).wait_reply()
    assert listed.message is not None
    description = listed.message.embeds[0].description or ""
    assert "(1.001)" in description and "(+150)" in description and "(2.50)" in description


async def test_combined_decimal_odds_never_collapse_to_one(world: BetWorld) -> None:
    await setup_guild(world, odds_format="decimal")
    games = [await add_game(f"Home{i}", f"Away{i}") for i in range(2)]
    builder = await (await world.bob.slash("bet", "parlay", units="10")).wait_reply()
    one = await add_leg(world.bob, builder, games[0], "1.001")
    two = await add_leg(world.bob, one, games[1], "1.001")
    assert fields_of(two)["Odds"] == "1.002"  # 1.002001
    assert two.message is not None
    placed = await (await world.bob.click(two.message, "Place parlay")).wait_reply()
    assert placed.message is not None and "Pick #1 placed" in placed.message.content
    slip = await world.discord.wait_for_message("picks", where=lambda m: bool(m.embeds))
    assert {f.name: f.value for f in slip.embeds[0].fields}["Odds"] == "1.002"
    assert "1. Away0 @ Home0 — Moneyline · Home0 (1.001)" in (slip.embeds[0].description or "")
