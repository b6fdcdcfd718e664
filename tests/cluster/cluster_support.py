"""Bot processes of one cluster for the tests: :func:`bot_process` runs
``bot_process.py`` against a local Discord of the test's process."""

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

from core.testing.client import DiscordEndpoint
from core.testing.server import LocalDiscord

SCRIPT = Path(__file__).with_name("bot_process.py")
READY_TIMEOUT = 60.0
"""Seconds a bot process may take to start (imports, migrations, the gateway)."""


@dataclasses.dataclass
class BotProcess:
    id: str
    """Its cluster id (:attr:`core.cluster.Cluster.id`)."""
    process: asyncio.subprocess.Process

    def kill(self) -> None:
        """Kill it outright, as a crash or an OOM killer would: no goodbye to Redis."""
        self.process.kill()


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
        str(SCRIPT),
        json.dumps(endpoint),
        json.dumps(settings),
        str(data_dir),
        ",".join(plugins),
        *([str(local)] if local is not None else []),
        stdin=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            while True:
                line = (await process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError(
                        f"the bot process ended before it was ready ({process.returncode})"
                    )
                if line.startswith("CLUSTER "):
                    ready = json.loads(line.removeprefix("CLUSTER "))
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
