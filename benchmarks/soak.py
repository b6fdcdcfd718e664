"""A bounded soak: picks placed for minutes under random database, Redis and gateway faults.

    uv run python benchmarks/soak.py [--minutes 20] [--rate 50] [--gap 20] [--seed 1]
        [--postgres URL] [--redis URL]

The betting bot of ``benchmarks/faults.py`` (the real disnake client on the local Discord, in this
process) runs on PostgreSQL and with its cache and rate limiter on Redis, each behind a
:class:`~core.testing.FaultProxy`. The run is a series of rounds of ``tests/faults/load.py``'s
:meth:`PickLoad.run` at ``--rate`` picks per second: each round is a clean stretch of about
``--gap`` seconds (drawn between half and one and a half times it), then one fault drawn from
``benchmarks/faults.py``'s database, Redis and gateway scenarios, then ``--after`` seconds of clean
load; the last round, when too little time is left for a fault, is clean. Between rounds the load
pauses while the round's last answers arrive and its picks are read back. The default rate is
50 picks/s: with bot, local Discord, load generator and both proxies in one event loop, 100
picks/s without any fault already builds a backlog on a 2-core machine (mean answer 19 s in a
clean minute on 2026-12-02, against 22 ms at 50/s), which would measure the harness, not faults.

Prints one line per round, then over the whole run: availability (share of picks acknowledged,
faults included), error rate (share of picks not acknowledged, over the whole run and outside the
faults: picks sent more than Discord's 3 s answer deadline before a fault began, or once the bot
served normally again after it), the promises of ``docs/RELIABILITY.md`` broken, the recovery
times (seconds from a fault's end until every pick is acknowledged again) and the response time
of the picks acknowledged outside the faults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loguru import logger

from benchmarks.betting import percentile
from benchmarks.faults import SCENARIOS, Scenario, nothing
from core.testing import FaultProxy
from tests.faults.load import ERROR_WITHIN, PickLoad, Sent, Tally

SOAKED = [
    s
    for s in SCENARIOS
    if s.name.startswith(("database cut", "database stall", "redis", "gateway"))
]
"""The faults a soak draws from: the fault benchmark's database, Redis and gateway scenarios."""


@dataclass
class Bot:
    """The soaked bot, and the proxies in front of its database and its Redis."""

    load: PickLoad
    database: FaultProxy
    redis: FaultProxy
    data_dir: Path

    def proxy_for(self, scenario: Scenario) -> FaultProxy | None:
        """The proxy a scenario acts on (none: a gateway fault acts on the local Discord)."""
        if "redis" in scenario.backends:
            return self.redis
        if "postgres" in scenario.backends:
            return self.database
        return None


@contextlib.asynccontextmanager
async def soaked_bot(args: argparse.Namespace, tmp: Path) -> AsyncIterator[Bot]:
    """The betting bot on a fresh PostgreSQL database and on Redis, both behind a fault proxy."""
    from db_backends import fresh_database

    os.environ.setdefault("DBSBM_TEST_POSTGRES_URL", args.postgres)
    async with (
        fresh_database("postgres", tmp) as url,
        FaultProxy.for_url(url) as database,
        FaultProxy.for_url(args.redis) as redis,
        PickLoad.started(
            tmp,
            database_url=database.url(url),
            cache_url=redis.url(args.redis),
            ratelimit_url=redis.url(args.redis),
            members=args.members,
            check_requests=False,
        ) as load,
    ):
        # Discord would hold one picks channel to 5 slips per 5 s; the soak measures the bot
        load.discord.rate_limits.enabled = False
        yield Bot(load, database, redis, tmp)


async def soak(args: argparse.Namespace) -> list[Tally]:
    """Rounds of load, each with one random fault, until ``--minutes`` have passed."""
    rng = random.Random(args.seed)
    tallies: list[Tally] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with soaked_bot(args, Path(tmp)) as bot:
            began = time.monotonic()
            while (left := args.minutes * 60 - (time.monotonic() - began)) > 1:
                scenario = rng.choice(SOAKED)
                lead = rng.uniform(args.gap / 2, args.gap * 1.5)
                seconds = lead + scenario.seconds + args.after
                gc.collect()
                gc.freeze()  # the harness's heap (the local Discord's history) is not the bot's
                if seconds > left:
                    tally = await bot.load.run(
                        "none", "postgres+redis", rate=args.rate, seconds=left,
                        fault=nothing, fault_at=left, fault_for=0.0,
                    )  # fmt: skip
                else:
                    tally = await bot.load.run(
                        scenario.name, "postgres+redis", rate=args.rate, seconds=seconds,
                        fault=scenario.make(bot.load, bot.proxy_for(scenario), bot.data_dir),
                        fault_at=lead, fault_for=scenario.seconds,
                    )  # fmt: skip
                tallies.append(tally)
                print(round_line(time.monotonic() - began, tally), flush=True)
    return tallies


def round_line(at: float, tally: Tally) -> str:
    recovered = "-" if tally.fault == "none" else _seconds(tally.recovered_after)
    broken = tally.problems() if tally.fault != "none" else _broken_promises(tally)
    return (
        f"{at:7.0f}s  {tally.fault:26} sent {len(tally.sends):5}  acknowledged "
        f"{tally.count('ok'):5}  recovered {recovered:>6}  {'; '.join(broken) or 'promises kept'}"
    )


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f}s"


def _broken_promises(tally: Tally) -> list[str]:
    """The promises that hold with or without a fault (a clean round has no recovery)."""
    return [p for p in tally.problems() if not p.startswith("the bot served normally again")]


def outside_faults(tally: Tally) -> list[Sent]:
    """The round's picks sent away from its fault: more than :data:`ERROR_WITHIN` seconds before
    it began, or once the bot served normally again after it."""
    if tally.fault == "none":
        return tally.sends
    start, end = tally.fault_window
    recovered = tally.recovered_after
    back = float("inf") if recovered is None else end + recovered
    return [s for s in tally.sends if s.at < start - ERROR_WITHIN or s.at >= back]


def summary(tallies: list[Tally], minutes: float, rate: float) -> list[str]:
    """The run's figures, one line each."""
    sends = [s for t in tallies for s in t.sends]
    quiet = [s for t in tallies for s in outside_faults(t)]
    acknowledged = sum(s.answer == "ok" for s in sends)
    faulted = [t for t in tallies if t.fault != "none"]
    recoveries = [t.recovered_after for t in faulted]
    measured = sorted(r for r in recoveries if r is not None)
    broken = [p for t in tallies for p in _broken_promises(t)]
    lines = [
        f"soak: {minutes:g} min at {rate:g} picks/s, {len(faulted)} faults "
        f"({', '.join(sorted({t.fault for t in faulted}))})",
        f"picks sent {len(sends)}, acknowledged {acknowledged}, stored "
        f"{sum(1 for t in tallies for n in t.stored.values() if n)}",
        f"availability (picks acknowledged, faults included): {_share(acknowledged, sends)}",
        f"error rate, whole run: {_share(len(sends) - acknowledged, sends)}",
        f"error rate outside the faults: "
        f"{_share(sum(s.answer != 'ok' for s in quiet), quiet)} of {len(quiet)} picks",
        f"promises broken: {len(broken)}" + (f" ({'; '.join(broken)})" if broken else ""),
    ]
    answered = [s.answered_in for s in quiet if s.answer == "ok" and s.answered_in is not None]
    if answered:
        lines.append(
            f"response time outside the faults (sent to answered): mean "
            f"{statistics.fmean(answered) * 1000:.1f} ms, p99 "
            f"{percentile(answered, 99) * 1000:.1f} ms"
        )
    if measured:
        lines.append(
            f"recovery after a fault: median {statistics.median(measured):.2f}s, "
            f"max {measured[-1]:.2f}s, never recovered {len(recoveries) - len(measured)}"
        )
    return lines


def _share(part: int, whole: list[Sent]) -> str:
    return f"{part / len(whole):.3%}" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the run")
    parser.add_argument("--rate", type=float, default=50.0, help="picks per second")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--gap", type=float, default=20.0, help="mean clean seconds before a fault")
    parser.add_argument("--after", type=float, default=5.0, help="clean seconds after a fault")
    parser.add_argument("--seed", type=int, default=1, help="seed of the faults' draw")
    parser.add_argument("--postgres", default=os.environ.get("DBSBM_TEST_POSTGRES_URL", ""))
    parser.add_argument("--redis", default=os.environ.get("DBSBM_TEST_REDIS_URL", ""))
    args = parser.parse_args()
    if not args.postgres or not args.redis:
        parser.error("a PostgreSQL and a Redis URL are needed (--postgres, --redis)")
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")  # the faults make the bot log; figures are the output
    tallies = asyncio.run(soak(args))
    print()
    print("\n".join(summary(tallies, args.minutes, args.rate)))


if __name__ == "__main__":
    main()
