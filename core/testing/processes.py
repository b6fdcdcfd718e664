"""Bot processes of one cluster, for tests and benchmarks: :func:`bot_process` starts one
against a local Discord running in the caller's process, the way deployed processes share one
Discord.

A bot process runs ``python -m core.testing.processes ENDPOINT_JSON SETTINGS_JSON DATA_DIR
PLUGINS [LOCAL]``: an App with ``PLUGINS`` (comma-separated) and ``SETTINGS_JSON`` on the local
Discord of ``ENDPOINT_JSON``; it prints ``CLUSTER {"id": <its cluster id>}`` once ready and stops
cleanly at the end of its input (or dies when killed). ``LOCAL``: its package of local plugins
(default: the repository's ``plugins``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from loguru import logger

from core.loop import run
from core.testing.client import DiscordEndpoint
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.state import World

PREFIX = "CLUSTER "

GREET = """
import os

from disnake.ext import commands

from core.plugin import Plugin

GREETING = "{greeting}"
if os.environ.get("GREET_REFUSES") == GREETING:
    raise RuntimeError("this process refuses " + GREETING)


async def setup(ctx):
    if os.environ.get("GREET_SETUP_FAILS") == GREETING:
        raise RuntimeError("this process cannot set up " + GREETING)

    @commands.slash_command(name="greet", description="Answer with the greeting")
    async def greet(inter):
        await inter.response.send_message(GREETING)

    ctx.add_command(greet)


plugin = Plugin(name="greet", version="1.0.0", description="Greets.")
"""
READY_TIMEOUT = 60.0
"""Seconds a bot process may take to start (imports, migrations, the gateway)."""


def write_greet(package: Path, greeting: str) -> None:
    """A plugin ``greet`` in ``package`` whose ``/greet`` answers ``greeting`` (a process whose
    ``GREET_REFUSES`` names that greeting fails to import it: a change one process refuses; one
    whose ``GREET_SETUP_FAILS`` names it fails in its setup: a change one process cannot swap
    to)."""
    (package / "greet").mkdir(exist_ok=True)
    (package / "greet" / "__init__.py").write_text(GREET.format(greeting=greeting).lstrip())


def world_of_shards(shards: int) -> World:
    """A server ``Shard <n>`` with a #general on each of ``shards`` shards (Discord sends a
    server's events to shard ``(guild_id >> 22) % shard_count``)."""
    world = World()
    for shard in range(shards):
        guild = world.add_guild(f"Shard {shard}", id=(2_000_000 * shards + shard) << 22)
        guild.add_channel("general")
    return world


@dataclasses.dataclass
class BotProcess:
    id: str
    """Its cluster id (:attr:`core.cluster.Cluster.id`)."""
    process: asyncio.subprocess.Process

    def kill(self) -> None:
        """Kill it outright, as a crash or an OOM killer would: no goodbye to Redis."""
        self.process.kill()

    async def stop(self) -> None:
        """Stop it cleanly (the end of its input), as a restart does: its last heartbeat says
        it stopped."""
        assert self.process.stdin is not None  # nosec B101 # bot_process requests the pipe
        self.process.stdin.close()
        await self.process.wait()


@asynccontextmanager
async def bot_process(
    discord: LocalDiscord,
    data_dir: Path,
    settings: dict[str, Any],
    plugins: list[str],
    *,
    local: Path | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[BotProcess]:
    """A bot process, ready; stopped cleanly (end of its input) on exit unless killed.
    ``local``: its package of local plugins; ``env``: more environment variables."""
    endpoint = dataclasses.asdict(DiscordEndpoint.of(discord))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "core.testing.processes",
        json.dumps(endpoint),
        json.dumps(settings),
        str(data_dir),
        ",".join(plugins),
        *([str(local)] if local is not None else []),
        stdin=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None  # nosec B101 # pipes requested
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            while True:
                line = (await process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError(
                        f"the bot process ended before it was ready ({process.returncode})"
                    )
                if line.startswith(PREFIX):
                    ready = json.loads(line.removeprefix(PREFIX))
                    break
        yield BotProcess(ready["id"], process)
    finally:
        if process.returncode is None:
            process.stdin.close()
            try:
                async with asyncio.timeout(30):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


async def serve(
    endpoint: str, settings: str, data_dir: str, plugins: str, local: Path | bool
) -> None:
    """Run the bot process's App until its input ends."""
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    async with run_app(
        DiscordEndpoint(**json.loads(endpoint)),
        Path(data_dir),
        plugins=[p for p in plugins.split(",") if p],
        settings=json.loads(settings),
        local_plugins=local,
    ) as app:
        print(PREFIX + json.dumps({"id": app.cluster.id}), flush=True)
        while await asyncio.to_thread(sys.stdin.readline):
            pass


def main() -> None:
    """The bot process (see the module docstring)."""
    endpoint, settings, data_dir, plugins = sys.argv[1:5]
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    local: Path | bool = True
    if len(sys.argv) > 5:
        local = Path(sys.argv[5])
        sys.path.insert(0, str(local.parent))
    run(serve(endpoint, settings, data_dir, plugins, local))


if __name__ == "__main__":
    main()
