"""The database goes away while members keep running commands; every entry arrives later.

PostgreSQL: the bot gets a dedicated database, and the "outage" refuses new connections to it
and terminates the bot's (``ALLOW_CONNECTIONS false`` + ``pg_terminate_backend``), which is what
the bot sees when the server stops; the machine's PostgreSQL service itself is never touched.
Needs ``DBSBM_TEST_POSTGRES_URL`` (skipped without it, failed under ``CI=true``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from audit_support import WorldFactory

from plugins.audit.chain import verify
from plugins.audit.models import AuditEntry

POSTGRES_ENV = "DBSBM_TEST_POSTGRES_URL"


def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        reason = f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


class PostgresOutage:
    """Stops and restarts one database of a PostgreSQL server, as its clients see it."""

    def __init__(self, admin_url: str, name: str) -> None:
        self.admin_url = admin_url
        self.name = name

    async def _run(self, *statements: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.admin_url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def stop(self) -> None:
        await self._run(
            f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()",
        )

    async def start(self) -> None:
        await self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


@asynccontextmanager
async def dedicated_postgres() -> AsyncIterator[tuple[str, PostgresOutage]]:
    """A fresh database (dropped afterwards) and the switch that takes it down and up."""
    admin = postgres_admin_url()
    name = f"dbsbm_audit_{secrets.token_hex(4)}"
    outage = PostgresOutage(admin, name)
    await outage._run(f'CREATE DATABASE "{name}"')
    try:
        parts = urllib.parse.urlsplit(admin)
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), outage
    finally:
        await outage._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.backend
async def test_entries_arrive_after_postgres_comes_back(audit_world_at: WorldFactory) -> None:
    async with dedicated_postgres() as (url, outage):
        async with audit_world_at(url, max_retry_delay=0.2) as world:
            writer = world.runtime.writer
            await writer.flush()
            before = await AuditEntry.all().count()
            await outage.stop()
            try:
                for i in range(12):
                    reply = await (
                        await world.alice.slash("probe", "ok", note=f"n{i}")
                    ).wait_reply()
                    assert reply.data["content"] == "done"  # replies do not wait for the audit
                with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
                    await writer.flush()
                assert writer.pending >= 12
            finally:
                await outage.start()
            await asyncio.wait_for(writer.wait_empty(), timeout=30)
            notes = await AuditEntry.filter(command="probe ok").values_list("options", flat=True)
            assert sorted(notes) == sorted(f'{{"note":"n{i}"}}' for i in range(12))
            assert await AuditEntry.all().count() == before + 12
            assert writer.failed_writes >= 1 and writer.dropped == 0
            assert all(r.ok for r in await verify())


MYSQL_ENV = "DBSBM_TEST_MYSQL_URL"


@asynccontextmanager
async def dedicated_mysql() -> AsyncIterator[str]:
    """A fresh MariaDB/MySQL database, dropped afterwards."""
    import asyncmy

    admin = os.environ.get(MYSQL_ENV, "")
    if not admin:
        reason = f"{MYSQL_ENV} is not set: no MySQL/MariaDB server to test against"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    parts = urllib.parse.urlsplit(admin)
    name = f"dbsbm_audit_{secrets.token_hex(4)}"
    conn = await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        async with conn.cursor() as cur:
            await cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.mark.backend
async def test_chain_survives_the_mysql_round_trip(audit_world_at: WorldFactory) -> None:
    async with dedicated_mysql() as url, audit_world_at(url) as world:
        for note in ("plain", "emoji 🏈 and trailing space ", "quote ' \" \\ backslash"):
            await (await world.alice.slash("probe", "ok", note=note)).wait_reply()
        intact = await (await world.alice.slash("audit", "verify")).wait_reply()
        assert "intact" in intact.data["content"], intact.data["content"]
        victim = await AuditEntry.filter(command="probe ok").order_by("seq").first()
        assert victim is not None
        await AuditEntry.filter(id=victim.id).update(detail="rewritten")
        broken = await (await world.alice.slash("audit", "verify")).wait_reply()
        assert f"entry #{victim.id}" in broken.data["content"]
