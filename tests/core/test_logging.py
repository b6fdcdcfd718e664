"""Logging: JSON lines when configured, stdlib loggers routed into loguru, interaction ids, and
no local variables or known secrets in any sink."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import secrets
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from loguru import logger

from core.events import CommandEvent
from core.hookspecs import hookimpl
from core.logging import current_interaction, hide_secrets, setup_logging
from core.settings import LoggingSettings, Settings
from core.testing import FaultProxy, LocalDiscord
from core.testing.harness import run_app
from tests.web.support import backend_url, fresh_postgres

E2E = Path(__file__).resolve().parents[1] / "e2e"
if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))  # the services probe's package, e2e_plugins


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """setup_logging reconfigures the process; put stdlib logging back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_interaction_id_and_stdlib_records() -> None:
    out = io.StringIO()
    setup_logging(LoggingSettings(level="INFO", json_lines=True), sink=out)
    try:
        token = current_interaction.set(987654321)
        try:
            logger.info("from loguru")
            logging.getLogger("tortoise.test").warning("from the stdlib")
        finally:
            current_interaction.reset(token)
        logger.info("outside any interaction")
    finally:
        logger.remove()
        logger.add(io.StringIO())  # leave a harmless sink for the rest of the session
    records = [json.loads(line)["record"] for line in out.getvalue().splitlines()]
    assert [r["message"] for r in records] == [
        "from loguru",
        "from the stdlib",
        "outside any interaction",
    ]
    assert [r["extra"]["interaction"] for r in records] == [987654321, 987654321, "-"]
    assert records[1]["level"]["name"] == "WARNING"


def test_human_format_shows_the_interaction_id() -> None:
    out = io.StringIO()
    setup_logging(LoggingSettings(level="DEBUG"), sink=out)
    try:
        token = current_interaction.set(42)
        logger.debug("hello")
        current_interaction.reset(token)
    finally:
        logger.remove()
        logger.add(io.StringIO())
    assert "[42] hello" in out.getvalue()


def failing_connect(dsn: str, password: str) -> None:
    """Fails the way a driver does: its locals hold the password, its message the URL."""
    params = {"user": "bot", "password": password}
    raise ConnectionError(f"cannot reach {dsn} with {len(params)} parameters")


def test_tracebacks_carry_no_locals_and_no_known_secret() -> None:
    password, token, api_key = "pw-" + "x9" * 8, "tok." + "y7" * 12, "key-" + "z5" * 8
    settings = Settings(
        database={"url": f"postgres://bot:{password}@db.example:5432/bot"},
        discord={"token": token},
        plugins={"weather": {"enabled": True, "api_key": api_key}},
    )
    hide_secrets(settings)
    out = io.StringIO()
    setup_logging(LoggingSettings(level="INFO"), sink=out)
    try:
        try:
            failing_connect(settings.database.url, password)
        except ConnectionError:
            logger.exception("database unreachable (token {} key {})", token, api_key)
        logging.getLogger("tortoise.test").error("with %s", password, exc_info=True)
    finally:
        logger.remove()
        logger.add(io.StringIO())
    text = out.getvalue()
    assert "database unreachable" in text and "Traceback (most recent call last)" in text
    assert 'raise ConnectionError(f"cannot reach' in text  # the code line, not its values
    assert "cannot reach postgres://bot:********@db.example:5432/bot" in text
    for secret in (password, token, api_key):
        assert secret not in text
    assert "│" not in text and "└" not in text and "password=" not in text


def test_json_lines_carry_the_traceback_redacted_in_the_message() -> None:
    secret = "s3cr3t-" + "q1" * 6
    hide_secrets(Settings(web={"token": secret}))
    out = io.StringIO()
    setup_logging(LoggingSettings(level="INFO", json_lines=True), sink=out)
    try:
        try:
            raise RuntimeError(f"bad token {secret}")
        except RuntimeError:
            logger.bind(header=f"Bearer {secret}").exception("refused")
    finally:
        logger.remove()
        logger.add(io.StringIO())
    [line] = out.getvalue().splitlines()
    assert secret not in line
    record = json.loads(line)["record"]
    assert record["exception"] is None
    assert record["message"].startswith("refused\nTraceback (most recent call last)")
    assert record["message"].endswith("RuntimeError: bad token ********")
    assert record["extra"]["header"] == "Bearer ********"


def test_a_sink_added_elsewhere_gets_the_same_protection() -> None:
    """Sinks that tests or tools add themselves, even with loguru's diagnose on."""
    password = "pw-" + "k3" * 8
    hide_secrets(Settings(cache={"redis_url": f"redis://:{password}@cache.example:6379/0"}))
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), diagnose=True, backtrace=True)
    try:
        try:
            failing_connect("redis://cache.example", password)
        except ConnectionError:
            logger.exception("cache unreachable")
    finally:
        logger.remove(sink)
    text = "".join(lines)
    assert "cache unreachable" in text and "ConnectionError: cannot reach" in text
    assert password not in text and "│" not in text and "└" not in text


class Failures:
    """Collects ``dbsbm_command_failed`` events and lets a test wait for the first one."""

    def __init__(self) -> None:
        self.events: list[CommandEvent] = []
        self.seen = asyncio.Event()

    @hookimpl
    def dbsbm_command_failed(self, event: CommandEvent) -> None:
        self.events.append(event)
        self.seen.set()


async def wait_for_lock_waiter(conn: asyncpg.Connection, database: str) -> None:
    """Until a session of ``database`` waits on a lock (the bot's query is in flight)."""
    deadline = time.monotonic() + 10
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
    while not await conn.fetchval(query, database):
        assert time.monotonic() < deadline, "the command never reached the database"
        await asyncio.sleep(0.02)


@pytest.mark.backend
async def test_a_database_cut_during_a_command_logs_no_secret(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    """The bot reaches PostgreSQL through a proxy with a password in its URL (the server trusts
    any password) and its Discord token set; the proxy is cut while ``/svc bump`` waits on a
    table lock. The file sink and standard error hold the failure, and no secret or variable."""
    password, web_token = "pw-" + secrets.token_hex(8), "web-" + secrets.token_hex(8)
    log_file, stderr = tmp_path / "bot.log", io.StringIO()
    failures = Failures()
    setup_logging(LoggingSettings(level="INFO", file=log_file), sink=stderr)
    try:
        async with fresh_postgres(backend_url("postgres")) as direct:
            parts = urllib.parse.urlsplit(direct)
            database = parts.path.lstrip("/")
            host = f"{parts.hostname}:{parts.port}"
            with_password = parts._replace(netloc=f"{parts.username}:{password}@{host}")
            proxy = await FaultProxy.for_url(direct).start()
            locker = await asyncpg.connect(direct.replace("postgres://", "postgresql://", 1))
            try:
                async with run_app(
                    local_discord,
                    tmp_path,
                    plugins=["services_probe"],
                    local_plugins=E2E / "e2e_plugins",
                    database_url=proxy.url(urllib.parse.urlunsplit(with_password)),
                    settings={
                        "discord": {"token": local_discord.token},
                        "web": {"token": web_token},
                    },
                ) as app:  # the App hides its settings' secrets by itself
                    app.pm.register(failures, name="test.failures")
                    alice = local_discord.member("Alice")
                    await (await alice.slash("svc", "bump", name="c")).wait_reply()
                    async with locker.transaction():
                        await locker.execute(
                            "LOCK TABLE services_probe_counter IN ACCESS EXCLUSIVE MODE"
                        )
                        await alice.slash("svc", "bump", name="c")
                        await wait_for_lock_waiter(locker, database)
                        proxy.cut()
                        await asyncio.wait_for(failures.seen.wait(), 30)
            finally:
                await locker.close()
                await proxy.close()
        await logger.complete()
    finally:
        logger.remove()
        logger.add(io.StringIO())
    [failure] = failures.events
    for text in (log_file.read_text(), stderr.getvalue()):
        assert failure.error_id is not None and failure.error_id in text
        assert "Traceback (most recent call last)" in text
        for secret in (password, local_discord.token, web_token):
            assert secret not in text
        assert "│" not in text and "└" not in text and "password=" not in text
