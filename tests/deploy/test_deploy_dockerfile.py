"""The Dockerfile's shape (multi-stage, non-root, no build tools in the runtime stage) and its
HEALTHCHECK command, run for real against a bot's web server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest

from core.app import App

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def stages(text: str) -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split into build stages."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [
        ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    out: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            out.append([])
        if out:
            out[-1].append(line)
    return out


def instruction(stage: list[str], name: str) -> list[str]:
    return [ln[len(name) + 1 :] for ln in stage if ln.upper().startswith(f"{name} ")]


def test_multi_stage_runtime_is_slim_and_non_root() -> None:
    build, runtime = stages(DOCKERFILE.read_text())
    assert "AS build" in build[0] and "AS runtime" in runtime[0]
    assert any("uv sync --locked --no-dev" in run for run in instruction(build, "RUN"))
    runs = " ".join(instruction(runtime, "RUN"))
    for tool in ("gcc", "build-essential", "pip install", "uv "):
        assert tool not in runs, f"the runtime stage installs {tool!r}"
    assert "rm -rf /var/lib/apt/lists/*" in runs  # no apt cache left in the image
    user = instruction(runtime, "USER")[-1]
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), "USER must be a numeric non-root uid:gid"
    copies = " ".join(instruction(runtime, "COPY"))
    assert "--from=build /app/.venv" in copies
    env = " ".join(instruction(runtime, "ENV"))
    assert "DBSBM_CONFIG=/etc/dbsbm/config.toml" in env and "DBSBM_DATA_DIR=/data" in env


def test_dockerignore_keeps_secrets_and_data_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [ln for ln in lines if ln and not ln.startswith("#")]
    assert rules[0] == "*", "ignore everything, then re-include what the image needs"
    included = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert not included & {".env", "data", ".venv", "tests"}
    for needed in ("pyproject.toml", "uv.lock", "core", "plugins", "migrations", "config.toml"):
        assert needed in included


def healthcheck_command() -> list[str]:
    (runtime_line,) = instruction(stages(DOCKERFILE.read_text())[-1], "HEALTHCHECK")
    return json.loads(runtime_line[runtime_line.index("CMD ") + 4 :])


async def run_healthcheck(port: int) -> int:
    command = healthcheck_command()
    assert command[0] == "python"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *command[1:], env={**os.environ, "DBSBM_WEB__PORT": str(port)}
    )
    return await asyncio.wait_for(proc.wait(), timeout=30)


@pytest.mark.dbsbm(plugins=[])
async def test_healthcheck_passes_on_a_running_bot_and_fails_once_it_stops(dbsbm: App) -> None:
    port = dbsbm.web.port
    assert port is not None
    assert await run_healthcheck(port) == 0
    await dbsbm.web.stop()
    assert await run_healthcheck(port) != 0
