"""One bot process of a cluster test, run by :func:`cluster_support.bot_process`.

    python tests/cluster/bot_process.py ENDPOINT_JSON SETTINGS_JSON DATA_DIR PLUGINS [LOCAL]

It starts an App with ``PLUGINS`` (comma-separated) and ``SETTINGS_JSON`` on the local Discord
of ``ENDPOINT_JSON`` (running in the test's process), prints ``CLUSTER {"id": <its cluster
id>}`` once ready, and stops cleanly at the end of its input (or dies when killed). ``LOCAL``:
the package of local plugins (default: the repository's ``plugins``).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from loguru import logger  # noqa: E402

from core.loop import run  # noqa: E402
from core.testing.client import DiscordEndpoint  # noqa: E402
from core.testing.harness import run_app  # noqa: E402

PREFIX = "CLUSTER "


async def serve(
    endpoint: str, settings: str, data_dir: str, plugins: str, local: Path | bool
) -> None:
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


if __name__ == "__main__":
    Path(sys.argv[3]).mkdir(parents=True, exist_ok=True)
    local: Path | bool = True
    if len(sys.argv) > 5:
        local = Path(sys.argv[5])
        sys.path.insert(0, str(local.parent))
    run(serve(*sys.argv[1:5], local))
