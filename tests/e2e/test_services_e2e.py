"""The core services end to end, through the local Discord and the real disnake client, on the
memory and the Redis backends: rate limits (denial with a relative timestamp, per-command and
per-group limits, escalating blocks, owner exemption), the cache served to a command (get-or-set,
no stampede, invalidation by key, tag and namespace), error recovery (a transient failure retried,
an error id on failure) and input validation (a rejection writes nothing).

Redis tests read ``DBSBM_TEST_REDIS_URL`` (skipped when unset, failing under ``CI=true``). The
framework's Redis keys carry no per-test prefix, so the probe keeps each test apart by the ids
of the test's own world (fresh snowflakes) and the teardown deletes exactly those keys (SCAN).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from db_backends import fresh_database
from e2e_support import E2E_PLUGINS
from loguru import logger

from core.app import App
from core.events import CommandEvent, Outcome, SecurityEvent
from core.testing import FaultProxy, LocalDiscord
from core.testing.driver import Actor, Callback
from core.testing.events import EventRecorder
from core.testing.harness import run_app

ROOT = Path(__file__).resolve().parents[2]
SECOND_PROCESS = E2E_PLUGINS / "services_probe" / "second_process.py"
SVC_LIMITS = {
    "default": "100/60s",
    "commands": {"svc limited": "2/60s", "svc admin": "3/60s"},
    "block_after": 2,
    "block_window": 60,
    "block_seconds": 1,
}
TIMESTAMP = re.compile(r"<t:(\d+):R>")


# --- backends and the app ---------------------------------------------------------------------


def redis_test_url() -> str:
    """``DBSBM_TEST_REDIS_URL``; skips the test when unset (fails it under ``CI=true``)."""
    url = os.environ.get("DBSBM_TEST_REDIS_URL", "")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("DBSBM_TEST_REDIS_URL is not set; Redis tests must run under CI")
        pytest.skip("DBSBM_TEST_REDIS_URL is not set")
    return url


def service_settings(backend: str, redis_url: str | None) -> dict[str, Any]:
    """The ``cache`` and ``ratelimit`` sections for ``backend`` (``"memory"`` or ``"redis"``)."""
    where = {"backend": backend} | ({"redis_url": redis_url} if redis_url else {})
    return {"cache": dict(where), "ratelimit": where | SVC_LIMITS}


async def delete_test_keys(redis_url: str, discord: LocalDiscord) -> None:
    """Delete the Redis keys of this test's world: the probe's per-guild cache namespace,
    its members' rate-limit windows and blocks, and its interactions' delivery claims."""
    guild = discord.guild
    patterns = [f"*services_probe.g{guild.id}*"]
    patterns += [f"dbsbm:rl:*:u:{member.id}*" for member in guild.members]
    claims = [f"dbsbm:cache:c:interaction:{r.id}" for r in discord.interactions.values()]
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        doomed = [k for p in patterns async for k in client.scan_iter(match=p, count=1000)]
        if doomed or claims:
            await client.delete(*doomed, *claims)
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def redis_url(backend: str) -> str | None:
    return redis_test_url() if backend == "redis" else None


@pytest.fixture
async def svc(
    local_discord: LocalDiscord, tmp_path: Path, backend: str, redis_url: str | None
) -> AsyncIterator[App]:
    """The bot with the services probe, its cache and limiter on ``backend``."""
    try:
        async with run_app(
            local_discord,
            tmp_path,
            plugins=["services_probe"],
            local_plugins=E2E_PLUGINS,
            settings=service_settings(backend, redis_url),
        ) as app:
            assert app.plugins.records["services_probe"].error is None
            assert (app.cache.backend, app.limiter.backend) == (backend, backend)
            yield app
    finally:
        if redis_url:
            await delete_test_keys(redis_url, local_discord)


@pytest.fixture
def events(svc: App) -> EventRecorder:
    return EventRecorder.attach(svc)


# --- helpers ----------------------------------------------------------------------------------


async def say(actor: Actor, *path: str, **options: Any) -> str:
    """Run a command and return the text of the bot's reply."""
    reply = await (await actor.slash(*path, **options)).wait_reply()
    assert reply.message is not None, f"/{' '.join(path)} got no message"
    return reply.message.content


async def reply_to(actor: Actor, *path: str, **options: Any) -> tuple[int, Callback]:
    response = await actor.slash(*path, **options)
    reply = await response.wait_reply()
    assert reply.message is not None
    return response.interaction_id, reply


def outcome_of(interaction_id: int) -> Any:
    return lambda e: isinstance(e, CommandEvent) and e.info.interaction_id == interaction_id


async def detailed_health(app: App) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{app.web.url}/health/detailed") as resp,
    ):
        return resp.status, await resp.json()


# --- rate limits --------------------------------------------------------------------------------


async def test_denial_names_the_exact_wait_as_a_relative_timestamp(
    svc: App, local_discord: LocalDiscord, events: EventRecorder
) -> None:
    bob = local_discord.member("Bob")
    first = time.time()
    assert await say(bob, "svc", "limited") == "limited ok"
    assert await say(bob, "svc", "limited") == "limited ok"
    interaction_id, reply = await reply_to(bob, "svc", "limited")
    assert reply.ephemeral and reply.message is not None
    assert reply.message.content.startswith("You're doing that too often.")
    found = TIMESTAMP.search(reply.message.content)
    assert found, reply.message.content
    # the oldest counted request leaves the 60 s window: that moment, not a fixed-window edge
    assert first + 60 - 1 <= int(found[1]) <= time.time() + 60 + 1
    event = await events.wait(outcome_of(interaction_id))
    assert event.outcome is Outcome.RATE_LIMITED
    # the limit is Bob's and this command's: Alice and Bob's other commands still pass
    assert await say(local_discord.member("Alice"), "svc", "limited") == "limited ok"
    assert await say(bob, "svc", "bump", name="other") == "other=1"


async def test_a_group_limit_is_shared_by_its_commands(
    svc: App, local_discord: LocalDiscord, events: EventRecorder
) -> None:
    alice = local_discord.member("Alice")
    assert await say(alice, "svc", "admin", "one") == "admin one ok"
    assert await say(alice, "svc", "admin", "two") == "admin two ok"
    assert await say(alice, "svc", "admin", "one") == "admin one ok"
    interaction_id, reply = await reply_to(alice, "svc", "admin", "two")
    assert reply.ephemeral and reply.message is not None
    assert TIMESTAMP.search(reply.message.content)
    assert (await events.wait(outcome_of(interaction_id))).outcome is Outcome.RATE_LIMITED


async def test_repeated_violations_block_and_blocks_escalate(
    svc: App, local_discord: LocalDiscord, events: EventRecorder
) -> None:
    bob = local_discord.member("Bob")
    bob_id = local_discord.guild.member("Bob").id
    for _ in range(2):
        assert await say(bob, "svc", "limited") == "limited ok"
    assert (await say(bob, "svc", "limited")).startswith("You're doing that too often.")
    blocked = await say(bob, "svc", "limited")  # the second violation within the window
    assert blocked.startswith("You have been temporarily blocked"), blocked
    first = await events.wait(
        lambda e: isinstance(e, SecurityEvent) and e.kind == "rate_limit_block"
    )
    assert first.user_id == bob_id
    assert first.data == {"command": "svc limited", "seconds": 1.0}
    # a block covers every command of the member, not only the one that was overused
    assert (await say(bob, "svc", "bump", name="x")).startswith("You have been temporarily blocked")

    await asyncio.sleep(1.05)  # the block is a real second long: let it run out
    assert (await say(bob, "svc", "limited")).startswith("You're doing that too often.")
    assert (await say(bob, "svc", "limited")).startswith("You have been temporarily blocked")
    second = await events.wait(
        lambda e: isinstance(e, SecurityEvent) and e.kind == "rate_limit_block" and e is not first
    )
    assert second.data == {"command": "svc limited", "seconds": 2.0}  # doubled


async def test_owners_are_never_limited(
    svc: App, local_discord: LocalDiscord, events: EventRecorder
) -> None:
    owner = local_discord.member("Owner")
    for _ in range(6):
        assert await say(owner, "svc", "limited") == "limited ok"
    outcomes = [e.outcome for e in events.events if isinstance(e, CommandEvent)]
    assert Outcome.RATE_LIMITED not in outcomes
    assert not [e for e in events.events if isinstance(e, SecurityEvent)]


# --- the cache ----------------------------------------------------------------------------------


async def test_cached_value_until_invalidated_by_key_tag_or_namespace(
    svc: App, local_discord: LocalDiscord
) -> None:
    alice = local_discord.member("Alice")
    stats_name = f"services_probe.g{local_discord.guild.id}"
    for name in ("a", "b"):
        assert await say(alice, "svc", "bump", name=name) == f"{name}=1"
    assert await say(alice, "svc", "show", name="a", tag="x") == "a=1"
    assert await say(alice, "svc", "show", name="b", tag="y") == "b=1"
    for name in ("a", "b"):
        assert await say(alice, "svc", "bump", name=name) == f"{name}=2"
    # the database moved on; the cache still serves what it computed
    assert await say(alice, "svc", "show", name="a", tag="x") == "a=1"
    assert await say(alice, "svc", "show", name="b", tag="y") == "b=1"

    await say(alice, "svc", "forget", what="key", arg="a")
    assert await say(alice, "svc", "show", name="a", tag="x") == "a=2"
    assert await say(alice, "svc", "show", name="b", tag="y") == "b=1"

    await say(alice, "svc", "bump", name="a")
    await say(alice, "svc", "forget", what="tag", arg="y")  # b only
    assert await say(alice, "svc", "show", name="a", tag="x") == "a=2"
    assert await say(alice, "svc", "show", name="b", tag="y") == "b=2"

    await say(alice, "svc", "bump", name="b")
    await say(alice, "svc", "forget", what="namespace")
    assert await say(alice, "svc", "show", name="a", tag="x") == "a=3"
    assert await say(alice, "svc", "show", name="b", tag="y") == "b=3"

    stats = svc.cache.stats()[stats_name]
    assert (stats.hits, stats.misses, stats.errors) == (4, 6, 0)


async def test_a_cold_key_is_computed_once_under_concurrent_commands(
    svc: App, local_discord: LocalDiscord
) -> None:
    members = [local_discord.member(n) for n in ("Alice", "Bob", "Owner")]
    await say(members[0], "svc", "bump", name="hot")
    responses = await asyncio.gather(
        *(m.slash("svc", "show", name="hot") for m in members for _ in range(3))
    )
    replies = await asyncio.gather(*(r.wait_reply() for r in responses))
    assert {r.message.content for r in replies if r.message} == {"hot=1"}
    stats = svc.cache.stats()[f"services_probe.g{local_discord.guild.id}"]
    assert (stats.misses, stats.hits) == (1, 8)


# --- error recovery and validation ------------------------------------------------------------


async def test_a_transient_failure_is_retried_then_succeeds(
    svc: App, local_discord: LocalDiscord, events: EventRecorder
) -> None:
    interaction_id, reply = await reply_to(local_discord.member("Bob"), "svc", "flaky", failures=2)
    assert reply.message is not None and reply.message.content == "succeeded on attempt 3"
    assert not reply.ephemeral
    assert (await events.wait(outcome_of(interaction_id))).outcome is Outcome.OK


async def test_a_lasting_failure_gets_an_error_id_that_the_log_carries(
    svc: App, local_discord: LocalDiscord, events: EventRecorder
) -> None:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="ERROR")
    try:
        interaction_id, reply = await reply_to(
            local_discord.member("Bob"), "svc", "flaky", failures=3
        )
        failed = await events.wait(outcome_of(interaction_id))
    finally:
        logger.remove(sink)
    assert reply.ephemeral and reply.message is not None
    text = reply.message.content
    assert failed.outcome is Outcome.FAILED and failed.error_type == "ProbeTransient"
    assert text.startswith("The probe's source kept failing. Try again later.")
    assert f"`{failed.error_id}`" in text
    assert "Traceback" not in text and "transient failure" not in text
    logged = [line for line in lines if failed.error_id in line]
    assert logged and "after 3 attempt(s)" in logged[0]
    assert "Traceback" in logged[0]  # the traceback goes to the log, never to Discord


async def test_a_rejected_input_names_field_and_rule_and_writes_nothing(
    svc: App, local_discord: LocalDiscord, events: EventRecorder
) -> None:
    from e2e_plugins.services_probe.models import Stake

    bob = local_discord.member("Bob")
    for units, rule in [
        ("1.234", "units: must have at most 2 decimal places (got 1.234)"),
        ("0", "units: must be more than 0 (got 0)"),
        ("500", "units: must be at most 100 (got 500)"),
        ("lots", "units: "),
    ]:
        interaction_id, reply = await reply_to(bob, "svc", "stake", units=units)
        assert reply.ephemeral and reply.message is not None
        assert reply.message.content.startswith(rule), reply.message.content
        assert (await events.wait(outcome_of(interaction_id))).outcome is Outcome.REJECTED
    assert await Stake.all().count() == 0
    assert await say(bob, "svc", "stake", units="2.5") == "staked 2.50 units"
    assert [s.units for s in await Stake.all()] == [Decimal("2.50")]


# --- two processes, one Redis -------------------------------------------------------------------


async def run_second_process(sections: dict[str, Any], actions: dict[str, Any]) -> dict[str, Any]:
    """Run ``second_process.py`` (a real second Python process) and return what it printed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SECOND_PROCESS),
        json.dumps(sections),
        json.dumps(actions),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def test_a_second_process_shares_the_limit_and_the_invalidation(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    url = redis_test_url()
    sections = service_settings("redis", url)
    bob = local_discord.member("Bob")
    bob_member = local_discord.guild.member("Bob")
    try:
        async with run_app(
            local_discord,
            tmp_path,
            plugins=["services_probe"],
            local_plugins=E2E_PLUGINS,
            settings=sections,
        ):
            assert await say(bob, "svc", "limited") == "limited ok"  # 1 of 2
            assert await say(bob, "svc", "bump", name="c") == "c=1"
            assert await say(bob, "svc", "show", name="c") == "c=1"
            assert await say(bob, "svc", "bump", name="c") == "c=2"
            assert await say(bob, "svc", "show", name="c") == "c=1"  # cached

            seen = await run_second_process(
                sections,
                {
                    "check": {
                        "user_id": bob_member.id,
                        "guild_id": local_discord.guild.id,
                        "channel_id": local_discord.guild.channel("general").id,
                        "command": "svc limited",
                    },
                    "invalidate": {
                        "namespace": f"services_probe.g{local_discord.guild.id}",
                        "key": "c",
                    },
                },
            )
            assert seen == {
                "check": {"allowed": True, "degraded": False},  # 2 of 2, counted in Redis
                "invalidate": {"breaker": "closed"},
            }
            # the other process used Bob's last request and dropped the cached value
            assert (await say(bob, "svc", "limited")).startswith("You're doing that too often.")
            assert await say(bob, "svc", "show", name="c") == "c=2"
    finally:
        await delete_test_keys(url, local_discord)


# --- outages ------------------------------------------------------------------------------------


async def test_commands_keep_working_when_redis_goes_away(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    url = redis_test_url()
    proxy = await FaultProxy.for_url(url).start()
    sections = service_settings("redis", proxy.url(url))
    sections["cache"] |= {"breaker_failures": 2, "breaker_cooldown": 600}
    alice = local_discord.member("Alice")
    try:
        async with run_app(
            local_discord,
            tmp_path,
            plugins=["services_probe"],
            local_plugins=E2E_PLUGINS,
            settings=sections,
        ) as app:
            assert await say(alice, "svc", "bump", name="c") == "c=1"
            assert await say(alice, "svc", "show", name="c") == "c=1"
            _, health = await detailed_health(app)
            assert health["components"]["cache"]["status"] == "ok"
            assert health["components"]["cache"]["data"]["breaker"] == "closed"

            proxy.cut()  # every connection to Redis drops; new ones are refused
            assert await say(alice, "svc", "bump", name="c") == "c=2"
            assert await say(alice, "svc", "show", name="c") == "c=2"  # computed, from memory
            assert await say(alice, "svc", "show", name="c") == "c=2"  # and cached there
            assert await say(alice, "svc", "limited") == "limited ok"  # local limits
            assert await say(alice, "svc", "limited") == "limited ok"
            assert (await say(alice, "svc", "limited")).startswith("You're doing that too often")

            status, health = await detailed_health(app)
            assert status == 503
            cache = health["components"]["cache"]
            assert cache["status"] == "unhealthy"
            assert cache["data"] == {"backend": "redis", "breaker": "open"}
            assert "serving from memory" in cache["detail"]
            limits = health["components"]["ratelimit"]
            assert limits["status"] == "unhealthy" and limits["data"]["fallback"] is True
            assert "cache" in health["failing"] and "database" not in health["failing"]
            stats = app.cache.stats()[f"services_probe.g{local_discord.guild.id}"]
            assert (stats.misses, stats.hits) == (2, 1)  # computed in Redis, again in memory
    finally:
        await proxy.close()
        await delete_test_keys(url, local_discord)


async def test_the_next_command_succeeds_after_the_sqlite_connection_drops(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="WARNING")
    alice = local_discord.member("Alice")
    try:
        async with run_app(
            local_discord, tmp_path, plugins=["services_probe"], local_plugins=E2E_PLUGINS
        ) as app:
            assert await say(alice, "svc", "bump", name="c") == "c=1"
            # close the ORM's connection under it: its client still holds the dead connection
            await app.db.connection._connection.close()
            assert await say(alice, "svc", "bump", name="c") == "c=2"
            assert await say(alice, "svc", "bump", name="c") == "c=3"
    finally:
        logger.remove(sink)
    assert any("will reconnect_database" in line for line in lines), lines


async def test_the_next_command_succeeds_after_the_postgres_connection_drops(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    """The bot reaches PostgreSQL through a proxy; cutting it kills every connection and
    refuses new ones. The command's first attempt fails, recovery reconnects (the proxy is
    restored as soon as the failure is logged) and the retry succeeds."""
    failed = asyncio.Event()

    def watch(message: Any) -> None:
        if "will reconnect_database" in str(message):
            failed.set()

    alice = local_discord.member("Alice")
    sink = logger.add(watch, level="WARNING")
    try:
        async with fresh_database("postgres", tmp_path) as direct_url:
            proxy = await FaultProxy.for_url(direct_url).start()
            try:
                async with run_app(
                    local_discord,
                    tmp_path,
                    plugins=["services_probe"],
                    local_plugins=E2E_PLUGINS,
                    database_url=proxy.url(direct_url),
                ):
                    assert await say(alice, "svc", "bump", name="c") == "c=1"
                    proxy.cut()
                    response = await alice.slash("svc", "bump", name="c")
                    await asyncio.wait_for(failed.wait(), 10)
                    await proxy.restore()
                    reply = await response.wait_reply()
                    assert reply.message is not None and reply.message.content == "c=2"
                    assert not reply.ephemeral
                    assert await say(alice, "svc", "bump", name="c") == "c=3"
            finally:
                await proxy.close()
    finally:
        logger.remove(sink)
