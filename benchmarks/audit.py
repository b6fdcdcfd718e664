"""Benchmark: the reply latency of a command with and without the audit plugin, in one run.

    uv run python benchmarks/audit.py [--requests 200] [--repeat 3] [--database URL]

A member runs ``/bench ping`` through the local Discord and the real disnake client; the time is
taken from sending the interaction to receiving the bot's reply. The same bot runs once with
only the ``bench`` plugin and once with ``audit`` enabled too (fresh SQLite file each, or
``--database``), alternating ``--repeat`` times. Printed: median and p95 in milliseconds, the
ratio audit / baseline, and how many audit entries were written (so the run proves it audited).
Also printed: the hot-path cost alone, i.e. emitting ``dbsbm_command_completed`` to the audit
listener (which only queues a record) beside emitting it to no listener, in microseconds.
The machine is shared: compare the ratio, not the absolute figures, and repeat when noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction
from loguru import logger

from core.app import App
from core.plugin import Plugin, PluginContext
from core.plugin_manager import PluginRecord, PluginSource, PluginState
from core.settings import DatabaseSettings, RateLimitSettings, Settings, WebSettings
from core.testing.client import bot_kwargs, connect_bot
from core.testing.server import LocalDiscord

OTHER_PLUGINS = ("admin", "betting", "metrics", "weather", "hello")
WARMUP = 20


async def setup(ctx: PluginContext) -> None:
    @commands.slash_command(name="bench", description="Benchmark commands.")
    async def bench(inter: ApplicationCommandInteraction) -> None:
        """Group."""

    @bench.sub_command(name="ping", description="Answers at once.")
    async def ping(inter: ApplicationCommandInteraction, note: str = "") -> None:
        await inter.response.send_message("pong", ephemeral=True)

    ctx.add_command(bench)


plugin = Plugin(name="bench", version="1.0.0", setup=setup)


def settings(url: str, data_dir: Path, audit: bool) -> Settings:
    plugins: dict[str, dict[str, Any]] = {name: {"enabled": False} for name in OTHER_PLUGINS}
    plugins["audit"] = {"enabled": audit}
    return Settings(
        data_dir=data_dir,
        database=DatabaseSettings(url=url),
        web=WebSettings(enabled=False),
        ratelimit=RateLimitSettings(default="1000000/60s"),
        plugins=plugins,
    )


async def measure(url: str, data_dir: Path, audit: bool, requests: int) -> tuple[list[float], int]:
    """Reply latencies (ms) of ``requests`` commands, and the audit entries written."""
    async with LocalDiscord(spec=None) as discord:
        app = App(settings(url, data_dir, audit), bot_kwargs=bot_kwargs(discord))
        try:
            await app.start()
            app.plugins.records["bench"] = PluginRecord(
                source=PluginSource("bench", __name__), state=PluginState.AVAILABLE
            )
            await app.plugins.load("bench")
            async with connect_bot(app.bot, discord):
                member = discord.member("Alice")
                out = []
                for i in range(WARMUP + requests):
                    started = time.perf_counter()
                    reply = await (await member.slash("bench", "ping", note=f"n{i}")).wait_reply()
                    elapsed = (time.perf_counter() - started) * 1000
                    assert reply.data["content"] == "pong"
                    if i >= WARMUP:
                        out.append(elapsed)
            written = 0
            if audit:
                from plugins.audit.models import AuditEntry
                from plugins.audit.runtime import RUNTIME_NAME

                runtime = app.pm.get_plugin(RUNTIME_NAME)
                assert runtime is not None, "the audit plugin did not load"
                await runtime.writer.flush()
                written = await AuditEntry.filter(command="bench ping").count()
        finally:
            await app.close()
    return out, written


async def hot_path(n: int) -> tuple[float, float]:
    """Median microseconds of one ``emit(dbsbm_command_completed)``: no listener, audit's."""
    from core.events import CommandEvent, InteractionInfo, Outcome
    from core.hooks import emit, new_plugin_manager
    from plugins.audit.runtime import AuditRuntime
    from plugins.audit.settings import AuditSettings

    class Ctx:  # what AuditRuntime reads from its context; nothing is written here
        async def security_event(self, kind: str, **fields: Any) -> None:
            return None

    info = InteractionInfo(1, "command", "bench", "bench ping", 10, 20, 30, {"note": "n" * 50})
    event = CommandEvent(info, Outcome.OK, 0.001)
    medians = []
    for listen in (False, True):
        pm = new_plugin_manager()
        if listen:
            runtime = AuditRuntime(Ctx(), AuditSettings(queue_size=n + 1))  # type: ignore[arg-type]
            pm.register(runtime, name="audit.runtime")
        samples = []
        for _ in range(n):
            started = time.perf_counter_ns()
            await emit(pm.hook.dbsbm_command_completed, event=event)
            samples.append((time.perf_counter_ns() - started) / 1000)
        medians.append(statistics.median(samples))
    return medians[0], medians[1]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file per run)")
    args = parser.parse_args(argv)
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    results: dict[bool, list[float]] = {False: [], True: []}
    written = 0
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            for audit in (False, True):
                data_dir = Path(tmp) / f"r{round_}-{int(audit)}"
                url = args.database or f"sqlite://{data_dir}/bench.sqlite3"
                latencies, count = await measure(url, data_dir, audit, args.requests)
                results[audit].extend(latencies)
                written += count
    base, with_audit = results[False], results[True]
    print(f"reply latency of /bench ping, {len(base)} commands each (median / p95, ms):")
    print(f"  without audit: {statistics.median(base):7.3f} / {p95(base):7.3f}")
    print(f"  with audit:    {statistics.median(with_audit):7.3f} / {p95(with_audit):7.3f}")
    ratio = statistics.median(with_audit) / statistics.median(base)
    print(f"  ratio audit / baseline (median): {ratio:.3f}")
    print(f"  audit entries written for the measured runs: {written}")
    bare, audited = await hot_path(20_000)
    print("hot path: emit(dbsbm_command_completed), median us:")
    print(f"  no listener: {bare:.2f}   audit listener: {audited:.2f}   (+{audited - bare:.2f} us)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
