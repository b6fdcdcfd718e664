"""Benchmark of start-up: the command line and a cold start of the bot, beside ``python -c pass``.

    uv run python benchmarks/startup.py [--repeat 7] [--starts 5]

Each figure is a fresh process, run ``--repeat`` times (``--starts`` for the cold start), in a
folder with a copy of the repository's ``config.toml``:

- **python -c pass** (the baseline): the interpreter alone.
- **dbsbm --help** and **dbsbm plugins list**: the installed ``dbsbm`` script, as an operator
  runs it.
- **cold start to ready**: a new process with all five plugins enabled on a new SQLite file
  starts the App (plugins validated, database connected and every migration applied, plugins
  loaded, web server up) and the bot against a local Discord running here; the clock stops when
  the process says the bot is ready (its commands synced and the gateway's READY handled).

Python runs as an ordinary installation does: bytecode caches are written (under a temp
``PYTHONPYCACHEPREFIX``, by one untimed run of each command first) and read, even where the
environment says ``PYTHONDONTWRITEBYTECODE``; ``--no-bytecode`` measures without them (every
module compiled at every start).

Prints the medians beside the targets (0.3 s, 1.0 s, 2.0 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = "--child"
DBSBM = Path(sys.executable).with_name("dbsbm")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BYTECODE = True
"""Whether the measured processes write and read bytecode caches (``--no-bytecode``)."""


def clean_env(folder: Path) -> dict[str, str]:
    """The environment without DBSBM_* settings, the web server on a free port, bytecode
    caches in the folder (unless ``--no-bytecode``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSBM_")}
    env["DBSBM_WEB__PORT"] = str(free_port())
    env["DBSBM_DATA_DIR"] = str(folder / "data")
    if BYTECODE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def time_command(command: list[str], folder: Path, repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` runs, after one untimed run (which fills the caches)."""
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=clean_env(folder), capture_output=True)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr.decode()}")
        if i:
            times.append(time.perf_counter() - start)
    return times


async def time_cold_starts(folder: Path, starts: int) -> list[float]:
    from core.testing import LocalDiscord

    times = []
    no_spec_check: bool = False  # timing only: the tests check the requests
    async with LocalDiscord(spec=no_spec_check) as discord:  # type: ignore[arg-type]
        for i in range(starts + 1):  # the first, untimed, fills the caches
            data = folder / f"data-{i}"
            env = clean_env(folder) | {"DBSBM_DATA_DIR": str(data)}
            start = time.perf_counter()
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                CHILD,
                discord.api_base,
                discord.token,
                str(discord.owner.id),
                cwd=folder,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            assert child.stdout is not None
            line = await child.stdout.readline()
            elapsed = time.perf_counter() - start
            assert line.strip() == b"ready", line
            if i:
                times.append(elapsed)
            child.terminate()
            await child.wait()
            shutil.rmtree(data, ignore_errors=True)
    return times


async def child(api_base: str, token: str, owner: int) -> None:
    """A bot process: start the App with config.toml's plugins, log in, say ``ready``."""
    import disnake
    from disnake.http import Route

    from core.app import App
    from core.settings import load_settings

    Route.BASE = api_base
    app = App(
        load_settings(Path("config.toml")),
        config_file="config.toml",
        bot_kwargs={
            "gateway_params": disnake.GatewayParams(zlib=False),
            "guild_ready_timeout": 0.05,
            "owner_ids": {owner},
        },
    )
    await app.start()
    runner = asyncio.create_task(app.bot.start(token))
    await app.bot.wait_until_ready()
    print("ready", flush=True)
    await runner


def report(label: str, times: list[float], target: float | None, baseline: float) -> None:
    median = statistics.median(times)
    goal = f"target < {target:.1f} s: {'met' if median < target else 'NOT met'}" if target else ""
    print(
        f"{label:<26} median {median * 1000:7.0f} ms  (min {min(times) * 1000:.0f}, "
        f"max {max(times) * 1000:.0f}, n={len(times)}; {median / baseline:5.1f}x python)  {goal}"
    )


def main(args: argparse.Namespace) -> None:
    if not DBSBM.exists():
        sys.exit(f"no dbsbm script beside {sys.executable} (run: uv sync)")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        shutil.copy(ROOT / "config.toml", folder / "config.toml")
        base = time_command([sys.executable, "-c", "pass"], folder, args.repeat)
        baseline = statistics.median(base)
        report("python -c pass", base, None, baseline)
        report(
            "dbsbm --help", time_command([str(DBSBM), "--help"], folder, args.repeat), 0.3, baseline
        )
        report(
            "dbsbm plugins list",
            time_command([str(DBSBM), "plugins", "list"], folder, args.repeat),
            1.0,
            baseline,
        )
        cold = asyncio.run(time_cold_starts(folder, args.starts))
        report("cold start to ready", cold, 2.0, baseline)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == CHILD:
        api, token, owner = sys.argv[2:5]
        asyncio.run(child(api, token, int(owner)))
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        parser.add_argument("--repeat", type=int, default=7, help="runs of each command")
        parser.add_argument("--starts", type=int, default=5, help="cold starts")
        parser.add_argument(
            "--no-bytecode", action="store_true", help="no bytecode caches (compile every start)"
        )
        options = parser.parse_args()
        BYTECODE = not options.no_bytecode
        main(options)
