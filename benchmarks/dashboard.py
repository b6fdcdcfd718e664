"""Benchmark of the dashboard's pages and ``/api/v1`` reads on a large guild.

    uv run python benchmarks/dashboard.py [--postgres URL] [--members 10000] [--picks 100000]
                                          [--requests 200] [--after-grade 10]

A fresh PostgreSQL database (``--postgres`` or ``DBSBM_TEST_POSTGRES_URL``) gets ``--picks`` graded
and open picks of ``--members`` members of one guild on 500 games (bulk inserts: the seed is not
what is measured). The bot — dashboard, betting, audit, admin — runs on the local Discord; one
logged-in browser session (the guild's owner, who may see every page) asks each GET page and one
personal token each GET endpoint ``--requests`` times in turn, one request at a time, through the
real web server. A path's ``{guild_id}`` is the
guild, ``{user_id}`` the member with the most picks, ``{pick_id}`` an open pick, other parameters
are skipped.

Prints, per route, p50 / p95 / p99 in milliseconds, beside the target (pages: p95 under 150 ms;
API reads: p99 under 50 ms) and, as the baseline measured in the same run, ``GET /health`` (the
web server's cheapest answer); then the same routes right after a grade, with the betting
plugin's caches dropped before each request (no target: what the first reader after a
grade waits).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loguru import logger  # noqa: E402

from core.pages import Scope  # noqa: E402
from core.testing.harness import run_app  # noqa: E402
from core.testing.server import LocalDiscord  # noqa: E402
from core.testing.state import World  # noqa: E402
from core.testing.visitor import Visitor, allow_login, dashboard_settings  # noqa: E402

GAMES = 500
BATCH = 5_000
PAGE_P95_MS = 150.0
API_P99_MS = 50.0
DROPPED = ("betting.stats", "betting.leaderboard", "betting.lists")
"""The cache namespaces a grade empties (of its server: here the one server)."""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def make_world(members: int) -> World:
    world = World()
    guild = world.add_guild("Big Guild")
    guild.add_channel("general")
    for i in range(members):
        guild.add_member(f"member{i}")
    return world


async def seed(guild_id: int, users: list[int], picks: int) -> dict[str, int]:
    """Games and picks in bulk; returns ids the routes' parameters need."""
    from plugins.betting.models import Game, Leg, Pick

    rng = random.Random(7)
    now = datetime.now(UTC)
    games = [
        Game(
            source="api-sports",
            external_id=f"bench:{i}",
            league="NFL",
            sport="american-football",
            home=f"Home {i}",
            away=f"Away {i}",
            starts_at=now - timedelta(days=GAMES - i) + timedelta(days=2),
            status="final" if i < GAMES - 50 else "scheduled",
            home_score=rng.randint(0, 40) if i < GAMES - 50 else None,
            away_score=rng.randint(0, 40) if i < GAMES - 50 else None,
        )
        for i in range(GAMES)
    ]
    await Game.bulk_create(games, batch_size=BATCH)
    game_ids = list(await Game.all().order_by("id").values_list("id", flat=True))
    weights = [1 / (i + 1) for i in range(len(users))]  # a few busy cappers, a long tail
    for start in range(0, picks, BATCH):
        rows = []
        for n in range(start, min(picks, start + BATCH)):
            game = rng.randrange(len(game_ids))
            final = game < GAMES - 50
            result = rng.choice(["won", "lost", "lost", "won", "push"]) if final else "pending"
            stake = Decimal(rng.choice(["0.5", "1.00", "2.00", "3.00"]))
            units = {"won": stake * Decimal("0.91"), "lost": -stake, "push": Decimal(0)}
            rows.append(
                Pick(
                    guild_id=guild_id,
                    user_id=rng.choices(users, weights)[0],
                    interaction_id=10**15 + n,
                    kind="straight",
                    league="NFL",
                    stake=stake,
                    to_win=(stake * Decimal("0.91")).quantize(Decimal("0.01")),
                    stake_mode="risk",
                    odds_decimal=Decimal("1.9091"),
                    status=result,
                    result_units=units.get(result),
                    graded_at=now - timedelta(days=GAMES - game) if final else None,
                    graded_by=0 if final else None,
                )
            )
        await Pick.bulk_create(rows, batch_size=BATCH)
    pick_rows = await Pick.filter(guild_id=guild_id).order_by("id").values_list("id", flat=True)
    legs = [
        Leg(
            pick_id=pick_id,
            position=1,
            game_id=game_ids[rng.randrange(len(game_ids))],
            league="NFL",
            matchup="Away @ Home",
            market="moneyline",
            side="home",
            selection="Home",
            odds_format="american",
            odds_value=Decimal("-110"),
        )
        for pick_id in pick_rows
    ]
    await Leg.bulk_create(legs, batch_size=BATCH)
    busiest = await Pick.filter(guild_id=guild_id, user_id=users[0]).first()
    open_pick = await Pick.filter(guild_id=guild_id, status="pending").first()
    return {
        "user_id": busiest.user_id if busiest else users[0],
        "pick_id": open_pick.id if open_pick else 0,
    }


def concrete(path: str, values: dict[str, int]) -> str | None:
    """``path`` with its parameters filled in, or ``None`` when one is unknown here."""
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    return None if "{" in path else path


async def timed(call: Callable[[], Awaitable[int]], status_ok: tuple[int, ...]) -> float:
    started = time.perf_counter()
    status = await call()
    elapsed = (time.perf_counter() - started) * 1000
    if status not in status_ok:
        raise RuntimeError(f"answered {status}")
    return elapsed


async def measure(args: argparse.Namespace, url: str) -> None:
    from benchmarks.betting import postgres_database

    logger.remove()
    world = make_world(args.members)
    async with postgres_database(url) as database, LocalDiscord(world, spec=False) as discord:
        guild = discord.guild
        users = [m.id for m in guild.members if not m.user.bot]
        section = {**dashboard_settings(discord), "api_rate": "1000000/1m"}
        settings: dict[str, Any] = {
            "plugins": {"dashboard": section},
            "ratelimit": {"web": "1000000/1m"},
        }
        with tempfile.TemporaryDirectory() as folder:
            plugins = ["dashboard", "betting", "audit", "admin"]
            async with run_app(
                discord, Path(folder), plugins=plugins, settings=settings, database_url=database
            ) as app:
                allow_login(discord, app.web.url)
                seeded = time.perf_counter()
                values = {"guild_id": guild.id, **await seed(guild.id, users, args.picks)}
                print(f"seeded {args.picks} picks in {time.perf_counter() - seeded:.1f} s")
                await run_rounds(app, discord, values, args.requests, args.after_grade)


async def run_rounds(
    app: Any, discord: LocalDiscord, values: dict[str, int], rounds: int, after_grade: int
) -> None:
    front = app.plugins.services.get("dashboard.front")
    owner = discord.owner
    guild = discord.guild
    owner_guilds = [{"id": str(guild.id), "name": guild.name, "permissions": "8", "owner": True}]
    _, token = await front.api.tokens.create(owner.id, "bench", frozenset(Scope), owner_guilds)
    pages = [
        (f"page {p.path}", path)
        for _, p in app.web.registry.pages.all()
        if "GET" in p.methods
        and not p.path.startswith("/login")
        and (path := concrete(p.path, values))
    ]
    endpoints = [
        (f"api {e.path}", path)
        for _, e in app.web.registry.endpoints.all()
        if e.method == "GET" and (path := concrete(e.path, values))
    ]
    routes = [("baseline /health", "/health"), *pages, *endpoints]
    cached: dict[str, list[float]] = {name: [] for name, _ in routes}
    dropped: dict[str, list[float]] = {name: [] for name, _ in routes}
    async with Visitor(discord, app.web.url) as browser:
        await browser.login(owner)

        async def page(path: str) -> int:
            return (await browser.get(path, follow=False)).status

        async def api(path: str) -> int:
            return (await browser.api("GET", path, token=token))[0]

        async def health() -> int:
            return (await browser.get("/health")).status

        async def drop() -> None:
            """What a grade drops: the betting plugin's cached records, boards and lists."""
            for namespace in DROPPED:
                await app.cache.namespace(namespace).clear()

        async def sample(samples: dict[str, list[float]], cold: bool) -> None:
            samples["baseline /health"].append(await timed(health, (200, 503)))
            for name, path in pages:
                if cold:
                    await drop()
                samples[name].append(await timed(lambda p=path: page(p), (200,)))
            for name, path in endpoints:
                if cold:
                    await drop()
                samples[name].append(await timed(lambda p=path: api(p), (200,)))

        for _ in range(3):  # warm up every route once (templates compiled, caches filled)
            await sample({name: [] for name, _ in routes}, cold=False)
        for _ in range(rounds):
            await sample(cached, cold=False)
        for _ in range(after_grade):
            await sample(dropped, cold=True)
    print("served as members see it most of the time (the core cache filled):")
    report(cached, with_targets=True)
    print("\nright after a grade (the betting caches dropped before each request):")
    report(dropped, with_targets=False)


def report(samples: dict[str, list[float]], *, with_targets: bool) -> None:
    print(f"{'route':<48} {'p50':>8} {'p95':>8} {'p99':>8}  target")
    for name, values_ms in samples.items():
        target = met = ""
        if with_targets and name.startswith("page"):
            target = f"p95 < {PAGE_P95_MS:g} ms"
            met = " ok" if percentile(values_ms, 95) < PAGE_P95_MS else " MISSED"
        elif with_targets and name.startswith("api"):
            target = f"p99 < {API_P99_MS:g} ms"
            met = " ok" if percentile(values_ms, 99) < API_P99_MS else " MISSED"
        print(
            f"{name:<48} {statistics.median(values_ms):8.1f} {percentile(values_ms, 95):8.1f} "
            f"{percentile(values_ms, 99):8.1f}  {target}{met}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("DBSBM_TEST_POSTGRES_URL"))
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--picks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--after-grade", type=int, default=10, help="rounds with the caches dropped (default 10)"
    )
    args = parser.parse_args()
    if not args.postgres:
        parser.error("give --postgres URL (or set DBSBM_TEST_POSTGRES_URL)")
    asyncio.run(measure(args, args.postgres))


if __name__ == "__main__":
    main()
