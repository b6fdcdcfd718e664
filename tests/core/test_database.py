"""The database: config, retries, health, reconnect and live app registration."""

from __future__ import annotations

import asyncio
import importlib
import socket
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from loguru import logger

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

from db_backends import BACKENDS, fresh_database  # noqa: E402

from core.database import (  # noqa: E402
    AppSpec,
    Database,
    DatabaseError,
    DatabaseUnavailable,
    mask_url,
    one_line,
    root_cause,
    tortoise_config,
)
from core.migrations import make_migrations, migration_transaction, upgrade  # noqa: E402


@pytest.fixture(params=BACKENDS)
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path) as database_url:
        yield database_url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_tortoise_config_pools_timeouts_and_core_app(tmp_path: Path) -> None:
    spec = AppSpec("sample_b", ["sample_app.b"], tmp_path)
    pg = tortoise_config("postgres://u:pw@db:5432/bot", [spec], pool_size=7, connect_timeout=3)
    creds = pg["connections"]["default"]["credentials"]
    assert (creds["minsize"], creds["maxsize"], creds["timeout"]) == (1, 7, 3)
    assert pg["apps"]["core"]["models"] == ["aerich.models"]
    assert pg["apps"]["sample_b"] == {"models": ["sample_app.b"], "default_connection": "default"}

    my = tortoise_config("mysql://root@db/bot?maxsize=3", [], pool_size=7, connect_timeout=2.5)
    creds = my["connections"]["default"]["credentials"]
    assert (creds["maxsize"], creds["connect_timeout"]) == (3, 2.5)  # the URL wins

    file = tmp_path / "data" / "deep" / "bot.sqlite3"
    lite = tortoise_config(f"sqlite://{file}", [])
    assert file.parent.is_dir()
    assert lite["connections"]["default"]["credentials"]["journal_mode"] == "WAL"

    with pytest.raises(DatabaseError, match="two apps are named"):
        tortoise_config("sqlite://:memory:", [spec, spec])
    with pytest.raises(DatabaseError, match="unsupported database URL"):
        tortoise_config("oracle://x@y/z", [])


def test_mask_url() -> None:
    assert mask_url("postgres://bot:s3cret@db:5432/bot") == "postgres://bot:***@db:5432/bot"
    assert mask_url("mysql://root@db/bot") == "mysql://root@db/bot"
    assert mask_url("sqlite://data/bot.sqlite3") == "sqlite://data/bot.sqlite3"


@pytest.mark.parametrize("scheme", ["postgres", "mysql"])
async def test_unreachable_database_retries_then_raises(scheme: str) -> None:
    url = f"{scheme}://bot:s3cret@127.0.0.1:{closed_port()}/bot"
    messages: list[str] = []
    db = Database(url, retries=2, backoff=0.01, connect_timeout=2, on_retry=messages.append)
    with pytest.raises(DatabaseUnavailable) as caught:
        await db.connect([])
    assert len(messages) == 2
    prefix = f"cannot reach the database at {scheme}://bot:***@127.0.0.1:"
    assert messages[0].startswith(prefix)
    assert "; retrying in 0.01s (attempt 1 of 3)" in messages[0]
    assert "; retrying in 0.02s (attempt 2 of 3)" in messages[1]
    text = str(caught.value)
    assert text.startswith(prefix) and "after 3 attempt(s)" in text and "[database] url" in text
    assert "\n" not in text and all("s3cret" not in m for m in [*messages, text])
    assert not db.connected
    # nothing is left behind: another database can connect right after
    ok = Database("sqlite://:memory:", retries=0)
    await ok.connect([])
    await ok.close()


async def test_connect_ping_reconnect_close(url: str, tmp_path: Path) -> None:
    db = Database(url, retries=0)
    assert not (await db.ping()).healthy
    await db.connect([AppSpec("sample_b", ["sample_app.b"], tmp_path)])
    try:
        with pytest.raises(DatabaseError, match="already connected"):
            await db.connect([])
        health = await db.ping()
        assert health.healthy and health.component == "database" and health.duration_ms >= 0
        assert health.data["dialect"] == db.dialect
        assert set(db.labels()) == {"core", "sample_b"}
        assert await db.recover(1.0) and db.down_since is None and (await db.ping()).healthy
    finally:
        await db.close()
    await db.close()  # twice is fine
    assert not (await db.ping()).healthy


async def test_models_work_from_other_tasks(tmp_path: Path) -> None:
    """The context is the global fallback: tasks created anywhere see the ORM."""
    spec = AppSpec("sample_b", ["sample_app.b"], tmp_path / "migrations")
    url = f"sqlite://{tmp_path}/bot.sqlite3"
    await make_migrations(spec)
    await upgrade(url, [spec])
    from sample_app.b import Forecast

    db = Database(url, retries=0)
    await asyncio.create_task(db.connect([spec]))  # initialised inside a child task
    try:
        made = await Forecast.create(
            city="Oslo", temperature=Decimal("-3.5"), fetched_at="2025-01-01T00:00:00+00:00"
        )
        assert (await Forecast.get(id=made.id)).temperature == Decimal("-3.5")
    finally:
        await db.close()


_LIVE_V1 = """
from tortoise import fields
from tortoise.models import Model


class Wager(Model):
    id = fields.IntField(primary_key=True)
    units = fields.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        table = "live_wager"
"""
_LIVE_V2 = _LIVE_V1.replace(
    "decimal_places=2)\n",
    'decimal_places=2)\n    memo = fields.CharField(max_length=50, default="")\n',
)


async def test_add_replace_unregister_app_while_other_app_queries(tmp_path: Path) -> None:
    package = tmp_path / "live_pkg"
    package.mkdir()
    module_name = f"live_models_{abs(hash(tmp_path)) % 10**8}"
    (package / f"{module_name}.py").write_text(_LIVE_V1, encoding="utf-8")
    sys.path.insert(0, str(package))
    location = tmp_path / "migrations"
    live = AppSpec("live", [module_name], location)
    other = AppSpec("sample_b", ["sample_app.b"], location)
    url = f"sqlite://{tmp_path}/bot.sqlite3"
    db = Database(url, retries=0)
    try:
        await make_migrations(live)
        await make_migrations(other)
        await upgrade(url, [live, other])
        await db.connect([other])
        from sample_app.b import Forecast

        errors: list[BaseException] = []
        stop = asyncio.Event()

        async def other_app_queries() -> None:
            while not stop.is_set():
                try:
                    await Forecast.filter(city="x").count()
                except BaseException as exc:  # pragma: no cover - the test fails then
                    errors.append(exc)
                await asyncio.sleep(0)

        runner = asyncio.create_task(other_app_queries())

        module = importlib.import_module(module_name)
        db.replace_app(live)
        assert "live" in db.labels()
        old_wager = module.Wager
        await old_wager.create(units=Decimal("2.50"))

        # the plugin changes: a field is added, the module is re-imported, its migration runs
        (package / f"{module_name}.py").write_text(_LIVE_V2, encoding="utf-8")
        module = importlib.reload(module)
        assert await make_migrations(live, "memo") is not None
        async with migration_transaction(live) as done:
            assert len(done) == 1
            db.replace_app(live, [module])
            made = await module.Wager.create(units=Decimal("1.10"), memo="late")
        assert module.Wager is not old_wager
        assert (await module.Wager.get(id=made.id)).memo == "late"
        assert await module.Wager.filter(memo="").count() == 1
        assert await old_wager.all().count() == 2  # stale references keep working

        db.unregister_app("live")
        assert "live" not in db.labels()
        stop.set()
        await runner
        assert errors == []
        assert await Forecast.all().count() == 0
    finally:
        sys.path.remove(str(package))
        sys.modules.pop(module_name, None)
        await db.close()


def _cycle() -> ValueError:
    """A chain that loops: A's context is B and B's context is A (no suppression)."""
    a, b = ValueError("the real reason"), RuntimeError("wrapper")
    a.__context__, b.__context__ = b, a
    return a


def test_exception_chain_walks_are_cycle_safe() -> None:
    error = _cycle()
    assert root_cause(error) is error.__context__
    assert one_line(error) == "RuntimeError: wrapper"
    lines: list[str] = []
    sink = logger.add(lines.append, level="ERROR", diagnose=False, backtrace=False)
    try:
        logger.opt(exception=error).error("logged")  # loguru's formatter walks the chain too
    finally:
        logger.remove(sink)
    assert len(lines) == 1 and "the real reason" in lines[0]


def test_root_cause_follows_causes_and_respects_from_none() -> None:
    try:
        try:
            raise KeyError("driver")
        except KeyError as inner:
            raise ValueError("orm") from inner
    except ValueError as outer:
        assert type(root_cause(outer)) is KeyError
        try:
            raise LookupError("shown alone") from None
        except LookupError as alone:
            assert root_cause(alone) is alone


async def test_a_postgres_connection_goes_back_without_a_reset_query(tmp_path: Path) -> None:
    """The pool sends no statement of its own on release (asyncpg's default sends one reset
    query each time: two round trips of a pick's seven), and still rolls back a transaction
    left open."""
    async with fresh_database("postgres", tmp_path) as url:
        db = Database(url, retries=0)
        await db.connect([])
        try:
            sent: list[str] = []
            async with db.connection.acquire_connection() as connection:
                connection.add_query_logger(lambda record: sent.append(record.query))
                await connection.execute("SELECT 1")
            assert sent == ["SELECT 1"]

            async with db.connection.acquire_connection() as connection:
                await connection.execute("CREATE TABLE kept (id int)")
                await connection.execute("BEGIN")
                await connection.execute("INSERT INTO kept VALUES (1)")
            async with db.connection.acquire_connection() as connection:
                assert await connection.fetchval("SELECT count(*) FROM kept") == 0
                assert not connection.is_in_transaction()
        finally:
            await db.close()
