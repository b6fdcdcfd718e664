"""A process that runs some of the shards gets only those shards' guilds and interactions."""

from __future__ import annotations

from pathlib import Path

from e2e_support import E2E_PLUGINS

from core.bot import ShardedDBSBMBot
from core.testing import LocalDiscord, default_world
from core.testing.harness import run_app
from core.testing.state import snowflake


def guild_id_on_shard(shard: int, count: int) -> int:
    base = snowflake()
    return next(i for i in range(base, base + (count << 23), 1 << 22) if (i >> 22) % count == shard)


async def test_shard_process_serves_only_its_guilds(tmp_path: Path) -> None:
    world = default_world()
    on_zero = world.add_guild("Shard Zero", id=guild_id_on_shard(0, 2))
    on_one = world.add_guild("Shard One", id=guild_id_on_shard(1, 2))
    for guild in (on_zero, on_one):
        guild.add_channel("general")
        guild.add_member("Carol")
    async with (
        LocalDiscord(world, shards=2) as discord,
        run_app(
            discord,
            tmp_path,
            plugins=["probe"],
            local_plugins=E2E_PLUGINS,
            settings={"discord": {"shard_count": 2, "shard_ids": [1]}},
        ) as app,
    ):
        assert isinstance(app.bot, ShardedDBSBMBot)
        served = {g.id for g in app.bot.guilds}
        assert on_one.id in served and on_zero.id not in served
        assert all((g >> 22) % 2 == 1 for g in served)
        carol = discord.member("Carol", guild="Shard One")
        reply = await (await carol.slash("probe", "ok", text="shard one")).wait_reply()
        assert reply.message is not None and reply.message.content == "shard one"
