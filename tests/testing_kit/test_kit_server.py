"""Login, command sync, REST faults, gateway faults, shards and the OpenAPI check."""

from __future__ import annotations

import asyncio

import disnake
import pytest
from disnake.ext import commands
from disnake.http import Route
from kit_bot import Seen, make_bot

from core.testing.client import bot_kwargs, connect_bot
from core.testing.driver import Actor
from core.testing.server import LocalDiscord
from core.testing.spec import default_spec_path
from core.testing.state import World, snowflake

Bot = tuple[commands.InteractionBot, Seen]
HAVE_SPEC = default_spec_path().exists()


async def test_login_and_guild_create(local_discord: LocalDiscord, kit_bot: Bot) -> None:
    bot, _ = kit_bot
    assert bot.user.id == local_discord.bot_user.id
    [guild] = bot.guilds
    assert guild.name == "Test Guild" and guild.owner_id == local_discord.owner.id
    assert [c.name for c in guild.text_channels] == ["general", "picks"]
    assert guild.member_count == 4  # owner, bot, Alice, Bob
    alice = await guild.fetch_member(local_discord.guild.member("Alice").id)
    assert alice.guild_permissions.manage_guild and [r.name for r in alice.roles][1:] == [
        "Managers"
    ]
    assert Route.BASE == local_discord.api_base
    calls = [(r.method, r.path) for r in local_discord.requests[:2]]
    assert calls == [("GET", "/users/@me"), ("GET", "/gateway/bot")]


async def test_owner_comes_from_the_application(local_discord: LocalDiscord) -> None:
    bot = commands.InteractionBot(**bot_kwargs(local_discord, with_owner=False))
    async with connect_bot(bot, local_discord):
        assert await bot.is_owner(await bot.getch_user(local_discord.owner.id))
    assert any(r.path == "/oauth2/applications/@me" for r in local_discord.requests)
    assert Route.BASE == "https://discord.com/api/v10"


async def test_commands_synced_once_with_ids(local_discord: LocalDiscord) -> None:
    bot, _ = make_bot(local_discord)
    async with connect_bot(bot, local_discord):
        registered = {c.name: c.id for c in local_discord.world.commands_of(None)}
        assert bot.get_global_command_named("echo").id == registered["echo"]  # type: ignore[union-attr]
    assert local_discord.command_writes == 1

    again, _ = make_bot(local_discord)
    async with connect_bot(again, local_discord):
        pass
    assert local_discord.command_writes == 1  # unchanged commands: no second PUT


async def test_unknown_route_is_404_and_recorded(local_discord: LocalDiscord, kit_bot: Bot) -> None:
    bot, _ = kit_bot
    with pytest.raises(disnake.NotFound) as caught:
        await bot.http.request(Route("GET", "/no/such/route"))
    assert caught.value.text == "404: Not Found"
    assert local_discord.unknown_routes == ["GET /api/v10/no/such/route"]
    expected = ["GET /no/such/route (no such route in Discord's API)"] if HAVE_SPEC else []
    assert [str(v).split(":")[0] for v in local_discord.spec_violations] == expected
    local_discord.unknown_routes.clear()
    local_discord.spec_violations.clear()


@pytest.mark.skipif(not HAVE_SPEC, reason="Discord's OpenAPI description is absent: no spec check")
async def test_spec_check_catches_a_bad_body(local_discord: LocalDiscord, kit_bot: Bot) -> None:
    bot, _ = kit_bot
    channel = local_discord.guild.channel("general")
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    await bot.http.request(route, json={"content": "fine"})
    assert local_discord.spec_violations == []
    with pytest.raises(disnake.HTTPException) as caught:
        await bot.http.request(route, json={"content": 5, "flags": "loud"})
    assert caught.value.status == 400 and caught.value.code == 50035
    [violation] = local_discord.spec_violations
    assert violation.operation_id == "create_message"
    local_discord.spec_violations.clear()


@pytest.mark.parametrize("is_global", [False, True])
async def test_rate_limit_is_retried(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor, is_global: bool
) -> None:
    local_discord.faults.rate_limit("POST", "/channels/{channel_id}/messages", is_global=is_global)
    local_discord.faults.rate_limit("POST", "/interactions/*", retry_after=0.01, times=2)
    reply = await (await alice.slash("report")).wait_reply()
    assert reply.message is not None and reply.message.content == "posted"
    assert (await local_discord.wait_for_message("picks")).content == "Weekly report"
    statuses = [(r.path.split("/")[1], r.status) for r in local_discord.requests[-5:]]
    assert statuses == [
        ("channels", 429),
        ("channels", 200),
        ("interactions", 429),
        ("interactions", 429),
        ("interactions", 204),
    ]


async def test_server_error_is_retried(local_discord: LocalDiscord, kit_bot: Bot) -> None:
    bot, _ = kit_bot
    local_discord.faults.server_error("GET", "/channels/{channel_id}", status=502)
    channel = await bot.fetch_channel(local_discord.guild.channel("picks").id)
    assert channel.name == "picks"  # type: ignore[union-attr]
    assert [r.status for r in local_discord.requests[-2:]] == [502, 200]


async def test_delayed_route(local_discord: LocalDiscord, kit_bot: Bot, alice: Actor) -> None:
    local_discord.faults.delay("POST", "/interactions/*", 0.2, times=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await (await alice.slash("seen")).wait_reply()
    assert loop.time() - started >= 0.2


async def test_duplicate_interaction_delivery(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    _, seen = kit_bot
    local_discord.faults.duplicate_next_interaction()
    response = await alice.slash("seen")
    await response.wait_reply()
    await response.record.wait_until(
        lambda: response.record.rejected_callbacks or None, 2.0, "answer twice"
    )
    assert seen.interaction_ids == [response.interaction_id] * 2
    assert len(local_discord.messages("general")) == 1


@pytest.mark.parametrize(
    ("fault", "handshake"),
    [
        ("drop_gateway", "RESUME"),
        ("close_gateway", "RESUME"),
        ("request_reconnect", "RESUME"),
        ("invalidate_session", "IDENTIFY"),
    ],
)
async def test_gateway_faults_recover(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor, fault: str, handshake: str
) -> None:
    assert await getattr(local_discord.faults, fault)() == handshake
    reply = await (await alice.slash("seen")).wait_reply()
    assert reply.message is not None and reply.message.content == "seen"


async def test_zlib_stream_gateway(local_discord: LocalDiscord) -> None:
    bot = disnake.Client(
        **bot_kwargs(local_discord, with_owner=False, gateway_params=disnake.GatewayParams())
    )
    async with connect_bot(bot, local_discord):
        assert [g.name for g in bot.guilds] == ["Test Guild"]


async def test_shards_get_disjoint_guilds() -> None:
    world = World()
    now = snowflake()
    guilds = [world.add_guild(f"Guild {i}", id=now + (i << 22)) for i in range(4)]
    for guild in guilds:
        guild.add_channel("general")
        guild.add_member("Carol")
    async with LocalDiscord(world, shards=2) as discord:
        bots = [make_bot(discord, shard_id=i, shard_count=2)[0] for i in range(2)]
        async with connect_bot(bots[0], discord), connect_bot(bots[1], discord):
            assert (await bots[0].http.get_bot_gateway())[0] == 2
            seen = [{g.id for g in bot.guilds} for bot in bots]
            assert seen[0].isdisjoint(seen[1]) and seen[0] | seen[1] == {g.id for g in guilds}
            assert all(len(s) == 2 for s in seen)
            for guild in guilds:
                reply = await (
                    await discord.member("Carol", guild=guild.id).slash("seen")
                ).wait_reply()
                assert reply.message is not None
        assert discord.spec_violations == []
