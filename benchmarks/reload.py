"""Benchmark of hot reload beside a full process restart, in one run.

    uv run python benchmarks/reload.py [--repeat 20] [--restarts 5] [--cycles 100]
    uv run python benchmarks/reload.py --plugin betting [--repeat 20] [--save service.py]

Everything goes through the local Discord and the real disnake client:

- **save to serving, code only**: ``[reload] watch = true``; a plugin's helper module is saved
  and the clock stops when ``/echo`` answers with the new text (watchfiles debounce included).
- **save to serving, model change**: a new model field and its migration file (generated
  beforehand, as a developer runs ``dbsbm makemigrations``) are in place; the clock runs from
  then through ``reloader.reload`` (migration applied in its transaction, models re-registered,
  setup) until ``/count`` answers from the new code.
- **full restart to serving** (the baseline): a new process starts the App and the bot against
  the same local Discord; the clock stops when ``/echo`` answers.
- **100 reload cycles**: growth of tasks, listeners, hook impls and of the process's RSS.

Prints medians and the ratio restart / reload.

``--plugin betting`` measures a real plugin instead: a copy of ``plugins/betting`` (and its
migrations) in a temp folder, loaded with the deployed plugins (admin, audit, metrics) on
SQLite, watched; one of its modules (``--save``, the package module by default) is saved with
a new constant and the clock stops when ``/leaderboard`` answers and the running module holds
that constant. The small plugin's code-only figure is measured in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.app import App  # noqa: E402
from core.hookspecs import hookimpl  # noqa: E402
from core.settings import load_settings  # noqa: E402
from core.testing import LocalDiscord, bot_kwargs, connect_bot  # noqa: E402
from tests.reload.conftest import ECHO_HELPERS, ECHO_INIT, write_config  # noqa: E402
from tests.reload.test_reload_schema import MODELS_V1, STORE_INIT  # noqa: E402

CHILD = "--child"
DEPLOYED = ("admin", "audit", "metrics")
"""The plugins deployed beside the one measured with ``--plugin``."""


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Reloads:
    """Counts ``dbsbm_plugin_reloaded`` events and lets the benchmark wait for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self.event = asyncio.Event()

    @hookimpl
    def dbsbm_plugin_reloaded(self, name: str, ok: bool, error: str | None) -> None:
        if not ok:
            print(f"  reload of {name} failed: {error}", file=sys.stderr)
        self.count += 1
        self.event.set()


def make_plugins(root: Path) -> Path:
    package = root / f"reloadbench_{secrets.token_hex(4)}"
    (package / "echo").mkdir(parents=True)
    (package / "store").mkdir()
    (package / "__init__.py").write_text("")
    (package / "echo" / "__init__.py").write_text(ECHO_INIT.lstrip())
    (package / "echo" / "helpers.py").write_text(ECHO_HELPERS.lstrip())
    (package / "store" / "__init__.py").write_text(STORE_INIT.lstrip())
    (package / "store" / "models.py").write_text(MODELS_V1.lstrip())
    return package


async def make_migration(package: Path, name: str) -> None:
    """What ``dbsbm makemigrations store`` does, from the files as they are now."""
    from core.database import AppSpec
    from core.migrations import make_migrations

    module = f"{package.name}.store.models"
    spec = AppSpec("store", [module], package / "store" / "migrations")
    running = sys.modules.pop(module, None)
    try:
        await make_migrations(spec, name)
    finally:
        if running is not None:
            sys.modules[module] = running
            sys.modules[f"{package.name}.store"].__dict__["models"] = running


async def ask(discord: LocalDiscord, command: str) -> str:
    response = await discord.member("Alice").slash(command)
    reply = await response.wait_reply(within=10)
    return reply.message.content if reply.message else ""


async def bench_code(
    app: App, discord: LocalDiscord, package: Path, reloads: Reloads, n: int
) -> list[float]:
    helpers = package / "echo" / "helpers.py"
    text = helpers.read_text()
    times = []
    for i in range(n):
        want = f"code {i}"
        reloads.event.clear()
        start = time.perf_counter()
        helpers.write_text(text.replace('"v1"', f'"{want}"'))
        await asyncio.wait_for(reloads.event.wait(), 10)
        while (got := await ask(discord, "echo")) != want:
            print(f"  unexpected reply {got!r}", file=sys.stderr)
            await asyncio.wait_for(reloads.event.wait(), 10)
        times.append(time.perf_counter() - start)
    return times


async def bench_models(app: App, discord: LocalDiscord, package: Path, n: int) -> list[float]:
    models = package / "store" / "models.py"
    times = []
    fields = ""
    for i in range(n):
        fields += f"\n    extra_{i} = fields.IntField(default={i})"
        models.write_text(
            MODELS_V1.lstrip().replace(
                "text = fields.CharField(max_length=100)",
                "text = fields.CharField(max_length=100)" + fields,
            )
        )
        await make_migration(package, f"extra_{i}")
        start = time.perf_counter()
        [result] = await app.reloader.reload(["store"])
        assert result.ok and result.migrations, result
        await ask(discord, "count")
        times.append(time.perf_counter() - start)
    return times


async def bench_cycles(
    app: App, cycles: int
) -> tuple[float, tuple[int, int, int], tuple[int, int, int]]:
    def footprint() -> tuple[int, int, int]:
        tasks = sum(1 for t in asyncio.all_tasks() if t.get_name().startswith("echo:"))
        listeners = sum(len(v) for v in app.bot.extra_events.values())
        hookimpls = len(app.pm.get_plugins())
        return tasks, listeners, hookimpls

    gc.collect()
    before, rss = footprint(), rss_mb()
    for _ in range(cycles):
        [result] = await app.reloader.reload(["echo"])
        assert result.ok, result.error
    gc.collect()
    return rss_mb() - rss, before, footprint()


async def bench_restart(discord: LocalDiscord, tmp: Path, package: Path, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            CHILD,
            discord.api_base,
            discord.token,
            str(discord.owner.id),
            str(tmp / "config.toml"),
            str(package),
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        line = await child.stdout.readline()
        assert line.strip() == b"ready", line
        await ask(discord, "echo")
        times.append(time.perf_counter() - start)
        child.terminate()
        await child.wait()
    return times


async def child(api_base: str, token: str, owner: int, config: str, package: str) -> None:
    """A fresh bot process: start the App, log in, say ``ready``, serve until terminated."""
    from disnake.http import Route

    sys.path.insert(0, str(Path(package).parent))
    Route.BASE = api_base
    app = App(
        load_settings(config),
        config_file=config,
        local_plugins=Path(package),
        bot_kwargs={
            "gateway_params": __import__("disnake").GatewayParams(zlib=False),
            "guild_ready_timeout": 0.05,
            "owner_ids": {owner},
        },
    )
    await app.start(migrate=False)
    runner = asyncio.create_task(app.bot.start(token))
    await app.bot.wait_until_ready()
    print("ready", flush=True)
    await runner


async def bench_real(
    discord: LocalDiscord, tmp: Path, name: str, command: str, n: int, save: str
) -> list[float]:
    """Save-to-serving of a copy of the first-party plugin ``name``, loaded with the deployed
    plugins: its module ``save`` (a path in the package) gets a new constant, ``/<command>``
    must answer after the reload, and the running module must hold the constant."""
    src = tmp / "real"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "plugins", src / "plugins", ignore=skip)
    shutil.copytree(ROOT / "migrations", src / "migrations", ignore=skip)
    sys.path.insert(0, str(src))
    import plugins

    assert Path(plugins.__file__ or "").is_relative_to(src), plugins.__file__
    folders = [p for p in (src / "plugins").iterdir() if (p / "__init__.py").exists()]
    off = [p.name for p in folders if p.name not in {name, *DEPLOYED}]
    config = tmp / "real.toml"
    write_config(
        config,
        tmp / "real-data",
        watch=True,
        plugins="".join(f"[plugins.{p}]\nenabled = false\n" for p in off),
    )
    reloads = Reloads()
    app = App(
        load_settings(config),
        config_file=config,
        local_plugins=src / "plugins",
        bot_kwargs=bot_kwargs(discord),
    )
    app.pm.register(reloads, name="bench.reloads")
    saved = src / "plugins" / name / save
    text = saved.read_text()
    module = ".".join(("plugins", name, *Path(save).with_suffix("").parts)).removesuffix(
        ".__init__"
    )
    times: list[float] = []
    reloaded: list[float] = []
    async with AsyncExitStack() as stack:
        stack.push_async_callback(app.close)
        await app.start()
        await stack.enter_async_context(connect_bot(app.bot, discord))
        await ask(discord, command)
        for i in range(n):
            reloads.event.clear()
            start = time.perf_counter()
            saved.write_text(f"{text}\nBENCH_SAVE = {i}\n")
            await asyncio.wait_for(reloads.event.wait(), 30)
            reloaded.append(time.perf_counter() - start)
            await ask(discord, command)
            times.append(time.perf_counter() - start)
            running = sys.modules[module]
            assert getattr(running, "BENCH_SAVE", None) == i, "the old code answered"
    report(f"  of which save to {name} reloaded", reloaded)
    return times


def report(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(
        f"{label:<40} median {median * 1000:8.1f} ms  (min {min(times) * 1000:.1f}, "
        f"max {max(times) * 1000:.1f}, n={len(times)})"
    )
    return median


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        package = make_plugins(tmp / "src")
        sys.path.insert(0, str(package.parent))
        await make_migration(package, "init")
        write_config(tmp / "config.toml", tmp / "data", watch=True)
        no_spec_check: Any = False  # timing only: the tests check the requests
        async with LocalDiscord(spec=no_spec_check) as discord:
            reloads = Reloads()
            app = App(
                load_settings(tmp / "config.toml"),
                config_file=tmp / "config.toml",
                local_plugins=package,
                bot_kwargs=bot_kwargs(discord),
            )
            app.pm.register(reloads, name="bench.reloads")
            async with AsyncExitStack() as stack:
                stack.push_async_callback(app.close)
                await app.start()
                await stack.enter_async_context(connect_bot(app.bot, discord))
                code = report(
                    "save to serving, code only",
                    await bench_code(app, discord, package, reloads, args.repeat),
                )
                if not args.plugin:
                    report(
                        "save to serving, model change",
                        await bench_models(app, discord, package, args.repeat),
                    )
                    growth, before, after = await bench_cycles(app, args.cycles)
            if args.plugin:
                real = report(
                    f"save to serving, {args.plugin}",
                    await bench_real(
                        discord, tmp, args.plugin, args.command, args.repeat, args.save
                    ),
                )
                print(f"{args.plugin + ' / small plugin':<40} {real / code:8.2f}x")
                return
            restart = report(
                "full process restart to serving",
                await bench_restart(discord, tmp, package, args.restarts),
            )
            print(f"{'restart / code-only reload':<40} {restart / code:8.1f}x")
            print(
                f"{args.cycles} reload cycles: tasks/listeners/hook plugins {before} -> {after}; "
                f"RSS growth {growth:+.1f} MiB"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == CHILD:
        api, token, owner, config, package = sys.argv[2:7]
        asyncio.run(child(api, token, int(owner), config, package))
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--restarts", type=int, default=5)
        parser.add_argument("--cycles", type=int, default=100)
        parser.add_argument(
            "--plugin", help="measure this first-party plugin's reload (with the deployed ones)"
        )
        parser.add_argument(
            "--command", default="leaderboard", help="the --plugin's command asked after a reload"
        )
        parser.add_argument(
            "--save", default="__init__.py", help="the --plugin's module saved (a path in it)"
        )
        asyncio.run(main(parser.parse_args()))
