"""Permission refusals end to end: every one tells the member why and reports a
``permission_refused`` security event naming what was refused; a command module alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from betting_support import BetWorld
from test_e2e_picks import add_game, setup_guild, straight  # type: ignore[import-not-found]

from core.events import SecurityEvent
from core.hookspecs import hookimpl
from plugins.betting.commands import setup as setup_command
from plugins.betting.maths import Result
from plugins.betting.models import Draft, GuildConfig, Pick
from plugins.betting.service import Betting

CAPPERS_ONLY = "Only members with the capper role may post picks here."


def security_events(world: BetWorld) -> list[SecurityEvent]:
    """The security events reported from now on (refusals are reported before the reply)."""
    events: list[SecurityEvent] = []

    class Listener:
        @hookimpl
        def dbsbm_security_event(self, event: SecurityEvent) -> None:
            events.append(event)

    world.app.pm.register(Listener(), name="refusal-listener")
    return events


async def test_every_way_of_posting_refuses_members_without_the_capper_role(
    world: BetWorld,
) -> None:
    await setup_guild(world)
    game = await add_game()
    builder = await (await world.bob.slash("bet", "parlay", units="1")).wait_reply()
    await setup_guild(world, capper_role="Cappers")
    events = security_events(world)
    assert (await straight(world.bob, game)).message.content == CAPPERS_ONLY
    for path, options in ((("bet", "new"), {}), (("bet", "parlay"), {"units": "1"})):
        refused = await (await world.bob.slash(*path, **options)).wait_reply()
        assert refused.ephemeral and refused.message.content == CAPPERS_ONLY
    placing = await (await world.bob.click(builder.message, "Place parlay")).wait_reply()
    assert placing.ephemeral and placing.message.content == CAPPERS_ONLY
    assert [e.detail for e in events] == [
        "/bet straight without the capper role",
        "/bet new without the capper role",
        "/bet parlay without the capper role",
        "placing parlay draft 1 without the capper role",
    ]
    bob = world.bob.member.id
    assert {(e.kind, e.user_id, e.guild_id) for e in events} == {
        ("permission_refused", bob, world.guild_id)
    }
    assert await Pick.all().count() == 0
    assert [d.status for d in await Draft.all()] == ["open"]  # only the one made before
    assert "Pick #1 placed" in (await straight(world.cody, game)).message.content
    assert len(events) == 4


async def test_the_setup_command_built_alone_serves_the_server(world: BetWorld) -> None:
    """``/setup`` from its module alone (no other command built) is the command the plugin
    registers, and answers through the local Discord: saved for Alice (Manage Server),
    refused and reported for Bob."""
    ctx = world.app.plugins.records["betting"].ctx
    assert ctx is not None
    alone = setup_command.build(Betting(ctx))
    registered = world.app.bot.get_slash_command("setup")
    assert registered is not None and registered is not alone
    assert alone.body.to_dict() == registered.body.to_dict()
    world.app.bot.remove_slash_command("setup")
    world.app.bot.add_slash_command(alone)
    events = security_events(world)
    refused = await (await world.bob.slash("setup", capper_role="Cappers")).wait_reply()
    assert refused.ephemeral
    assert refused.message.content == (
        "Only members with Manage Server can change the betting set-up."
    )
    assert [(e.kind, e.detail) for e in events] == [
        ("permission_refused", "/setup without Manage Server")
    ]
    assert await GuildConfig.all().count() == 0
    saved = await (await world.alice.slash("setup", capper_role="Cappers")).wait_reply()
    assert saved.message.content.startswith("Betting set-up saved.")
    assert f"Capper role: <@&{world.role_id('Cappers')}>" in saved.message.content
    assert (await GuildConfig.get(guild_id=world.guild_id)).capper_role_id == world.role_id(
        "Cappers"
    )
    assert len(events) == 1


async def test_cancelling_after_the_game_started_is_refused_and_reported(world: BetWorld) -> None:
    """Past the start only a grader may cancel: the author is told so, and the refusal is
    reported like every other one."""
    game = await add_game()
    await straight(world.bob, game)
    game.starts_at = datetime.now(UTC) - timedelta(minutes=5)
    await game.save()
    events = security_events(world)
    refused = await (await world.bob.slash("bet", "cancel", id=1)).wait_reply()
    assert refused.ephemeral
    assert refused.message.content == (
        "Pick #1's game has started: only a grader can cancel it now."
    )
    assert [(e.kind, e.user_id, e.guild_id, e.detail) for e in events] == [
        (
            "permission_refused",
            world.bob.member.id,
            world.guild_id,
            "/bet cancel of pick 1 after its game started",
        )
    ]
    assert (await Pick.get(id=1)).status == Result.PENDING
