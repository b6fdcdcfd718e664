"""Three bot processes with four shards — this one's App (shard 0) and two bot processes (shards
1-2 and 3) — on one local Discord, one PostgreSQL and one Redis, running one plugin from the same
files; a server on each shard. A change swaps in every process (the same command answers the new
text in every server); a change that one process cannot prepare swaps in none, and the results
say which process refused it and why; a change one process cannot set up is rolled back in all;
a process started later runs the cluster's version; a process killed while commands run leaves
the others serving their servers and is shown down (``DBSBM_TEST_REDIS_URL``,
``DBSBM_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from db_backends import fresh_database  # type: ignore[import-not-found]

from core.app import App
from core.cluster import ProcessState
from core.reloader import CONFIG, ReloadAction, ReloadResult, ReloadStage
from core.testing.harness import run_app
from core.testing.processes import BotProcess, bot_process, world_of_shards, write_greet
from core.testing.server import LocalDiscord
from tests.reload.conftest import plugin_package  # noqa: F401  (the fixture)


@pytest.fixture
def package(plugin_package: Path) -> Path:  # noqa: F811  (the fixture imported above)
    """A package of local plugins shared by every process, with ``greet`` at its first version."""
    write_greet(plugin_package, "hello v1")
    return plugin_package


SHARDS = 4
DOWN_AFTER = 2.0
"""Seconds of silence after which the test's processes are shown down."""
PROCESSES = ([0], [1, 2], [3])
"""The shards of each process: this one's App first, then the bot processes."""
FAULTS = {1: {"GREET_REFUSES": "hello v3"}, 2: {"GREET_SETUP_FAILS": "hello v5"}}
"""The first bot process cannot import ``hello v3``, the second cannot set up ``hello v5``."""


@dataclass
class Cluster:
    discord: LocalDiscord
    app: App
    processes: list[BotProcess]
    later: Callable[[list[int]], AbstractAsyncContextManager[BotProcess]]
    """Start another bot process with these shards (its own data folder)."""


@pytest.fixture
async def cluster(tmp_path: Path, package: Path, redis_url: str) -> AsyncIterator[Cluster]:
    key = f"test:cluster:{uuid.uuid4().hex}"

    def settings(shards: list[int]) -> dict[str, Any]:
        return {
            "cache": {"backend": "redis", "redis_url": redis_url},
            "discord": {"shard_count": SHARDS, "shard_ids": shards, "identify_interval": 0.2},
            "cluster": {"key": key, "heartbeat": 0.2, "down_after": DOWN_AFTER},
        }

    async with (
        fresh_database("postgres", tmp_path) as database,
        LocalDiscord(world_of_shards(SHARDS)) as discord,
        AsyncExitStack() as stack,
    ):
        app = await stack.enter_async_context(
            run_app(
                discord,
                tmp_path / "p0",
                plugins=["greet"],
                settings=settings(PROCESSES[0]),
                database_url=database,
                local_plugins=package,
            )
        )
        started = itertools.count(1)

        def process(shards: list[int]) -> AbstractAsyncContextManager[BotProcess]:
            n = next(started)
            return bot_process(
                discord,
                tmp_path / f"p{n}",
                {**settings(shards), "database": {"url": database}},
                ["greet"],
                local=package,
                env=FAULTS.get(n, {}),
            )

        processes = [await stack.enter_async_context(process(shards)) for shards in PROCESSES[1:]]
        yield Cluster(discord, app, processes, process)


async def greet(discord: LocalDiscord, shard: int) -> str:
    owner = discord.member("Owner", guild=f"Shard {shard}")
    reply = await (await owner.slash("greet")).wait_reply()
    assert reply.message is not None
    return reply.message.content


async def greetings(discord: LocalDiscord) -> list[str]:
    """What ``/greet`` answers in the server of each shard."""
    return [await greet(discord, shard) for shard in range(SHARDS)]


async def swaps_everywhere(cluster: Cluster, package: Path, greeting: str) -> list[ReloadResult]:
    """Save ``greeting`` and reload it: every process swaps (its results), every server of
    every shard answers it."""
    write_greet(package, greeting)
    results = await cluster.app.reloader.reload(["greet"])
    assert [(r.name, r.ok) for r in results] == [("greet", True)] * len(PROCESSES), results
    assert await greetings(cluster.discord) == [greeting] * SHARDS
    return results


def refused_by(
    cluster: Cluster,
    results: list[ReloadResult],
    bot_process: int,
    stage: ReloadStage,
    why: str,
    could_not: str,
) -> None:
    """Every process's result is a failure at ``stage``: bot process ``bot_process``'s saying
    ``why``, the others' saying the cluster vote refused it, naming it (``could not ...``) and
    ``why``."""
    by_process = {r.process: r for r in results}
    assert by_process.keys() == {cluster.app.cluster.id, *(p.id for p in cluster.processes)}
    own = by_process.pop(cluster.processes[bot_process].id)
    assert not own.ok and own.stage is stage and own.error is not None and why in own.error, own
    for other in by_process.values():
        assert not other.ok and other.stage is stage, other
        assert other.error is not None and other.error.startswith(f"{ReloadStage.CLUSTER}: ")
        assert could_not in other.error and why in other.error


async def test_a_change_swaps_in_every_process_and_a_refused_one_in_none(
    cluster: Cluster, package: Path
) -> None:
    discord, app = cluster.discord, cluster.app
    assert await greetings(discord) == ["hello v1"] * SHARDS

    results = await swaps_everywhere(cluster, package, "hello v2")
    assert {r.process for r in results} == {app.cluster.id, *(p.id for p in cluster.processes)}
    assert len((await app.cluster.view()).versions()["greet"]) == 1  # named alike everywhere

    write_greet(package, "hello v3")  # the first bot process refuses it at import
    results = await app.reloader.reload(None)  # what a watcher asks: every changed plugin
    refused_by(cluster, results, 0, ReloadStage.IMPORT, "refuses hello v3", "could not prepare it")
    assert await greetings(discord) == ["hello v2"] * SHARDS  # the old version everywhere

    await swaps_everywhere(cluster, package, "hello v4")


async def test_a_change_one_process_cannot_set_up_is_rolled_back_in_every_process(
    cluster: Cluster, package: Path
) -> None:
    discord, app = cluster.discord, cluster.app
    write_greet(package, "hello v5")  # the second bot process's setup fails
    results = await app.reloader.reload(["greet"])
    refused_by(cluster, results, 1, ReloadStage.SETUP, "cannot set up hello v5", "could not swap")
    assert await greetings(discord) == ["hello v1"] * SHARDS  # the old version everywhere
    assert len((await app.cluster.view()).versions()["greet"]) == 1

    await swaps_everywhere(cluster, package, "hello v6")


async def test_a_process_started_later_loads_the_version_the_cluster_runs(
    cluster: Cluster, package: Path
) -> None:
    discord, app = cluster.discord, cluster.app
    await swaps_everywhere(cluster, package, "hello v2")
    running = app.reloader.version("greet")
    write_greet(package, "hello v3")  # the first bot process refuses it: the cluster keeps v2
    assert not any(r.ok for r in await app.reloader.reload(["greet"]))
    assert app.reloader.disk_versions(["greet"])["greet"] != running

    restarted = cluster.processes[1]  # shard 3, restarted where the files give v3
    await restarted.stop()
    async with cluster.later([3]) as later:
        assert await greetings(discord) == ["hello v2"] * SHARDS
        view = await app.cluster.view()
        ready = {p.id: p for p in view.processes if view.state_of(p) is ProcessState.READY}
        assert ready.keys() == {app.cluster.id, cluster.processes[0].id, later.id}
        assert {p.plugins["greet"] for p in ready.values()} == {running}

        results = await swaps_everywhere(cluster, package, "hello v4")  # from its own files
        assert later.id in {r.process for r in results}


def write_configs(tmp_path: Path, text: str, *, first_bot_process: str | None = None) -> None:
    """The same ``config.toml`` in every process's data folder (the first bot process's own
    text instead, when given)."""
    for n in range(len(PROCESSES)):
        own = first_bot_process if n == 1 and first_bot_process is not None else text
        (tmp_path / f"p{n}").mkdir(exist_ok=True)
        (tmp_path / f"p{n}" / "config.toml").write_text(own)


async def test_a_config_edit_applies_in_every_process_and_a_refused_one_in_none(
    cluster: Cluster, tmp_path: Path
) -> None:
    discord, app = cluster.discord, cluster.app
    everyone = {app.cluster.id, *(p.id for p in cluster.processes)}

    async def loaded_greet() -> set[str]:
        """The processes whose heartbeat says they run ``greet``."""
        return {p.id for p in (await app.cluster.view()).processes if "greet" in p.plugins}

    assert await loaded_greet() == everyone
    write_configs(tmp_path, "[plugins.greet]\nenabled = false\n")
    results = await app.reloader.apply_config()
    assert {r.process for r in results} == everyone, results
    assert all(r.ok and r.action is ReloadAction.UNLOADED for r in results), results
    assert await loaded_greet() == set()

    on = "[plugins.greet]\nenabled = true\n"
    write_configs(tmp_path, on, first_bot_process=on + "[plugins.nosuch]\n")
    results = await app.reloader.apply_config()
    by_process = {r.process: r for r in results}
    assert set(by_process) == everyone and not any(r.ok for r in results), results
    refusing = by_process[cluster.processes[0].id]
    assert refusing.name == CONFIG and refusing.stage is ReloadStage.CONFIG
    assert refusing.error is not None and "nosuch" in refusing.error
    for process in everyone - {refusing.process}:
        kept = by_process[process]
        assert kept.action is ReloadAction.REJECTED and kept.stage is ReloadStage.CONFIG
        assert kept.error is not None and "cluster vote: process" in kept.error
        assert "could not prepare it" in kept.error and "nosuch" in kept.error
    assert await loaded_greet() == set()  # disabled everywhere still

    write_configs(tmp_path, on, first_bot_process=on + "# another file\n")
    results = await app.reloader.apply_config()
    assert all(not r.ok and r.stage is ReloadStage.CLUSTER for r in results), results
    assert all("files differ" in (r.error or "") for r in results), results

    write_configs(tmp_path, on)
    results = await app.reloader.apply_config()
    assert all(r.ok and r.action is ReloadAction.LOADED for r in results), results
    assert await loaded_greet() == everyone
    assert await greetings(discord) == ["hello v1"] * SHARDS


async def test_a_process_killed_mid_load_leaves_the_others_serving_and_is_shown_down(
    cluster: Cluster,
) -> None:
    discord, app = cluster.discord, cluster.app
    doomed = cluster.processes[1]  # shard 3
    owners = [discord.member("Owner", guild=f"Shard {s}") for s in range(SHARDS)]
    asked = [await owner.slash("greet") for owner in owners for _ in range(3)]
    doomed.kill()
    asked += [await owner.slash("greet") for owner in owners[:3] for _ in range(3)]
    for response in asked[: 3 * SHARDS - 3] + asked[3 * SHARDS :]:  # shards 0-2: all answered
        reply = await response.wait_reply()
        assert reply.message is not None and reply.message.content == "hello v1"
    await doomed.process.wait()
    await asyncio.sleep(DOWN_AFTER + 0.5)  # what shows it down is its heartbeat's age
    view = await app.cluster.view()
    assert view.down == {doomed.id}
    assert {p.id for p in view.processes} - view.down == {
        app.cluster.id,
        cluster.processes[0].id,
    }
    assert [await greet(discord, s) for s in range(3)] == ["hello v1"] * 3
