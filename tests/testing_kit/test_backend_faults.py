"""The backend fault toolkit (``core.testing.backends``) against the real PostgreSQL, MariaDB and
Redis: what a client sees for each fault, and that ``restore`` brings the same URL back."""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncmy
import asyncpg
import pytest
import redis.asyncio as aioredis
from db_backends import fresh_database
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.testing import FaultProxy, LocalDiscord, hold_sqlite_lock
from core.testing.harness import run_app
from tests.web.support import backend_url

SLOW = 5.0
"""How long the server-side "slow" query runs; a fault must end it well before."""

HANGS = 0.3
"""How long a stalled call is watched to prove it does not finish."""

LATENCY = 0.25


class Session:
    """One client connection to a backend, the same three calls for each driver."""

    async def ping(self) -> Any:
        raise NotImplementedError

    async def slow(self) -> Any:
        """A call that the server answers only after :data:`SLOW` seconds."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class Postgres(Session):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, url: str) -> Postgres:
        return cls(await asyncpg.connect(url))

    async def ping(self) -> Any:
        return await self.conn.fetchval("SELECT 1")

    async def slow(self) -> Any:
        return await self.conn.fetchval(f"SELECT pg_sleep({SLOW})")

    async def close(self) -> None:
        self.conn.terminate()


class MariaDB(Session):
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, url: str) -> MariaDB:
        parts = urllib.parse.urlsplit(url)
        conn = await asyncmy.connect(
            host=parts.hostname,
            port=parts.port,
            user=parts.username or "root",
            password=urllib.parse.unquote(parts.password or ""),
            db=parts.path.lstrip("/"),
        )
        return cls(conn)

    async def _fetch(self, sql: str) -> Any:
        async with self.conn.cursor() as cursor:
            await cursor.execute(sql)
            return (await cursor.fetchone())[0]

    async def ping(self) -> Any:
        return await self._fetch("SELECT 1")

    async def slow(self) -> Any:
        return await self._fetch(f"SELECT SLEEP({SLOW})")

    async def close(self) -> None:
        self.conn.close()


class Redis(Session):
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    @classmethod
    async def connect(cls, url: str) -> Redis:
        # no retries: the test sees each failure as it happens
        session = cls(aioredis.Redis.from_url(url, retry=Retry(NoBackoff(), 0)))
        try:
            await session.ping()
        except BaseException:
            await session.close()
            raise
        return session

    async def ping(self) -> Any:
        return await self.client.ping()

    async def slow(self) -> Any:
        return await self.client.blpop(["dbsbm-test:backend-faults:never"], SLOW)

    async def close(self) -> None:
        await self.client.aclose()


CLIENTS: dict[str, Callable[[str], Awaitable[Session]]] = {
    "postgres": Postgres.connect,
    "mysql": MariaDB.connect,
    "redis": Redis.connect,
}


def chain(exc: BaseException | None) -> list[BaseException]:
    """``exc`` and its causes, outermost first."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def refused(exc: BaseException) -> bool:
    return any(isinstance(e, ConnectionRefusedError) for e in chain(exc))


def reset_by_peer(exc: BaseException) -> bool:
    return any("Connection reset by peer" in str(e) for e in chain(exc))


@pytest.fixture(params=sorted(CLIENTS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def proxy(backend: str) -> AsyncIterator[FaultProxy]:
    async with FaultProxy.for_url(backend_url(backend)) as proxy:
        yield proxy


@pytest.fixture
def connect(backend: str, proxy: FaultProxy) -> Callable[[], Awaitable[Session]]:
    """Open a session through the proxy (closed after the test)."""
    url = proxy.url(backend_url(backend))
    return lambda: CLIENTS[backend](url)


@pytest.fixture
async def session(
    connect: Callable[[], Awaitable[Session]],
) -> AsyncIterator[Session]:
    session = await connect()
    yield session
    await session.close()


async def still_running(task: asyncio.Future[Any]) -> bool:
    """True when ``task`` has not finished after :data:`HANGS` seconds (it is not cancelled)."""
    done, _ = await asyncio.wait({task}, timeout=HANGS)
    return not done


async def fresh_session_works(connect: Callable[[], Awaitable[Session]]) -> None:
    fresh = await connect()
    try:
        assert await fresh.ping() in (1, True)
    finally:
        await fresh.close()


@pytest.mark.backend
async def test_pass_through_counts_what_it_forwards(proxy: FaultProxy, session: Session) -> None:
    assert await session.ping() in (1, True)
    assert proxy.stats.accepted == 1 and proxy.stats.open == 1
    assert proxy.stats.bytes_up > 0 and proxy.stats.bytes_down > 0


@pytest.mark.backend
async def test_refuse_refuses_new_connections_and_leaves_open_ones(
    proxy: FaultProxy, session: Session, connect: Callable[[], Awaitable[Session]]
) -> None:
    port = proxy.port
    proxy.refuse()
    proxy.refuse()
    with pytest.raises(Exception) as caught:
        await connect()
    assert refused(caught.value), chain(caught.value)
    assert await session.ping() in (1, True)  # open connections are left alone
    await proxy.restore()
    await proxy.restore()
    assert proxy.port == port
    await fresh_session_works(connect)


@pytest.mark.backend
async def test_reset_fails_the_running_query_and_accepts_new_connections(
    proxy: FaultProxy, session: Session, connect: Callable[[], Awaitable[Session]]
) -> None:
    running = asyncio.ensure_future(session.slow())
    assert await still_running(running)  # the query is on the server now
    proxy.reset()
    with pytest.raises(Exception) as caught:
        await asyncio.wait_for(running, SLOW / 2)
    assert reset_by_peer(caught.value), chain(caught.value)
    assert proxy.stats.reset == 1 and proxy.stats.open == 0
    await fresh_session_works(connect)  # still listening, before any restore


@pytest.mark.backend
async def test_cut_looks_like_the_backend_is_down_until_restored(
    proxy: FaultProxy, session: Session, connect: Callable[[], Awaitable[Session]]
) -> None:
    running = asyncio.ensure_future(session.slow())
    assert await still_running(running)
    proxy.cut()
    with pytest.raises(Exception) as lost:
        await asyncio.wait_for(running, SLOW / 2)
    assert reset_by_peer(lost.value), chain(lost.value)
    with pytest.raises(Exception) as down:
        await connect()
    assert refused(down.value), chain(down.value)
    await proxy.restore()
    await fresh_session_works(connect)


@pytest.mark.backend
async def test_stall_holds_open_and_new_connections_until_restored(
    proxy: FaultProxy, session: Session, connect: Callable[[], Awaitable[Session]]
) -> None:
    proxy.stall()
    ping = asyncio.ensure_future(session.ping())
    opening = asyncio.ensure_future(connect())
    assert await still_running(ping)
    assert await still_running(opening)
    await proxy.restore()
    assert await asyncio.wait_for(ping, 5) in (1, True)  # held, not dropped
    fresh = await asyncio.wait_for(opening, 5)
    try:
        assert await fresh.ping() in (1, True)
    finally:
        await fresh.close()


@pytest.mark.backend
async def test_latency_delays_each_direction(proxy: FaultProxy, session: Session) -> None:
    loop = asyncio.get_running_loop()

    async def round_trip() -> float:
        start = loop.time()
        await session.ping()
        return loop.time() - start

    baseline = min([await round_trip() for _ in range(3)])
    async with proxy.fault("latency", LATENCY):
        slowed = await round_trip()
    assert slowed >= baseline + 2 * LATENCY  # the query and its answer each wait
    assert await round_trip() < LATENCY  # restored: no added latency


async def test_fault_applies_and_restores() -> None:
    async with FaultProxy("127.0.0.1", 1) as proxy:
        await faults_of(proxy)


async def faults_of(proxy: FaultProxy) -> None:
    port = proxy.port
    async with proxy.fault("cut"):
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    await writer.wait_closed()
    with pytest.raises(ValueError, match="unknown fault"):
        async with proxy.fault("flood"):
            pass
    with pytest.raises(ValueError, match="latency"):
        async with proxy.fault("latency"):
            pass


async def test_every_call_is_safe_twice_and_in_any_state() -> None:
    proxy = FaultProxy("127.0.0.1", 1)  # nothing listens on port 1
    proxy.refuse()
    proxy.reset()
    await proxy.restore()  # not started yet: starts listening
    async with proxy:
        port = proxy.port
        proxy.stall()
        proxy.stall()
        proxy.cut()
        proxy.cut()
        await proxy.restore()
        assert proxy.port == port
        # the backend behind the proxy refuses: the client's connection is reset at once
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        with pytest.raises(ConnectionResetError):
            await reader.read()
        writer.close()
        assert proxy.stats.refused == 1 and proxy.stats.open == 0
    await proxy.close()
    await proxy.restore()  # closed stays closed
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


def test_urls_point_at_the_proxy_and_keep_everything_else() -> None:
    proxy = FaultProxy.for_url("postgres://bot:s3cr%40t@db.internal/picks?sslmode=disable")
    assert proxy.target == ("db.internal", 5432)
    assert FaultProxy.for_url("mysql://root@127.0.0.1/test").target == ("127.0.0.1", 3306)
    assert FaultProxy.for_url("redis://:pw@cache:6380/2").target == ("cache", 6380)
    proxy.port = 40001
    assert (
        proxy.url("postgres://bot:s3cr%40t@db.internal/picks?sslmode=disable")
        == "postgres://bot:s3cr%40t@127.0.0.1:40001/picks?sslmode=disable"
    )
    assert proxy.url("redis://cache:6379/0") == "redis://127.0.0.1:40001/0"
    with pytest.raises(ValueError, match="port"):
        FaultProxy.for_url("http://example.com/")


# --- SQLite ---------------------------------------------------------------------------------


def write(path: Path, *, busy_timeout: float) -> None:
    conn = sqlite3.connect(path, timeout=busy_timeout)
    try:
        with conn:
            conn.execute("INSERT INTO picks (team) VALUES ('Lions')")
    finally:
        conn.close()


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE picks (team TEXT)")
    conn.close()
    return path


async def test_sqlite_lock_blocks_writers_until_released(sqlite_file: Path) -> None:
    async with hold_sqlite_lock(sqlite_file):
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            write(sqlite_file, busy_timeout=0.1)
    write(sqlite_file, busy_timeout=0.1)
    conn = sqlite3.connect(sqlite_file)
    assert conn.execute("SELECT count(*) FROM picks").fetchone() == (1,)
    conn.close()


async def test_sqlite_lock_ends_by_itself_after_seconds(sqlite_file: Path) -> None:
    async with hold_sqlite_lock(sqlite_file, seconds=0.5):
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            write(sqlite_file, busy_timeout=0.1)
        write(sqlite_file, busy_timeout=10)  # waits for the other process to let go


async def test_sqlite_lock_reports_a_file_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="could not lock"):
        async with hold_sqlite_lock(tmp_path / "missing" / "bot.sqlite3"):
            pass


# --- the example of docs/TESTING_PLUGINS.md ("Faults in your backends") -------------------------


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("postgres", tmp_path) as url:
        yield url


@pytest.mark.backend
async def test_hello_survives_a_dropped_connection(
    local_discord: LocalDiscord, tmp_path: Path, postgres_url: str
) -> None:
    alice = local_discord.member("Alice")
    async with (
        FaultProxy.for_url(postgres_url) as proxy,
        run_app(local_discord, tmp_path, plugins=["hello"], database_url=proxy.url(postgres_url)),
    ):
        reply = await (await alice.slash("hello", name="world")).wait_reply()
        assert reply.message is not None and reply.message.content.endswith("(greeting #1)")

        proxy.reset()  # every open connection to PostgreSQL gets a TCP RST
        reply = await (await alice.slash("hello", name="again")).wait_reply()
        assert reply.message is not None and reply.message.content.endswith("(greeting #2)")
        assert proxy.stats.reset > 0

        async with proxy.fault("latency", 0.05):  # each query and answer waits 50 ms
            reply = await (await alice.slash("hello", name="slowly")).wait_reply()
        assert reply.message is not None and reply.message.content.endswith("(greeting #3)")


def test_the_docs_show_the_example_verbatim() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "TESTING_PLUGINS.md").read_text(encoding="utf-8")
    own = Path(__file__).read_text(encoding="utf-8")
    example = own[own.index("@pytest.mark.backend\nasync def test_hello_survives") :]
    assert example[: example.index("\n\n\ndef ")] in docs
