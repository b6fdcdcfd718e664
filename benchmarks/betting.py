"""Benchmark of placing picks: the framework's betting plugin beside a bare disnake bot.

    uv run python benchmarks/betting.py [--picks 10000] [--rate 200] [--postgres URL]
                                        [--with admin,audit,metrics]

Through the local Discord and the real disnake client, in one run: distinct simulated members
(``--members``, default 10,000, spread over 20 guilds) run ``/bet straight`` at a steady offered
rate (``--rate`` picks per second, one interaction every ``1/rate`` s whatever the replies do).
Latency is from sending INTERACTION_CREATE to the bot's reply callback arriving at the local
Discord. Each (database, bot) pair runs in its own process, one after the other. Two bots, each
on SQLite and (with ``--postgres`` or ``DBSBM_TEST_POSTGRES_URL``) on
PostgreSQL:

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

Prints throughput, p50/p95/p99, the process CPU time per pick (bot, local Discord and load
generator together: the same harness cost for both bots, so the difference is the bot's) and
the framework's overhead (framework / bare - 1) per database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import disnake  # noqa: E402
from disnake.ext import commands  # noqa: E402
from loguru import logger  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from core.database import AppSpec, Database  # noqa: E402
from core.migrations import upgrade  # noqa: E402
from core.testing import LocalDiscord, bot_kwargs, connect_bot  # noqa: E402
from core.testing.driver import Actor  # noqa: E402
from core.testing.harness import run_app  # noqa: E402
from core.testing.state import World  # noqa: E402
from plugins.betting.maths import OddsFormat  # noqa: E402
from plugins.betting.models import Game, Leg, Pick  # noqa: E402
from plugins.betting.slips import slip_embed  # noqa: E402

GUILDS = 20
PLUGINS: list[str] = []
"""More plugins beside betting in the framework bot (``--with``)."""
BETTING = AppSpec("betting", ["plugins.betting.models"], ROOT / "migrations")


def make_world(members: int) -> World:
    world = World()
    per_guild = -(-members // GUILDS)
    for g in range(GUILDS):
        guild = world.add_guild(f"Guild {g}")
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


def bare_bot(discord: LocalDiscord) -> commands.InteractionBot:
    """The baseline: the same queries, insert and reply, no framework."""
    bot = commands.InteractionBot(**bot_kwargs(discord))

    @bot.slash_command(name="bet")
    async def bet(inter: disnake.ApplicationCommandInteraction) -> None:
        """Bets."""

    @bet.sub_command()
    async def straight(
        inter: disnake.ApplicationCommandInteraction,
        league: str,
        game: str,
        market: str,
        selection: str,
        odds: str,
        units: str,
    ) -> None:
        """A straight pick."""
        found = await Game.get(id=int(game))
        american = Decimal(odds)
        stake = Decimal(units).quantize(Decimal("0.01"))
        to_win = (stake * 100 / -american if american < 0 else stake * american / 100).quantize(
            Decimal("0.01")
        )
        async with in_transaction() as conn:
            pick = await Pick.create(
                guild_id=inter.guild_id, user_id=inter.author.id, interaction_id=inter.id,
                kind="straight", league=league, stake=stake, to_win=to_win, stake_mode="risk",
                odds_decimal=Decimal("1.9091"), using_db=conn,
            )  # fmt: skip
            leg = await Leg.create(
                pick_id=pick.id, position=1, game_id=found.id, league=league,
                matchup=found.matchup, market=market, side="home", selection=selection,
                odds_format="american", odds_value=american, using_db=conn,
            )  # fmt: skip
        await inter.response.send_message(
            f"Pick #{pick.id} placed: risk {stake}u to win {to_win}u. "
            "No picks channel is set up (an admin can set one with /setup).",
            embed=slip_embed(pick, [leg], OddsFormat.AMERICAN),
            ephemeral=True,
            allowed_mentions=disnake.AllowedMentions.none(),
        )

    return bot


@asynccontextmanager
async def bare(discord: LocalDiscord, url: str, data_dir: Path) -> AsyncIterator[None]:
    await upgrade(url, [BETTING])
    db = Database(url, retries=0)
    await db.connect([BETTING])
    try:
        async with connect_bot(bare_bot(discord), discord):
            yield
    finally:
        await db.close()


@asynccontextmanager
async def framework(discord: LocalDiscord, url: str, data_dir: Path) -> AsyncIterator[None]:
    settings = {
        "web": {"enabled": False},
        "ratelimit": {"default": "1000000/60s", "commands": {}},
        "logging": {"level": "WARNING"},
    }
    plugins = ["betting", *PLUGINS]
    async with run_app(discord, data_dir, plugins=plugins, settings=settings, database_url=url):
        yield


async def offered_load(
    members: list[Actor], game_id: int, picks: int, rate: float
) -> tuple[list[float], float, float, int]:
    """Send ``picks`` interactions at ``rate`` per second; return latencies (s), the wall time,
    the process CPU time (s) and how many replies were not a placed pick."""
    latencies: list[float] = []
    failures = 0

    async def one(actor: Actor) -> None:
        nonlocal failures
        started = time.perf_counter()
        response = await actor.slash(
            "bet", "straight", league="NFL", game=str(game_id), market="moneyline",
            selection="Chiefs", odds="-110", units="1",
        )  # fmt: skip
        reply = await response.wait_reply(within=60)
        message = reply.message
        if reply.deferred:  # the pipeline deferred it (slow): the answer is the followup
            message = await response.wait_followup(within=60)
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


Runner = Callable[[LocalDiscord, str, Path], Any]


async def measure(
    kind: str, runner: Runner, url: str, args: argparse.Namespace
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = url.replace("{tmp}", tmp)
        async with (
            LocalDiscord(make_world(args.members), spec=False) as discord,
            runner(discord, url, Path(tmp)),
        ):
            game = await Game.create(
                source="bench", external_id="1", league="NFL", home="Chiefs", away="Bills",
                starts_at=datetime.now(UTC) + timedelta(days=1),
            )  # fmt: skip
            members = actors(discord, args.members)
            await offered_load(members, game.id, min(200, args.picks), args.rate)  # warm-up
            latencies, wall, cpu, failures = await offered_load(
                members, game.id, args.picks, args.rate
            )
    return {
        "throughput": len(latencies) / wall,
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "cpu_us": cpu / len(latencies) * 1_000_000,
        "failures": failures,
    }


async def child(args: argparse.Namespace) -> None:
    """One (database, bot) measurement, in its own process; prints one JSON line."""
    database, kind = args.child
    runner = {"bare": bare, "framework": framework}[kind]
    if database == "postgres":
        async with postgres_database(args.postgres) as url:
            result = await measure(kind, runner, url, args)
    else:
        result = await measure(kind, runner, "sqlite://{tmp}/bench.sqlite3", args)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--picks", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--postgres", default=os.environ.get("DBSBM_TEST_POSTGRES_URL", ""))
    parser.add_argument(
        "--with",
        dest="plugins",
        default="",
        help="more plugins for the framework bot, comma-separated (e.g. admin,audit,metrics)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    PLUGINS.extend(name for name in args.plugins.split(",") if name)
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")
    if args.child:
        asyncio.run(child(args))
        return
    databases = ["sqlite", *(["postgres"] if args.postgres else [])]
    print(
        f"{args.picks} picks at {args.rate:g}/s offered, {args.members} members in {GUILDS} guilds;"
        f" framework plugins: {', '.join(['betting', *PLUGINS])}"
    )
    print(
        f"{'database':9} {'bot':10} {'picks/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'CPU us/pick':>11} fail"
    )
    common = [
        *("--picks", str(args.picks), "--members", str(args.members), "--rate", str(args.rate)),
        *("--with", args.plugins),
    ]
    for name in databases:
        results = {}
        for kind in ("bare", "framework"):
            argv = [sys.executable, __file__, *common, "--postgres", args.postgres]
            out = subprocess.run([*argv, "--child", name, kind], capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"{name} {kind} failed:\n{out.stderr[-3000:]}")
            results[kind] = r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{name:9} {kind:10} {r['throughput']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
                f"{r['p99']:8.1f} {r['cpu_us']:11.0f} {int(r['failures'])}"
            )
        fw, base = results["framework"], results["bare"]
        print(
            f"{name:9} overhead   p50 {fw['p50'] / base['p50'] - 1:+.0%}  "
            f"p99 {fw['p99'] / base['p99'] - 1:+.0%}  "
            f"CPU/pick {fw['cpu_us'] / base['cpu_us'] - 1:+.0%}"
        )


if __name__ == "__main__":
    main()
