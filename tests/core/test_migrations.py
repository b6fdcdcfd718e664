"""Migrations: one file set generated offline, applied on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aerich.utils import decompress_dict
from tortoise.exceptions import OperationalError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

from db_backends import BACKENDS, backend_url, fresh_database  # noqa: E402

from core.database import AppSpec, Database  # noqa: E402
from core.migrations import (  # noqa: E402
    MigrationError,
    applied,
    heads,
    load_migration,
    make_migrations,
    migration_files,
    migration_transaction,
    pending_changes,
    split_sql,
    upgrade,
)


@pytest.fixture
def specs(tmp_path: Path) -> tuple[AppSpec, AppSpec, AppSpec]:
    """``sample_a`` v1 and v2 and ``sample_b``, sharing a temporary migrations location."""
    location = tmp_path / "migrations"
    return (
        AppSpec("sample_a", ["sample_app.a_v1"], location),
        AppSpec("sample_a", ["sample_app.a_v2"], location),
        AppSpec("sample_b", ["sample_app.b"], location),
    )


@pytest.fixture(params=BACKENDS)
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path) as database_url:
        yield database_url


async def _has_column(db: Database, table: str, column: str) -> bool:
    try:
        await db.connection.execute_query(f"SELECT {column} FROM {table} WHERE 1 = 0")
    except OperationalError:
        return False
    return True


async def test_makemigrations_offline_one_file_for_every_dialect(specs) -> None:
    a1, a2, b = specs
    first = await make_migrations(a1)
    assert first is not None and first.name.startswith("0_") and first.name.endswith("_init.py")
    module = load_migration(first)
    assert set(module.SQL) == {"sqlite", "postgres", "mysql"}
    assert any("DECIMAL(12,2)" in s for s in module.SQL["postgres"]["upgrade"])
    assert any("`sample_a_pick`" in s for s in module.SQL["mysql"]["upgrade"])
    assert module.MODELS_STATE
    statements = " ".join(s for d in module.SQL.values() for step in d.values() for s in step)
    assert "sample_b_forecast" not in statements and "aerich" not in statements
    assert set(decompress_dict(module.MODELS_STATE)) == {"sample_a.Pick", "sample_a.Record"}

    only_b = await make_migrations(b)
    assert only_b is not None
    assert set(decompress_dict(load_migration(only_b).MODELS_STATE)) == {"sample_b.Forecast"}

    assert not await pending_changes(a1)  # models and migrations are in sync
    assert await make_migrations(a1) is None
    assert await pending_changes(a2)
    second = await make_migrations(a2, "graded")
    assert (
        second is not None and second.name.startswith("1_") and second.name.endswith("_graded.py")
    )
    sql = load_migration(second).SQL
    assert sql["sqlite"]["upgrade"] == ['ALTER TABLE "sample_a_pick" ADD "graded_at" TIMESTAMP']
    assert sql["mysql"]["downgrade"] == ["ALTER TABLE `sample_a_pick` DROP COLUMN `graded_at`"]
    assert not await pending_changes(a2)
    assert [p.name for p in migration_files(a2)] == [first.name, second.name]


async def test_upgrade_applies_the_same_files_on_every_backend(url: str, specs) -> None:
    a1, a2, b = specs
    await make_migrations(a1)
    await make_migrations(b)
    seen: list[tuple[str, str]] = []
    done = await upgrade(url, [a1, b], progress=lambda app, v: seen.append((app, v)))
    assert [app for app, _ in seen] == ["sample_a", "sample_b"]
    assert done == {"sample_a": [seen[0][1]], "sample_b": [seen[1][1]]}

    second = await make_migrations(a2, "graded")
    assert second is not None
    assert await heads(url, a2) == [second.name]
    assert (await upgrade(url, [a2, b]))["sample_a"] == [second.name]
    assert await upgrade(url, [a2, b]) == {"sample_a": [], "sample_b": []}  # idempotent
    assert await applied(url, a2) == [seen[0][1], second.name]
    assert await heads(url, a2) == []

    from decimal import Decimal

    from sample_app import a_v2
    from sample_app import b as b_models

    db = Database(url, retries=0)
    await db.connect([a2, b])
    try:
        pick = await a_v2.Pick.create(
            guild_id=1, user_id=2, units=Decimal("1.25"), odds=Decimal("-110")
        )
        again = await a_v2.Pick.get(id=pick.id)
        assert again.units == Decimal("1.25") and again.graded_at is None
        assert await b_models.Forecast.all().count() == 0
    finally:
        await db.close()


async def test_empty_database_status(url: str, specs) -> None:
    a1, _, _ = specs
    await make_migrations(a1)
    assert await applied(url, a1) == []
    assert len(await heads(url, a1)) == 1


def _broken_file(spec: AppSpec) -> Path:
    """A migration whose first statement works and second fails, for every dialect."""
    path = spec.migrations_dir / "1_20990101000000_broken.py"
    good = {"sqlite": "INTEGER", "postgres": "INTEGER", "mysql": "INT"}
    sql = {
        d: {"upgrade": [f"CREATE TABLE half_done (id {t})", "CREATE TABLE oops ("], "downgrade": []}
        for d, t in good.items()
    }
    path.write_text(
        "async def upgrade(db):\n    return ''\n\n"
        "async def downgrade(db):\n    return ''\n\n"
        f"SQL = {sql!r}\n",
        encoding="utf-8",
    )
    return path


async def test_failing_migration_names_app_file_and_reason(url: str, specs) -> None:
    a1, _, b = specs
    await make_migrations(a1)
    await make_migrations(b)
    broken = _broken_file(a1)
    with pytest.raises(MigrationError) as caught:
        await upgrade(url, [b, a1])  # b first: it stays applied
    error = caught.value
    assert error.app == "sample_a" and error.version == broken.name
    assert "sample_a/1_20990101000000_broken.py" in str(error) and "said:" in str(error)
    assert len(await applied(url, b)) == 1
    assert [v for v in await applied(url, a1)] == [migration_files(a1)[0].name]
    db = Database(url, retries=0)
    await db.connect([])
    try:
        _, rows = await db.connection.execute_query(
            {
                "sqlite": "SELECT name FROM sqlite_master WHERE name = 'half_done'",
                "postgres": "SELECT to_regclass('half_done') AS name",
                "mysql": "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = DATABASE() AND table_name = 'half_done'",
            }[db.dialect]
        )
        half_done = bool(rows and next(iter(rows[0].values())))
        if db.dialect == "mysql":
            assert half_done and "1 of 2 statements were applied" in str(error)
        else:
            assert not half_done  # rolled back with the transaction
    finally:
        await db.close()


async def test_migration_transaction_undoes_the_migration_when_setup_fails(url, specs) -> None:
    a1, a2, b = specs
    await make_migrations(a1)
    await upgrade(url, [a1])
    second = await make_migrations(a2, "graded")
    assert second is not None
    db = Database(url, retries=0)
    await db.connect([a1, b])
    try:
        with pytest.raises(RuntimeError, match="setup failed"):
            async with migration_transaction(a2) as done:
                assert done == [second.name]
                assert await _has_column(db, "sample_a_pick", "graded_at")
                raise RuntimeError("setup failed")
        assert not await _has_column(db, "sample_a_pick", "graded_at")
        assert await applied(url, a2) == [migration_files(a1)[0].name]

        async with migration_transaction(a2) as done:
            assert done == [second.name]
        assert await _has_column(db, "sample_a_pick", "graded_at")
        async with migration_transaction(a2) as done:
            assert done == []
    finally:
        await db.close()


def test_split_sql_keeps_quoted_semicolons() -> None:
    script = "CREATE TABLE \"a;b\" (x TEXT DEFAULT 'x;y');\nCOMMENT ON TABLE a IS 'it''s;';\n"
    assert split_sql(script, "postgres") == [
        "CREATE TABLE \"a;b\" (x TEXT DEFAULT 'x;y')",
        "COMMENT ON TABLE a IS 'it''s;'",
    ]
    assert split_sql("SELECT 'a\\';b'; SELECT 1", "mysql") == ["SELECT 'a\\';b'", "SELECT 1"]


def test_backend_url_fails_under_ci_and_skips_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("DBSBM_TEST_POSTGRES_URL", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        backend_url("postgres")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        backend_url("postgres")


async def test_files_stay_aerich_migrations(tmp_path: Path, specs) -> None:
    """Plain aerich (its own context, no live ORM) upgrades our files and finds no changes."""
    from aerich import Command
    from tortoise import Tortoise

    from core.database import tortoise_config
    from core.migrations import ensure_version_table

    a1, _, _ = specs
    first = await make_migrations(a1)
    assert first is not None
    config = tortoise_config(f"sqlite://{tmp_path}/aerich.sqlite3", [a1])
    async with Command(config, app="sample_a", location=str(a1.migrations)) as command:
        await ensure_version_table(Tortoise.get_connection("default"))  # core's job
        assert await command.upgrade(run_in_transaction=True) == [first.name]
        await command.init()  # reads the last version's state back from the aerich table
        assert await command.migrate("nothing", no_input=True) == ""
    assert await applied(f"sqlite://{tmp_path}/aerich.sqlite3", a1) == [first.name]


async def test_in_memory_sqlite_migrates_the_live_connection(specs) -> None:
    a1, _, _ = specs
    first = await make_migrations(a1)
    assert first is not None
    with pytest.raises(MigrationError, match="pass url=None"):
        await upgrade("sqlite://:memory:", [a1])
    db = Database("sqlite://:memory:", retries=0)
    await db.connect([a1])
    try:
        assert await upgrade(None, [a1]) == {"sample_a": [first.name]}
        assert await applied(None, a1) == [first.name]
        assert await heads(None, a1) == []
        assert await _has_column(db, "sample_a_pick", "units")
    finally:
        await db.close()


async def test_migration_transactions_nest_and_roll_back_together(tmp_path: Path, specs) -> None:
    a1, _, b = specs
    await make_migrations(a1)
    await make_migrations(b)
    db = Database(f"sqlite://{tmp_path}/bot.sqlite3", retries=0)
    await db.connect([a1, b])
    try:
        with pytest.raises(RuntimeError, match="second plugin failed"):
            async with migration_transaction(a1) as first, migration_transaction(b) as second:
                assert len(first) == len(second) == 1
                raise RuntimeError("second plugin failed")
        assert not await _has_column(db, "sample_a_pick", "units")
        assert not await _has_column(db, "sample_b_forecast", "city")
        assert await applied(None, a1) == [] and await applied(None, b) == []
    finally:
        await db.close()


def test_split_sql_keeps_semicolons_in_quotes_and_comments() -> None:
    script = "CREATE TABLE a (x INT) /* one; two */; -- c;d\nSELECT 'a;b'; SELECT 1"
    assert split_sql(script, "sqlite") == [
        "CREATE TABLE a (x INT) /* one; two */",
        "-- c;d\nSELECT 'a;b'",
        "SELECT 1",
    ]
