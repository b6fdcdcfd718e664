"""Benchmark of placing picks: the framework's betting plugin beside a bare disnake bot.

    uv run python benchmarks/betting.py [--picks 10000] [--rate 100,150,200] [--postgres URL]
                                        [--with admin,audit,metrics] [--in-process]

Through the local Discord and the real disnake client, in one run: distinct simulated members
(``--members``, default 10,000, spread over 20 guilds) run ``/bet straight`` at a steady offered
rate (``--rate`` picks per second, one interaction every ``1/rate`` s whatever the replies do).
Latency is from sending INTERACTION_CREATE to the bot's reply callback arriving at the local
Discord. Each (rate, database, bot) measurement runs in its own process, one after the other.

The bot runs in a process of its own (``benchmarks/_bot_process.py``) that connects to the local
Discord over loopback, as a deployed bot reaches Discord over the network; the measuring process
runs the local Discord and the load generator. ``--in-process`` runs the bot in the measuring
process and its event loop instead (the older mode: bot, local Discord and load generator then
share one loop and one core).

Two bots, each on SQLite and (with ``--postgres`` or ``DBSBM_TEST_POSTGRES_URL``, a fresh
database per measurement) on PostgreSQL:

- **framework**: an App with the betting plugin (and the ``--with`` plugins: audit and metrics
  listen to every event, admin adds its per-guild switch check); the full pipeline (duplicate
  check, command check, rate limit, validation, one transaction for pick and leg, cache
  invalidation, action event, reply);
- **bare** (the baseline): a ``commands.InteractionBot`` whose ``/bet straight`` reads the game,
  parses the odds and units, inserts the same pick and leg rows in one transaction, then sends
  the same reply (the same text and the same bet-slip embed).

No picks channel is set up, so neither bot posts a bet slip (a second Discord request that both
would pay alike). The local Discord runs without its OpenAPI request check here (``spec=False``):
that check is test tooling whose cost grows with the reply's size, not work a bot does.

Prints throughput, p50/p95/p99, the bot process's CPU time per pick (in ``--in-process`` mode
the whole process's: bot, local Discord and load generator), the measuring process's CPU time
per pick ("harness"), the bot process's resident memory after the load and its growth from
start per 10,000 distinct members served ("MiB/10k"), and the framework's overhead
(framework / bare - 1) per rate and database.

``--knee`` instead climbs the ``--rate`` ladder for each bot on PostgreSQL (SQLite without
``--postgres``) and prints the knee: the highest offered rate it held (every pick placed, at
least 98% of the offered rate, p99 under 100 ms), stopping at the first rate it did not hold.

``--processes 1,2`` compares the framework run as a cluster of that many bot processes instead
of the two bots (PostgreSQL and Redis, ``--redis`` or ``DBSBM_TEST_REDIS_URL``): one database,
``[cache] backend = "redis"``, shard count = processes, each process its own shard; the guilds'
ids spread them over the shards as Discord does (``(guild_id >> 22) % shard_count``). One
process is measured the same way (Redis cache, one shard), so the process count is the only
difference. CPU per pick and memory are the sums over the processes; with ``--knee`` it prints
each count's knee and the ratio of the knees.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loguru import logger  # noqa: E402

from benchmarks._bot_process import PREFIX, SETTINGS_ENV, bot_session, reading  # noqa: E402
from core.testing import BotDidNotAnswer, LocalDiscord  # noqa: E402
from core.testing.client import DiscordEndpoint  # noqa: E402
from core.testing.driver import Actor  # noqa: E402
from core.testing.state import World  # noqa: E402

GUILDS = 20
BOT_PROCESS = ROOT / "benchmarks" / "_bot_process.py"
BOT_READY_TIMEOUT = 120.0
"""How long the bot process may take to migrate, start and sync its commands."""


def make_world(members: int) -> World:
    """``GUILDS`` guilds of ``members`` in all; consecutive guilds sit on consecutive shards of
    any shard count (their ids' timestamps are; the base is new each run, so a Redis cache
    shared across runs never sees a previous run's guilds)."""
    world = World()
    per_guild = -(-members // GUILDS)
    base = 1_000_000 + secrets.randbelow(1_000_000) * 60  # a multiple of every count up to 6
    for g in range(GUILDS):
        guild = world.add_guild(f"Guild {g}", id=(base + g) << 22)
        guild.add_channel("general")
        for m in range(per_guild):
            guild.add_member(f"m{g}-{m}")
    return world


def actors(discord: LocalDiscord, members: int) -> list[Actor]:
    out: list[Actor] = []
    per_guild = -(-members // GUILDS)
    for m in range(per_guild):
        for g in range(GUILDS):
            if len(out) < members:
                out.append(discord.member(f"m{g}-{m}", guild=f"Guild {g}"))
    return out


async def offered_load(
    members: list[Actor], game_id: int, picks: int, rate: float
) -> tuple[list[float], float, float, int]:
    """Send ``picks`` interactions at ``rate`` per second; return latencies (s), the wall time,
    the process CPU time (s) and how many replies were not a placed pick or came too late."""
    latencies: list[float] = []
    failures = 0

    async def one(actor: Actor) -> None:
        nonlocal failures
        started = time.perf_counter()
        response = await actor.slash(
            "bet", "straight", league="NFL", game=str(game_id), market="moneyline",
            selection="Chiefs", odds="-110", units="1",
        )  # fmt: skip
        try:  # a deferred reply: its end
            reply = await response.wait_reply(within=60, finish_within=60)
        except BotDidNotAnswer:  # answered after Discord's 3 s (the bare bot does not defer)
            latencies.append(time.perf_counter() - started)
            failures += 1
            return
        message = reply.message
        latencies.append(time.perf_counter() - started)
        if message is None or "placed" not in message.content:
            failures += 1

    begin = time.perf_counter()
    cpu = time.process_time()
    tasks = []
    for i in range(picks):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(members[i % len(members)])))
    await asyncio.gather(*tasks)
    return latencies, time.perf_counter() - begin, time.process_time() - cpu, failures


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@asynccontextmanager
async def postgres_database(admin: str) -> AsyncIterator[str]:
    import asyncpg

    name = f"dbsbm_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        parts = urllib.parse.urlsplit(admin)
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@dataclass
class Bot:
    """A running bot under test: the game to bet on and a reading of the bot's CPU time (s,
    ``"cpu"``) and resident memory (MiB, ``"rss"``)."""

    game: int
    reading: Callable[[], Awaitable[dict[str, float]]]


@asynccontextmanager
async def bot_process(
    kind: str,
    endpoint: DiscordEndpoint,
    url: str,
    data_dir: Path,
    plugins: list[str],
    settings: dict[str, Any] | None = None,
) -> AsyncIterator[Bot]:
    """The ``kind`` bot in its own process (``benchmarks/_bot_process.py``), connected to the
    local Discord over loopback; yields once its commands are synced. ``settings``: more
    settings for the framework (see ``SETTINGS_ENV``)."""
    env = {**os.environ, SETTINGS_ENV: json.dumps(settings or {})}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(BOT_PROCESS), kind, url, str(data_dir), ",".join(plugins),
        json.dumps(dataclasses.asdict(endpoint)),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    async def said() -> dict[str, float]:
        while line := await stdout.readline():
            if line.startswith(PREFIX.encode()):
                message: dict[str, float] = json.loads(line[len(PREFIX) :])
                return message
        msg = f"The {kind} bot process stopped (exit code {await proc.wait()})"
        raise RuntimeError(msg)

    async def read() -> dict[str, float]:
        stdin.write(b"cpu\n")
        await stdin.drain()
        return await said()

    try:
        ready = await asyncio.wait_for(said(), BOT_READY_TIMEOUT)
        yield Bot(int(ready["game"]), read)
    finally:
        stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@asynccontextmanager
async def bot_in_process(
    kind: str, endpoint: DiscordEndpoint, url: str, data_dir: Path, plugins: list[str]
) -> AsyncIterator[Bot]:
    """The ``kind`` bot in this process and event loop (``--in-process``): its CPU time is the
    whole process's, the local Discord's and the load generator's included."""

    async def read() -> dict[str, float]:
        return reading()

    async with bot_session(kind, endpoint, url, data_dir, plugins) as game:
        yield Bot(game, read)


@asynccontextmanager
async def cluster(
    processes: int,
    endpoint: DiscordEndpoint,
    url: str,
    data_dir: Path,
    plugins: list[str],
    redis: str,
) -> AsyncIterator[Bot]:
    """The framework as ``processes`` bot processes of one cluster, one shard each, started one
    after the other (the first migrates the database); reads the sum of their CPU and memory."""
    key = f"dbsbm-bench-{secrets.token_hex(4)}"
    async with AsyncExitStack() as stack:
        bots = []
        for shard in range(processes):
            settings = {
                "cache": {"backend": "redis", "redis_url": redis},
                "discord": {"shard_count": processes, "shard_ids": [shard]},
                "cluster": {"key": key},
            }
            own = data_dir / f"process-{shard}"
            own.mkdir()
            bots.append(
                await stack.enter_async_context(
                    bot_process("framework", endpoint, url, own, plugins, settings)
                )
            )

        async def read() -> dict[str, float]:
            readings = [await bot.reading() for bot in bots]
            return {"cpu": sum(r["cpu"] for r in readings), "rss": sum(r["rss"] for r in readings)}

        yield Bot(bots[0].game, read)


def start(
    kind: str, args: argparse.Namespace, endpoint: DiscordEndpoint, url: str, data_dir: Path
) -> AbstractAsyncContextManager[Bot]:
    """The bot ``kind`` names: ``bare``, ``bare-fast``, ``framework``, or ``framework*N`` (a
    cluster of N processes)."""
    plugins = [name for name in args.plugins.split(",") if name]
    if "*" in kind:
        return cluster(int(kind.split("*")[1]), endpoint, url, data_dir, plugins, args.redis)
    start_bot = bot_in_process if args.in_process else bot_process
    return start_bot(kind, endpoint, url, data_dir, plugins)


async def measure(kind: str, url: str, args: argparse.Namespace) -> dict[str, float | None]:
    with tempfile.TemporaryDirectory() as tmp:
        url = url.replace("{tmp}", tmp)
        async with (
            LocalDiscord(make_world(args.members), spec=False) as discord,
            start(kind, args, DiscordEndpoint.of(discord), url, Path(tmp)) as bot,
        ):
            discord.world.find_command(discord.world.guild("Guild 0").id, "bet")  # synced
            members = actors(discord, args.members)
            ready = await bot.reading()
            warm_up = min(200, args.picks)
            await offered_load(members, bot.game, warm_up, args.rate)
            before = await bot.reading()
            latencies, wall, cpu, failures = await offered_load(
                members, bot.game, args.picks, args.rate
            )
            after = await bot.reading()
    seen = min(args.members, warm_up + args.picks)  # distinct members who placed a pick
    return {
        "throughput": len(latencies) / wall,
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "cpu_us": (after["cpu"] - before["cpu"]) / len(latencies) * 1_000_000,
        "rss": after["rss"],
        "rss_per_10k": (after["rss"] - ready["rss"]) * 10_000 / seen,
        "harness_us": None if args.in_process else cpu / len(latencies) * 1_000_000,
        "failures": failures,
    }


async def child(args: argparse.Namespace) -> None:
    """One (database, bot) measurement, in its own process; prints one JSON line."""
    database, kind = args.child
    if database == "postgres":
        async with postgres_database(args.postgres) as url:
            result = await measure(kind, url, args)
    else:
        result = await measure(kind, "sqlite://{tmp}/bench.sqlite3", args)
    print(json.dumps(result))


P99_TARGET_MS = 100.0


def run_one(name: str, kind: str, rate: float, args: argparse.Namespace) -> dict[str, float]:
    """One measurement in its own process; prints its row and returns it."""
    common = [
        *("--picks", str(args.picks), "--members", str(args.members), "--rate", f"{rate:g}"),
        *("--with", args.plugins, "--postgres", args.postgres, "--redis", args.redis),
        *(["--in-process"] if args.in_process else []),
    ]
    argv = [sys.executable, __file__, *common, "--child", name, kind]
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{name} {kind} failed:\n{out.stderr[-3000:]}")
    r: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    harness = "-" if r["harness_us"] is None else f"{r['harness_us']:.0f}"
    print(
        f"{rate:7g} {name:9} {kind:10} {r['throughput']:8.1f} {r['p50']:8.1f} "
        f"{r['p95']:8.1f} {r['p99']:8.1f} {r['cpu_us']:11.0f} {harness:>11} "
        f"{r['rss']:7.0f} {r['rss_per_10k']:7.1f} {int(r['failures'])}",
        flush=True,
    )
    return r


def held(result: dict[str, float], rate: float) -> bool:
    """Whether a run kept up: every pick placed, 98% of the offered rate, p99 under target."""
    return (
        not result["failures"]
        and result["throughput"] >= 0.98 * rate
        and result["p99"] < P99_TARGET_MS
    )


def bots(args: argparse.Namespace) -> tuple[str, ...]:
    """The baseline bot (as installed the ordinary way, or with the framework's speed-ups under
    ``--bare-speedups``), then the framework; with ``--processes``, the framework as clusters of
    each count."""
    if args.processes:
        return tuple(f"framework*{count}" for count in args.processes.split(","))
    return ("bare-fast" if args.bare_speedups else "bare", "framework")


def run_knee(name: str, rates: list[float], args: argparse.Namespace) -> None:
    """Climb ``rates`` for each bot until one is not held; print each bot's knee."""
    knees = {}
    for kind in bots(args):
        knees[kind] = 0.0
        for rate in sorted(rates):
            if not held(run_one(name, kind, rate, args), rate):
                break
            knees[kind] = rate
    for kind, knee in knees.items():
        print(f"knee {name} {kind}: {knee:g} picks/s (p99 < {P99_TARGET_MS:g} ms)", flush=True)
    if args.processes and len(knees) > 1:
        first, *others = knees.items()
        for kind, knee in others:
            ratio = f"{knee / first[1]:.2f}" if first[1] else "-"
            print(f"knee ratio {kind} / {first[0]}: {ratio}", flush=True)


def run_pair(name: str, rate: float, args: argparse.Namespace) -> None:
    """Bare then framework on database ``name`` at ``rate``, each in its own process; print both
    rows and the framework's overhead."""
    kinds = bots(args)
    results = {kind: run_one(name, kind, rate, args) for kind in kinds}
    fw, base = results[kinds[-1]], results[kinds[0]]
    print(
        f"{rate:7g} {name:9} {kinds[-1]} / {kinds[0]}:  p50 {fw['p50'] / base['p50'] - 1:+.0%}  "
        f"p95 {fw['p95'] / base['p95'] - 1:+.0%}  p99 {fw['p99'] / base['p99'] - 1:+.0%}  "
        f"CPU/pick {fw['cpu_us'] / base['cpu_us'] - 1:+.0%}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--picks", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--rate", default="200", help="offered picks per second; several: comma-separated"
    )
    parser.add_argument("--postgres", default=os.environ.get("DBSBM_TEST_POSTGRES_URL", ""))
    parser.add_argument(
        "--databases",
        help="which databases to run on, comma-separated: sqlite, postgres (needs --postgres); "
        "default: sqlite, and postgres when --postgres is given",
    )
    parser.add_argument(
        "--with",
        dest="plugins",
        default="",
        help="more plugins for the framework bot, comma-separated (e.g. admin,audit,metrics)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the bot in the load generator's process and event loop (the old mode)",
    )
    parser.add_argument(
        "--bare-speedups",
        action="store_true",
        help="give the bare bot the framework's speed-ups too (orjson, uvloop)",
    )
    parser.add_argument(
        "--knee", action="store_true", help="find each bot's knee over the --rate ladder"
    )
    parser.add_argument("--redis", default=os.environ.get("DBSBM_TEST_REDIS_URL", ""))
    parser.add_argument(
        "--processes",
        default="",
        help="compare the framework as clusters of these many processes, comma-separated "
        "(PostgreSQL and Redis; e.g. 1,2)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rate.split(",")]
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")
    if args.child:
        args.rate = rates[0]
        asyncio.run(child(args))
        return
    if args.processes and not (args.postgres and args.redis):
        sys.exit(
            "--processes needs PostgreSQL (--postgres) and Redis (--redis): one database "
            "and one cache for every process"
        )
    if args.processes and args.in_process:
        sys.exit("--processes runs each bot process on its own: not with --in-process")
    databases = ["sqlite", *(["postgres"] if args.postgres else [])]
    if args.databases is not None:
        chosen = [name.strip() for name in args.databases.split(",") if name.strip()]
        if unknown := sorted(set(chosen) - {"sqlite", "postgres"}):
            sys.exit(f"--databases: unknown {', '.join(unknown)} (sqlite, postgres)")
        if "postgres" in chosen and not args.postgres:
            sys.exit("--databases postgres needs --postgres URL (or DBSBM_TEST_POSTGRES_URL)")
        if not chosen:
            sys.exit("--databases: name at least one of sqlite, postgres")
        databases = [name for name in ("sqlite", "postgres") if name in chosen]
    if args.processes:
        databases = ["postgres"]
    mode = "in the load generator's process" if args.in_process else "in its own process"
    print(
        f"{args.picks} picks per run, {args.members} members in {GUILDS} guilds; bot {mode};"
        f" framework plugins: {', '.join(['betting', *filter(None, args.plugins.split(','))])}"
    )
    print(
        f"{'offered':>7} {'database':9} {'bot':10} {'picks/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'CPU us/pick':>11} {'harness us':>11} {'RSS MiB':>7} {'MiB/10k':>7} fail"
    )
    if args.knee:
        run_knee(databases[-1], rates, args)
        return
    for rate in rates:
        for name in databases:
            run_pair(name, rate, args)


if __name__ == "__main__":
    main()
