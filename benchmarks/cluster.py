"""Benchmark of a reload across the processes of a cluster: save to serving everywhere.

    uv run python benchmarks/cluster.py [--redis URL] [--repeat 10]

Three processes with four shards — the benchmark's own App (shard 0) and two bot processes
(shards 1-2 and 3, :mod:`core.testing.processes`) — on one local Discord and one Redis run the
plugin ``greet`` from the same files. Each round writes a new greeting, asks this process to
reload (``app.reloader.reload(["greet"])``: a cluster round, :mod:`core.cluster_reload`) and
stops the clock when ``/greet`` answers the new greeting in the server of every shard.
Baseline in the same run: the same save, reload and answer with one process and no Redis.
Prints the median and the spread of each, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loguru import logger  # noqa: E402

from core.app import App  # noqa: E402
from core.testing.harness import run_app  # noqa: E402
from core.testing.processes import bot_process, world_of_shards, write_greet  # noqa: E402
from core.testing.server import LocalDiscord  # noqa: E402

SHARDS = 4
PROCESSES = ([0], [1, 2], [3])


async def greeted(discord: LocalDiscord, shards: int, greeting: str) -> None:
    """Ask ``/greet`` in every shard's server until each answers ``greeting``."""
    for shard in range(shards):
        owner = discord.member("Owner", guild=f"Shard {shard}")
        while True:
            reply = await (await owner.slash("greet")).wait_reply()
            if reply.message is not None and reply.message.content == greeting:
                break


async def rounds(
    app: App, discord: LocalDiscord, package: Path, shards: int, n: int
) -> list[float]:
    """``n`` saves, each timed from the save to every shard serving it (milliseconds)."""
    took = []
    for i in range(n):
        greeting = f"hello {uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        write_greet(package, greeting)
        results = await app.reloader.reload(["greet"])
        if not all(r.ok for r in results):
            raise RuntimeError(f"round {i}: {results}")
        await greeted(discord, shards, greeting)
        took.append((time.perf_counter() - started) * 1000)
    return took


def settings(key: str, redis: str | None, shards: list[int], count: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "discord": {"shard_count": count, "shard_ids": shards, "identify_interval": 0.2},
        "cluster": {"key": key},
    }
    if redis:
        out["cache"] = {"backend": "redis", "redis_url": redis}
    return out


async def single(folder: Path, package: Path, repeat: int) -> list[float]:
    async with LocalDiscord(world_of_shards(1)) as discord:
        async with run_app(
            discord,
            folder / "single",
            plugins=["greet"],
            settings=settings("bench:single", None, [0], 1),
            local_plugins=package,
        ) as app:
            await rounds(app, discord, package, 1, 2)  # warm up
            return await rounds(app, discord, package, 1, repeat)


async def cluster(folder: Path, package: Path, redis: str, repeat: int) -> list[float]:
    key = f"bench:cluster:{uuid.uuid4().hex}"
    async with LocalDiscord(world_of_shards(SHARDS)) as discord, AsyncExitStack() as stack:
        app = await stack.enter_async_context(
            run_app(
                discord,
                folder / "p0",
                plugins=["greet"],
                settings=settings(key, redis, PROCESSES[0], SHARDS),
                local_plugins=package,
            )
        )
        for n, shards in enumerate(PROCESSES[1:], start=1):
            await stack.enter_async_context(
                bot_process(
                    discord,
                    folder / f"p{n}",
                    settings(key, redis, shards, SHARDS),
                    ["greet"],
                    local=package,
                )
            )
        await rounds(app, discord, package, SHARDS, 2)  # warm up
        return await rounds(app, discord, package, SHARDS, repeat)


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<44} median {statistics.median(values):7.1f} ms  "
        f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
    )


async def measure(args: argparse.Namespace) -> None:
    logger.remove()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        package = folder / "src" / f"clusterbench_{secrets.token_hex(4)}"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        write_greet(package, "hello")
        sys.path.insert(0, str(package.parent))
        alone = await single(folder, package, args.repeat)
        together = await cluster(folder, package, args.redis, args.repeat)
    print(line("baseline: one process, save to serving", alone))
    print(line(f"{len(PROCESSES)} processes, {SHARDS} shards: save to serving", together))
    ratio = statistics.median(together) / statistics.median(alone)
    print(f"ratio of the medians (cluster / one process): {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default=os.environ.get("DBSBM_TEST_REDIS_URL"))
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    if not args.redis:
        parser.error("give --redis URL (or set DBSBM_TEST_REDIS_URL)")
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
