"""core.backup: consistent snapshots while picks are written, restores, refusals."""

from __future__ import annotations

import asyncio
import sqlite3
import tarfile
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from core.backup import BackupError, BackupFile, backup, read_meta, restore
from core.database import AppSpec
from tests.web.support import backend_url, fresh_mysql, fresh_postgres

SCHEMA = [
    "CREATE TABLE aerich (id INTEGER PRIMARY KEY, version VARCHAR(255), app VARCHAR(100),"
    " content TEXT)",
    "CREATE TABLE pick (id INTEGER PRIMARY KEY, legs INTEGER NOT NULL)",
    "CREATE TABLE leg (id INTEGER PRIMARY KEY, pick_id INTEGER NOT NULL)",
    "INSERT INTO aerich (id, version, app, content) VALUES (1, '0_init.py', 'betting', '{}')",
]


def specs(tmp_path: Path, *versions: str) -> list[AppSpec]:
    """An installation whose betting plugin has the migration files ``versions``."""
    folder = tmp_path / "migrations" / "betting"
    folder.mkdir(parents=True, exist_ok=True)
    for version in versions:
        (folder / version).write_text("# migration\n")
    return [AppSpec("betting", [], tmp_path / "migrations")]


# --- SQLite ------------------------------------------------------------------------------------


def sqlite_db(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in SCHEMA:
            conn.execute(statement)
    return f"sqlite://{path}"


def place_sqlite(path: Path, stop: Callable[[], bool]) -> int:
    """Place picks of 1-3 legs, each in one transaction, until ``stop()``; returns how many."""
    placed = 0
    with sqlite3.connect(path, timeout=30, isolation_level=None) as conn:
        while not stop() or placed < 50:
            legs = placed % 3 + 1
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute("INSERT INTO pick (legs) VALUES (?)", (legs,))
            for _ in range(legs):
                conn.execute("INSERT INTO leg (pick_id) VALUES (?)", (cur.lastrowid,))
            conn.execute("COMMIT")
            placed += 1
    return placed


def check_consistent(rows: list[tuple[int, int, int]]) -> None:
    """Every pick has exactly the legs it was placed with (``(id, legs, counted)`` rows)."""
    assert rows, "the backup holds no picks"
    assert all(legs == counted for _, legs, counted in rows), rows[:5]


CONSISTENCY = "SELECT p.id, p.legs, (SELECT COUNT(*) FROM leg l WHERE l.pick_id = p.id) FROM pick p"


async def while_placing(
    place: Callable[[Callable[[], bool]], Coroutine[Any, Any, int]], action: Awaitable[BackupFile]
) -> tuple[BackupFile, int]:
    """Run ``action`` while ``place`` writes picks; returns its result and how many were placed."""
    done = asyncio.Event()
    writer = asyncio.create_task(place(done.is_set))
    await asyncio.sleep(0)
    try:
        result = await action
    finally:
        done.set()
        placed = await writer
    return result, placed


async def test_sqlite_backup_while_picks_are_placed_restores_consistent(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    url = sqlite_db(db)

    async def place(stop: Callable[[], bool]) -> int:
        return await asyncio.to_thread(place_sqlite, db, stop)

    async def take() -> BackupFile:
        await asyncio.sleep(0.05)  # picks are being written when the backup starts
        return await backup(url, tmp_path / "backups")

    made, placed = await while_placing(place, take())
    assert made.meta.heads == {"betting": "0_init.py"}

    target = tmp_path / "restored.sqlite3"
    target.write_text("old contents")
    meta = await restore(made.path, f"sqlite://{target}", specs(tmp_path, "0_init.py"))
    assert meta.dialect == "sqlite"
    with sqlite3.connect(target) as conn:
        rows = conn.execute(CONSISTENCY).fetchall()
    check_consistent(rows)
    assert len(rows) <= placed
    assert (tmp_path / "restored.sqlite3.before-restore").read_text() == "old contents"


async def test_restore_refuses_a_newer_migration_state(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    url = sqlite_db(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO aerich (id, version, app, content) VALUES (2, '1_odds.py', 'betting', '')"
        )
    made = await backup(url, tmp_path / "backups")
    assert made.meta.applied == {"betting": ["0_init.py", "1_odds.py"]}
    target = tmp_path / "target.sqlite3"
    with pytest.raises(BackupError, match=r"betting: migration 1_odds.py is newer"):
        await restore(made.path, f"sqlite://{target}", specs(tmp_path, "0_init.py"))
    assert not target.exists()
    with pytest.raises(BackupError, match="not installed or not enabled"):
        await restore(made.path, f"sqlite://{target}", [])
    await restore(made.path, f"sqlite://{target}", [], force=True)
    assert target.exists()


async def test_restore_refuses_other_dialects_and_non_backups(tmp_path: Path) -> None:
    made = await backup(sqlite_db(tmp_path / "a.sqlite3"), tmp_path)
    with pytest.raises(BackupError, match="sqlite backup; it cannot be restored into postgres"):
        await restore(made.path, "postgres://u@127.0.0.1:1/x", [])
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz"):
        pass
    with pytest.raises(BackupError, match="is not a DBSBM backup"):
        read_meta(bogus)


async def test_backup_of_a_missing_sqlite_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        await backup(f"sqlite://{tmp_path / 'nope.sqlite3'}", tmp_path)


# --- PostgreSQL and MariaDB --------------------------------------------------------------------


@pytest.fixture
async def postgres_pair() -> AsyncIterator[tuple[str, str]]:
    url = backend_url("postgres")
    async with fresh_postgres(url) as live, fresh_postgres(url) as target:
        yield live, target


@pytest.mark.backend
async def test_postgres_backup_while_picks_are_placed_restores_consistent(
    postgres_pair: tuple[str, str], tmp_path: Path
) -> None:
    import asyncpg

    live, target = postgres_pair
    conn = await asyncpg.connect(live.replace("postgres://", "postgresql://", 1))
    try:
        for statement in SCHEMA:
            await conn.execute(statement.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))

        async def place(stop: Callable[[], bool]) -> int:
            placed = 0
            while not stop() or placed < 50:
                legs = placed % 3 + 1
                async with conn.transaction():
                    pick = await conn.fetchval(
                        "INSERT INTO pick (legs) VALUES ($1) RETURNING id", legs
                    )
                    await conn.executemany(
                        "INSERT INTO leg (pick_id) VALUES ($1)", [(pick,)] * legs
                    )
                placed += 1
            return placed

        async def take() -> BackupFile:
            await asyncio.sleep(0.05)
            return await backup(live, tmp_path)

        made, placed = await while_placing(place, take())
    finally:
        await conn.close()
    assert made.meta.heads == {"betting": "0_init.py"}

    other = await asyncpg.connect(target.replace("postgres://", "postgresql://", 1))
    try:
        await other.execute("CREATE TABLE leftover (id INTEGER)")
        await restore(made.path, target, specs(tmp_path, "0_init.py"))
        rows = [tuple(r) for r in await other.fetch(CONSISTENCY)]
        leftover = await other.fetchval("SELECT to_regclass('leftover') IS NOT NULL")
    finally:
        await other.close()
    check_consistent(rows)
    assert len(rows) <= placed
    assert leftover is False  # the restore replaced the database, not merged into it


@pytest.mark.backend
async def test_mariadb_backup_and_restore(tmp_path: Path) -> None:
    import asyncmy

    async with fresh_mysql(backend_url("mysql")) as url:
        parts = urlsplit(url)
        conn = await asyncmy.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            database=parts.path.lstrip("/"),
            autocommit=True,
        )
        try:
            async with conn.cursor() as cur:
                for statement in SCHEMA:
                    await cur.execute(statement)
                await cur.execute("INSERT INTO pick (id, legs) VALUES (1, 2)")
                await cur.execute("INSERT INTO leg (id, pick_id) VALUES (1, 1), (2, 1)")
            made = await backup(url, tmp_path)
            async with conn.cursor() as cur:
                await cur.execute("INSERT INTO pick (id, legs) VALUES (2, 1)")
                await cur.execute("CREATE TABLE leftover (id INTEGER)")
            await restore(made.path, url, specs(tmp_path, "0_init.py"))
            async with conn.cursor() as cur:
                await cur.execute(CONSISTENCY)
                rows = [tuple(r) for r in await cur.fetchall()]
                await cur.execute("SHOW TABLES LIKE 'leftover'")
                leftover = await cur.fetchall()
        finally:
            conn.close()
    assert made.meta.heads == {"betting": "0_init.py"}
    assert rows == [(1, 2, 2)]
    assert not leftover
