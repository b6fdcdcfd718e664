"""The database cut, locked and stalled while members place picks (issue 13, items 1 and 2).

Each test runs the betting bot on a real database behind a :class:`~core.testing.FaultProxy`
(SQLite: its file locked by another process), sends ``/bet straight`` at a steady rate, applies
the fault in the middle of the load, and then checks every promise from what members were told
and what the database holds: nothing acknowledged is lost, nothing is stored twice, nobody is
told of an error for a stored pick, every unstored pick got an error id within 3 s, and the bot
serves normally within 2 s of the database coming back. ``benchmarks/faults.py`` runs the same
scenarios longer and prints the table.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.testing import FaultProxy, hold_sqlite_lock
from tests.faults.load import PickLoad, Tally

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

from db_backends import fresh_database  # noqa: E402

RATE, SECONDS, FAULT_AT, FAULT_FOR = 30.0, 9.0, 2.0, 4.0


def check(tally: Tally) -> None:
    assert not tally.problems(), (tally.problems(), tally.row())


@pytest.mark.backend
@pytest.mark.parametrize("kind", ["postgres", "mysql"])
async def test_database_cut_under_load(kind: str, tmp_path: Path) -> None:
    async with (
        fresh_database(kind, tmp_path) as url,
        FaultProxy.for_url(url) as proxy,
        PickLoad.started(tmp_path, database_url=proxy.url(url)) as load,
    ):
        tally = await load.run(
            "cut (refuse + reset)",
            kind,
            rate=RATE,
            seconds=SECONDS,
            fault=lambda: proxy.fault("cut"),
            fault_at=FAULT_AT,
            fault_for=FAULT_FOR,
        )
    check(tally)
    assert tally.count("error") > 0, "the cut was never felt: the test proves nothing"
    assert tally.health_during and all(s == 503 for s in tally.health_during)


async def test_sqlite_locked_by_another_process_under_load(tmp_path: Path) -> None:
    path = tmp_path / "db" / "test.sqlite3"
    async with PickLoad.started(tmp_path, database_url=f"sqlite://{path}") as load:

        @contextlib.asynccontextmanager
        async def locked() -> AsyncIterator[None]:
            async with hold_sqlite_lock(path):
                yield

        tally = await load.run(
            "file locked by another process",
            "sqlite",
            rate=RATE,
            seconds=SECONDS,
            fault=locked,
            fault_at=FAULT_AT,
            fault_for=FAULT_FOR,
        )
    check(tally)
    slowest = max(s.answered_in or 0.0 for s in tally.sends)
    assert slowest > FAULT_FOR / 2, "the lock was never felt: the test proves nothing"
    assert all("nothing was saved" in s.text for s in tally.sends if s.answer == "error")


@pytest.mark.backend
async def test_database_stalls_under_load_never_report_a_stored_pick_as_failed(
    tmp_path: Path,
) -> None:
    """Connections hang for 2.2 s (past the pipeline's automatic defer), twice: nobody is told
    something went wrong for a stored pick, the deferred answers are finished, nothing is lost."""
    async with (
        fresh_database("postgres", tmp_path) as url,
        FaultProxy.for_url(url) as proxy,
        PickLoad.started(tmp_path, database_url=proxy.url(url)) as load,
    ):
        tallies = [
            await load.run(
                "stall 2.2 s",
                "postgres",
                rate=RATE,
                seconds=5.0,
                fault=lambda: proxy.fault("stall"),
                fault_at=1.0,
                fault_for=2.2,
            )
            for _ in range(2)
        ]
    for tally in tallies:
        check(tally)
        slowest = max(s.answered_in or 0.0 for s in tally.sends)
        assert slowest > 2.0, "the stall was never felt: the test proves nothing"


@pytest.mark.backend
async def test_a_long_database_stall_under_load_reports_no_stored_pick_as_failed(
    tmp_path: Path,
) -> None:
    """Connections hang for 8 s, four times the connect timeout (``benchmarks/faults.py`` runs
    30 s): the picks held are deferred and finished; whatever is told of an error was not
    stored, and nothing acknowledged is lost."""
    async with (
        fresh_database("postgres", tmp_path) as url,
        FaultProxy.for_url(url) as proxy,
        PickLoad.started(tmp_path, database_url=proxy.url(url)) as load,
    ):
        tally = await load.run(
            "stall 8 s",
            "postgres",
            rate=20.0,
            seconds=12.0,
            fault=lambda: proxy.fault("stall"),
            fault_at=1.0,
            fault_for=8.0,
        )
    check(tally)
    slowest = max(s.answered_in or 0.0 for s in tally.sends)
    assert slowest > 6.0, "the stall was never felt: the test proves nothing"
