"""Rows on the path of every interaction, on each database: a row read by primary key is what
tortoise's SELECT gives; a row stored with its children is stored all or none, in one
statement on PostgreSQL, in one call of the connection's thread on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

from db_backends import BACKENDS, fresh_database  # noqa: E402

from core.compat.aiosqlite import in_connection_thread  # noqa: E402
from core.database import AppSpec, Database  # noqa: E402
from core.migrations import make_migrations, upgrade  # noqa: E402
from core.recovery import during_commit  # noqa: E402
from core.rows import by_pk, insert_with_children  # noqa: E402
from core.testing import FaultProxy  # noqa: E402


@contextlib.asynccontextmanager
async def connected(
    url: str, tmp_path: Path, module: str, **options: int
) -> AsyncIterator[Database]:
    spec = AppSpec(f"sample_{module[0]}", [f"sample_app.{module}"], tmp_path / "migrations")
    await make_migrations(spec)
    await upgrade(url, [spec])
    db = Database(url, retries=0, **options)
    await db.connect([spec])
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture(params=BACKENDS)
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path) as database_url:
        yield database_url


async def test_a_row_by_primary_key_is_what_a_query_set_reads(url: str, tmp_path: Path) -> None:
    async with connected(url, tmp_path, "a_v1"):
        from sample_app.a_v1 import Pick, Record

        placed = datetime(2026, 12, 3, 14, 30, 15, 123456, tzinfo=UTC)
        made = await Pick.create(
            guild_id=2**63 - 1, user_id=-(2**63), units=Decimal("-1234567890.12"),
            odds=Decimal("1.909"), note="ü" * 200,
        )  # fmt: skip
        await Pick.filter(id=made.id).update(placed_at=placed)
        record = await Record.create(user_id=7)

        for model, pk in ((Pick, made.id), (Record, record.id)):
            read = await by_pk(model, pk)
            expected = await model.filter(pk=pk).first()
            assert read is not None and expected is not None
            assert dict(read) == dict(expected)
            assert read.pk == pk and read._saved_in_db  # an instance that saves as an UPDATE
        read_pick = await by_pk(Pick, made.id)
        assert read_pick is not None
        assert (read_pick.units, read_pick.placed_at) == (Decimal("-1234567890.12"), placed)
        assert await by_pk(Pick, made.id + 1000) is None
        assert await by_pk(Pick, 0) is None


class _Undo(Exception):
    pass


async def test_inside_a_transaction_a_row_is_read_from_the_transaction(
    url: str, tmp_path: Path
) -> None:
    async with connected(url, tmp_path, "a_v1"):
        from sample_app.a_v1 import Pick

        with pytest.raises(_Undo):
            async with in_transaction() as conn:
                made = await Pick.create(guild_id=1, user_id=2, units=1, odds=2, using_db=conn)
                for using_db in (conn, None):  # None: the block's transaction, as a query set
                    seen = await by_pk(Pick, made.id, using_db=using_db)
                    assert seen is not None and seen.guild_id == 1
                raise _Undo
        assert await by_pk(Pick, made.id) is None  # rolled back


async def test_a_row_and_its_children_are_stored_with_their_keys(url: str, tmp_path: Path) -> None:
    async with connected(url, tmp_path, "family"):
        from sample_app.family import Line, Slip

        for owner, count in ((1, 1), (2, 12)):
            slip = Slip(owner=owner, stake=Decimal("99999999.99"))
            lines = [Line(position=i, text=f"line {i}") for i in range(1, count + 1)]
            await insert_with_children(slip, lines, "slip_id")
            assert slip.pk is not None and slip.placed_at is not None
            stored = await Line.filter(slip_id=slip.pk).order_by("position")
            assert [(x.id, x.position, x.text) for x in stored] == [
                (x.id, x.position, x.text) for x in lines
            ]
            assert all(x.slip_id == slip.pk for x in lines)
            assert dict(await Slip.get(id=slip.pk)) == dict(slip)
        lines[0].text = "changed"
        await lines[0].save()  # an UPDATE: the row is known to be stored
        assert await Line.all().count() == 13
        assert (await Line.get(id=lines[0].id)).text == "changed"

        with pytest.raises(ValueError, match="at least one child"):
            await insert_with_children(Slip(owner=3, stake=1), [], "slip_id")


async def test_nothing_is_stored_when_one_child_is_refused(url: str, tmp_path: Path) -> None:
    async with connected(url, tmp_path, "family"):
        from sample_app.family import Line, Slip

        twice = [Line(position=1), Line(position=2), Line(position=2)]  # unique per slip
        with pytest.raises(IntegrityError):
            await insert_with_children(Slip(owner=1, stake=1), twice, "slip_id")
        assert (await Slip.all().count(), await Line.all().count()) == (0, 0)

        await insert_with_children(Slip(owner=1, stake=1), [Line(position=1)], "slip_id")
        with pytest.raises(IntegrityError):  # the parent refused: no child either
            await insert_with_children(Slip(owner=1, stake=2), [Line(position=1)], "slip_id")
        assert (await Slip.all().count(), await Line.all().count()) == (1, 1)


async def test_inside_a_transaction_block_the_rows_are_part_of_it(url: str, tmp_path: Path) -> None:
    """No ``using_db``, but an ``in_transaction`` block around the call: the rows are written in
    that transaction (SQLite cannot begin another inside it) and undone with it."""
    async with connected(url, tmp_path, "family"):
        from sample_app.family import Line, Slip

        with pytest.raises(_Undo):
            async with in_transaction():
                slip, lines = Slip(owner=1, stake=1), [Line(position=1), Line(position=2)]
                await insert_with_children(slip, lines, "slip_id")
                assert await Line.filter(slip_id=slip.pk).count() == 2  # seen inside
                raise _Undo
        assert (await Slip.all().count(), await Line.all().count()) == (0, 0)


async def test_on_postgres_a_row_and_its_children_are_one_statement(tmp_path: Path) -> None:
    async with (
        fresh_database("postgres", tmp_path) as url,
        connected(url, tmp_path, "family", pool_size=1) as db,
    ):
        from sample_app.family import Line, Slip

        sent: list[str] = []
        async with db.connection.acquire_connection() as connection:  # the pool's only one
            connection.add_query_logger(lambda record: sent.append(record.query))
        await insert_with_children(Slip(owner=1, stake=1), [Line(position=1)], "slip_id")
        assert len(sent) == 1 and sent[0].startswith("WITH parent AS (INSERT INTO")


async def test_on_sqlite_the_transaction_is_one_call_of_the_connection_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's one connection is not held across returns to the event loop: BEGIN, the
    INSERTs and COMMIT are handed to its thread at once, and nothing else runs between them."""
    async with (
        fresh_database("sqlite", tmp_path) as url,
        connected(url, tmp_path, "family") as db,
    ):
        from sample_app.family import Line, Slip

        sent: list[str] = []
        async with db.connection.acquire_connection() as connection:
            await in_connection_thread(connection, lambda raw: raw.set_trace_callback(sent.append))
            handed = connection._execute
            calls: list[object] = []

            async def counted(fn: object, *args: object) -> object:
                calls.append(fn)
                return await handed(fn, *args)  # type: ignore[arg-type]

            monkeypatch.setattr(connection, "_execute", counted)
        lines = [Line(position=1), Line(position=2)]
        writing = insert_with_children(Slip(owner=1, stake=1), lines, "slip_id")
        await asyncio.gather(writing, Slip.filter(owner=1).count())  # a reader racing it
        assert len(calls) == 2  # the write, then the reader
        words = [statement.split()[0] for statement in sent]
        assert words == ["BEGIN", "INSERT", "INSERT", "INSERT", "COMMIT", "SELECT"]
        assert await Line.filter(slip_id=lines[0].slip_id).count() == 2


async def test_a_connection_lost_in_the_postgres_statement_leaves_unknown_if_it_was_stored(
    tmp_path: Path,
) -> None:
    """As for a lost COMMIT, recovery then waits for the database and retries rather than
    telling the member it failed. (No frame of the test may say "commit": the check reads the
    traceback's function names.)"""
    async with (
        fresh_database("postgres", tmp_path) as url,
        FaultProxy.for_url(url) as proxy,
        connected(proxy.url(url), tmp_path, "family") as db,
    ):
        from sample_app.family import Line, Slip

        proxy.cut()
        with pytest.raises(Exception) as lost:
            await insert_with_children(Slip(owner=1, stake=1), [Line(position=1)], "slip_id")
        assert during_commit(lost.value)
        await proxy.restore()
        assert await db.recover(5.0)
        assert await Slip.all().count() == 0
