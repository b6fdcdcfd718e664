"""A reload across the cluster: two bot processes (this one's App on shard 0, a bot process on
shard 1) run one plugin from the same files, each serving one server. A change reloaded from
either process swaps in both (the same command answers the new text in both servers); a change
that one process cannot prepare swaps in neither, and the reload's results say which process
refused it and why (``DBSBM_TEST_REDIS_URL``)."""

from __future__ import annotations

import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_support import bot_process

from core.app import App
from core.reloader import ReloadStage
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.state import World

REDIS = os.environ.get("DBSBM_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS and not os.environ.get("CI"), reason="set DBSBM_TEST_REDIS_URL"
)

GREET = """
import os

from disnake.ext import commands

from core.plugin import Plugin

GREETING = "{greeting}"
if os.environ.get("GREET_REFUSES") == GREETING:
    raise RuntimeError("this process refuses " + GREETING)


async def setup(ctx):
    @commands.slash_command(name="greet", description="Answer with the greeting")
    async def greet(inter):
        await inter.response.send_message(GREETING)

    ctx.add_command(greet)


plugin = Plugin(name="greet", version="1.0.0", description="Greets.")
"""


def write_greet(package: Path, greeting: str) -> None:
    (package / "greet").mkdir(exist_ok=True)
    (package / "greet" / "__init__.py").write_text(GREET.format(greeting=greeting).lstrip())


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """A package of local plugins shared by both processes, importable here."""
    root = tmp_path / "src"
    found = root / f"clustertest_{secrets.token_hex(4)}"
    found.mkdir(parents=True)
    (found / "__init__.py").write_text("")
    write_greet(found, "hello v1")
    sys.path.insert(0, str(root))
    yield found
    sys.path.remove(str(root))
    for key in [k for k in sys.modules if k.split(".")[0] == found.name]:
        del sys.modules[key]


def two_shard_world() -> World:
    """A server on each of two shards (Discord's ``(guild_id >> 22) % 2``)."""
    world = World()
    for shard in (0, 1):
        guild = world.add_guild(f"Shard {shard}", id=(2_000_000 + shard) << 22)
        guild.add_channel("general")
    return world


@pytest.fixture
async def cluster(tmp_path: Path, package: Path) -> AsyncIterator[tuple[LocalDiscord, App]]:
    assert REDIS
    key = f"test:cluster:{uuid.uuid4().hex}"

    def settings(shard: int) -> dict[str, Any]:
        return {
            "cache": {"backend": "redis", "redis_url": REDIS},
            "discord": {"shard_count": 2, "shard_ids": [shard]},
            "cluster": {"key": key},
        }

    async with LocalDiscord(two_shard_world()) as discord:
        async with run_app(
            discord,
            tmp_path / "shard0",
            plugins=["greet"],
            settings=settings(0),
            local_plugins=package,
        ) as app:
            async with bot_process(
                discord,
                tmp_path / "shard1",
                settings(1),
                ["greet"],
                local=package,
                env={"GREET_REFUSES": "hello v3"},
            ):
                yield discord, app


async def greetings(discord: LocalDiscord) -> list[str]:
    """What ``/greet`` answers in the server of each shard."""
    out = []
    for shard in (0, 1):
        owner = discord.member("Owner", guild=f"Shard {shard}")
        reply = await (await owner.slash("greet")).wait_reply()
        assert reply.message is not None
        out.append(reply.message.content)
    return out


async def test_a_change_swaps_in_every_process_and_a_refused_one_in_none(
    cluster: tuple[LocalDiscord, App], package: Path
) -> None:
    discord, app = cluster
    assert await greetings(discord) == ["hello v1", "hello v1"]

    write_greet(package, "hello v2")
    results = await app.reloader.reload(["greet"])
    assert [(r.name, r.ok) for r in results] == [("greet", True), ("greet", True)], results
    assert len({r.process for r in results}) == 2
    assert await greetings(discord) == ["hello v2", "hello v2"]
    view = await app.cluster.view()
    assert len(view.versions()["greet"]) == 1  # one version, named alike in both

    write_greet(package, "hello v3")  # the bot process refuses it at import
    results = await app.reloader.reload(None)  # what the watcher asks: every changed plugin
    here = next(r for r in results if r.process == app.cluster.id)
    there = next(r for r in results if r.process != app.cluster.id)
    assert not here.ok and here.stage is ReloadStage.CLUSTER
    assert here.error is not None and "could not prepare it" in here.error
    assert "this process refuses hello v3" in here.error
    assert not there.ok and there.stage is ReloadStage.IMPORT
    assert await greetings(discord) == ["hello v2", "hello v2"]  # the old version everywhere

    write_greet(package, "hello v4")
    assert all(r.ok for r in await app.reloader.reload(["greet"]))
    assert await greetings(discord) == ["hello v4", "hello v4"]
