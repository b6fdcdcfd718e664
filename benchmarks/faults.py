"""Faults under load: members place picks while the database, the cache or Discord misbehave.

    uv run python benchmarks/faults.py [--rate 50] [--only cut,stall] [--postgres URL]
        [--mysql URL] [--redis URL]

The betting bot (the real disnake client on the local Discord, in this process) serves
``/bet straight`` at ``--rate`` picks per second from many members while one fault runs in the
middle of the load; afterwards the database is read back. One table, one row per fault and
backend: picks sent, acknowledged (told "placed"), stored, lost (acknowledged but not stored),
duplicated, false errors (told something went wrong for a stored pick), error replies,
unanswered, undelivered (no bot session to deliver to) and seconds from the fault's end until
every pick is acknowledged again. Each backend's first row is the same load with no fault, the
baseline of the run. Before each row the heap built so far is frozen (``gc.freeze``): in this one
process it is mostly the local Discord's and the load generator's, whose collection would pause
the bot for hundreds of milliseconds (a deployed bot does not hold it). Backends come from
``--postgres`` / ``--mysql`` / ``--redis`` or the ``DBSBM_TEST_*_URL`` variables; rows whose
backend is missing are left out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from loguru import logger

from core.testing import FaultProxy, hold_sqlite_lock
from tests.faults.load import Fault, PickLoad, Tally, print_table


@dataclass(frozen=True)
class Scenario:
    """One fault: its name, the backends it runs on, and how long it lasts (seconds)."""

    name: str
    backends: tuple[str, ...]
    seconds: float
    make: Callable[[PickLoad, FaultProxy | None, Path], Fault]


@contextlib.asynccontextmanager
async def nothing() -> AsyncIterator[None]:
    yield


def proxy_fault(kind: str) -> Callable[[PickLoad, FaultProxy | None, Path], Fault]:
    def make(load: PickLoad, proxy: FaultProxy | None, db: Path) -> Fault:
        assert proxy is not None
        return lambda: proxy.fault(kind)

    return make


def repeated_stalls(times: int, stall: float, gap: float) -> Callable[..., Fault]:
    """Stall the connections ``times`` times for ``stall`` seconds, ``gap`` seconds apart."""

    def make(load: PickLoad, proxy: FaultProxy | None, db: Path) -> Fault:
        assert proxy is not None

        @contextlib.asynccontextmanager
        async def fault() -> AsyncIterator[None]:
            async def run() -> None:
                for _ in range(times):
                    proxy.stall()
                    await asyncio.sleep(stall)
                    await proxy.restore()
                    await asyncio.sleep(gap)

            task = asyncio.create_task(run())
            try:
                yield
            finally:
                await task

        return fault

    return make


def sqlite_locked(load: PickLoad, proxy: FaultProxy | None, db: Path) -> Fault:
    return lambda: hold_sqlite_lock(db)


def callback_errors(times: int) -> Callable[..., Fault]:
    def make(load: PickLoad, proxy: FaultProxy | None, db: Path) -> Fault:
        @contextlib.asynccontextmanager
        async def fault() -> AsyncIterator[None]:
            load.discord.faults.server_error("POST", "/interactions/*", status=502, times=times)
            try:
                yield
            finally:
                load.discord.faults.clear()

        return fault

    return make


def gateway(action: str) -> Callable[..., Fault]:
    def make(load: PickLoad, proxy: FaultProxy | None, db: Path) -> Fault:
        @contextlib.asynccontextmanager
        async def fault() -> AsyncIterator[None]:
            faults = load.discord.faults
            if action == "op7":
                await faults.request_reconnect()
            elif action == "op9":
                await faults.invalidate_session()
            elif action == "drop":
                await faults.drop_gateway()
            else:
                await faults.close_gateway(4000)
            yield

        return fault

    return make


SCENARIOS = [
    Scenario("database cut 10 s", ("postgres", "mysql"), 10.0, proxy_fault("cut")),
    Scenario("database file locked 10 s", ("sqlite",), 10.0, sqlite_locked),
    Scenario("database stall 2.2 s x10", ("postgres",), 40.0, repeated_stalls(10, 2.2, 1.8)),
    Scenario("database stall 30 s", ("postgres",), 30.0, proxy_fault("stall")),
    Scenario("redis cut 10 s", ("redis",), 10.0, proxy_fault("cut")),
    Scenario("redis stall 5 s", ("redis",), 5.0, proxy_fault("stall")),
    Scenario("callback 502 x40", ("sqlite",), 3.0, callback_errors(40)),
    Scenario("callback 502 x150", ("sqlite",), 3.0, callback_errors(150)),
    Scenario("gateway op 7", ("sqlite",), 1.0, gateway("op7")),
    Scenario("gateway op 9", ("sqlite",), 1.0, gateway("op9")),
    Scenario("gateway socket drop", ("sqlite",), 1.0, gateway("drop")),
    Scenario("gateway close 4000", ("sqlite",), 1.0, gateway("close4000")),
]


@contextlib.asynccontextmanager
async def backend(
    kind: str, args: argparse.Namespace, tmp: Path
) -> AsyncIterator[tuple[PickLoad, FaultProxy | None, Path]]:
    """The bot on ``kind`` (sqlite/postgres/mysql, or redis: SQLite plus the Redis cache),
    with a fault proxy in front of the server."""
    from db_backends import fresh_database

    db_path = tmp / "db" / "test.sqlite3"
    if kind == "redis":
        async with (
            FaultProxy.for_url(args.redis) as proxy,
            PickLoad.started(
                tmp,
                cache_url=proxy.url(args.redis),
                ratelimit_url=proxy.url(args.redis),
                members=args.members,
                check_requests=False,
            ) as load,
        ):
            yield load, proxy, db_path
        return
    os.environ.setdefault("DBSBM_TEST_POSTGRES_URL", args.postgres)
    os.environ.setdefault("DBSBM_TEST_MYSQL_URL", args.mysql)
    async with fresh_database(kind, tmp) as url:
        if kind == "sqlite":
            async with PickLoad.started(
                tmp, database_url=url, members=args.members, check_requests=False
            ) as load:
                yield load, None, db_path
            return
        async with (
            FaultProxy.for_url(url) as proxy,
            PickLoad.started(
                tmp, database_url=proxy.url(url), members=args.members, check_requests=False
            ) as load,
        ):
            yield load, proxy, db_path


async def run(args: argparse.Namespace) -> list[Tally]:
    wanted = set(args.only.split(",")) if args.only else None
    available = {"sqlite": True, "postgres": bool(args.postgres), "mysql": bool(args.mysql)}
    available["redis"] = bool(args.redis)
    tallies: list[Tally] = []
    for kind in ("sqlite", "postgres", "mysql", "redis"):
        scenarios = [
            s
            for s in SCENARIOS
            if kind in s.backends and (wanted is None or any(w in s.name for w in wanted))
        ]
        if not scenarios or not available[kind]:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            async with backend(kind, args, Path(tmp)) as (load, proxy, db):
                baseline = await load.run(
                    "none (baseline)",
                    kind,
                    rate=args.rate,
                    seconds=args.lead * 2,
                    fault=nothing,
                    fault_at=args.lead,
                    fault_for=0.0,
                )
                tallies.append(baseline)
                for scenario in scenarios:
                    gc.collect()
                    gc.freeze()  # the harness's heap (the local Discord's history) is not the bot's
                    tally = await load.run(
                        scenario.name,
                        kind,
                        rate=args.rate,
                        seconds=args.lead + scenario.seconds + args.after,
                        fault=scenario.make(load, proxy, db),
                        fault_at=args.lead,
                        fault_for=scenario.seconds,
                    )
                    tallies.append(tally)
                    print(f"  {kind:8} {scenario.name}: {tally.problems() or 'all promises kept'}")
                    if args.detail:
                        for sent in tally.sends:
                            if sent.answer != "ok":
                                stored = tally.stored[sent.interaction_id]
                                print(
                                    f"    sent at {sent.at:6.2f}s: {sent.answer:11} after "
                                    f"{sent.answered_in or 0:5.2f}s, stored {stored}: "
                                    f"{sent.text[:70]!r}"
                                )
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="picks per second")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--lead", type=float, default=3.0, help="seconds before the fault")
    parser.add_argument("--after", type=float, default=5.0, help="seconds after the fault")
    parser.add_argument("--only", default="", help="comma-separated parts of scenario names")
    parser.add_argument("--detail", action="store_true", help="print every pick not acknowledged")
    parser.add_argument("--postgres", default=os.environ.get("DBSBM_TEST_POSTGRES_URL", ""))
    parser.add_argument("--mysql", default=os.environ.get("DBSBM_TEST_MYSQL_URL", ""))
    parser.add_argument("--redis", default=os.environ.get("DBSBM_TEST_REDIS_URL", ""))
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")  # the faults make the bot log; the table is the output
    tallies = asyncio.run(run(args))
    print()
    print_table(tallies)


if __name__ == "__main__":
    main()
