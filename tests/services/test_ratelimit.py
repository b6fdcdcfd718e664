"""The rate limiter against memory and Redis: window accuracy, scopes, blocks, sharing, fallback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from loguru import logger

from core.events import InteractionInfo, RateLimitDecision, RateLimitRequest, SecurityEvent
from core.hooks import acall, new_plugin_manager
from core.hookspecs import hookimpl
from core.ratelimit.hooks import RateLimitHooks, block_event
from core.ratelimit.limiter import PROBE_INTERVAL, RateLimiter
from core.ratelimit.limits import Limit, LimitError, parse_limit
from core.ratelimit.messages import denial_message
from core.ratelimit.web import WebRateLimit
from core.settings import RateLimitSettings
from core.testing import FaultProxy

from .conftest import (
    CLOSED_PORT_URL,
    FakeClock,
    delete_prefix,
    new_prefix,
)

MakeLimiter = Callable[..., RateLimiter]


def request(
    user: int = 1, command: str = "bet", guild: int | None = 10, channel: int | None = 20, **kw: Any
) -> RateLimitRequest:
    info = InteractionInfo(1, "command", "betting", command, user, guild, channel, **kw)
    return RateLimitRequest(info=info, bucket_key=command)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.backend)])
async def make_limiter(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[MakeLimiter]:
    """Build limiters on the parametrized backend; all share the test's clock and prefix."""
    backend = request.param
    url, prefix = "redis://unused", "unused"
    if backend == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = new_prefix()
    made: list[RateLimiter] = []

    def make(**settings: Any) -> RateLimiter:
        on_block = settings.pop("on_block", None)
        limiter = RateLimiter(
            RateLimitSettings(backend=backend, redis_url=url, **settings),
            clock=clock,
            prefix=prefix,
            on_block=on_block,
        )
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.close()
    if backend == "redis":
        await delete_prefix(url, prefix)


# --- limit strings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("5/60s", Limit(5, 60.0)),
        ("3/1m", Limit(3, 60.0)),
        ("100/1h", Limit(100, 3600.0)),
        ("10/m", Limit(10, 60.0)),
        ("2/500ms", Limit(2, 0.5)),
        (" 7 / 2d ", Limit(7, 172800.0)),
        ("4/30", Limit(4, 30.0)),
    ],
)
def test_parse_limit(text: str, limit: Limit) -> None:
    assert parse_limit(text) == limit


@pytest.mark.parametrize("text", ["", "5", "5/", "0/60s", "5/0s", "5/60x", "five/60s", "-1/60s"])
def test_parse_limit_errors_name_the_value(text: str) -> None:
    with pytest.raises(LimitError) as info:
        parse_limit(text, "[ratelimit] commands.bet")
    assert repr(text) in str(info.value) and "commands.bet" in str(info.value)


def test_bad_configured_limit_fails_at_construction() -> None:
    with pytest.raises(LimitError, match=r"commands\.bet.*'5/60x'"):
        RateLimiter(RateLimitSettings(commands={"bet": "5/60x"}))


# --- accuracy -----------------------------------------------------------------------------------


async def test_sliding_window_boundary_and_exact_retry_after(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    limiter = make_limiter(default="5/60s", block_after=100)
    for _ in range(5):
        assert (await limiter.check(request())).allowed
    denied = await limiter.check(request())
    assert not denied.allowed and denied.scope == "user"
    assert denied.retry_after == pytest.approx(60.0)
    clock.advance(59.999)
    almost = await limiter.check(request())
    assert not almost.allowed and almost.retry_after == pytest.approx(0.001, abs=1e-6)
    clock.advance(0.001)
    assert (await limiter.check(request())).allowed


async def test_no_double_burst_at_a_fixed_window_boundary(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    limiter = make_limiter(default="5/60s", block_after=100)
    clock.advance(59)  # end of a would-be fixed window
    for _ in range(5):
        assert (await limiter.check(request())).allowed
    clock.advance(2)  # start of the next fixed window
    denied = await limiter.check(request())
    assert not denied.allowed and denied.retry_after == pytest.approx(58.0)


async def test_retry_after_is_when_the_oldest_counted_request_leaves(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    limiter = make_limiter(default="3/30s", block_after=100)
    for _ in range(3):
        assert (await limiter.check(request())).allowed
        clock.advance(10)
    clock.advance(-5)  # t = 25: requests at 0, 10, 20
    denied = await limiter.check(request())
    assert denied.retry_after == pytest.approx(5.0)
    clock.advance(5)
    assert (await limiter.check(request())).allowed


async def test_denied_requests_do_not_count(make_limiter: MakeLimiter, clock: FakeClock) -> None:
    limiter = make_limiter(default="2/10s", block_after=100)
    assert (await limiter.check(request())).allowed
    clock.advance(5)
    assert (await limiter.check(request())).allowed
    for _ in range(5):
        assert not (await limiter.check(request())).allowed
    clock.advance(5)  # the first request left; denials did not refill the window
    assert (await limiter.check(request())).allowed


# --- buckets ------------------------------------------------------------------------------------


async def test_most_specific_command_limit_wins(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(
        default="5/60s", commands={"bet": "2/60s", "bet straight": "1/60s"}, block_after=100
    )
    assert limiter.command_limit("bet straight") == ("bet straight", Limit(1, 60.0))
    assert limiter.command_limit("bet parlay add") == ("bet", Limit(2, 60.0))
    assert limiter.command_limit("weather") == ("weather", Limit(5, 60.0))
    assert (await limiter.check(request(command="bet straight"))).allowed
    assert not (await limiter.check(request(command="bet straight"))).allowed
    # "bet parlay" and "bet" share the group's bucket
    assert (await limiter.check(request(command="bet parlay"))).allowed
    assert (await limiter.check(request(command="bet"))).allowed
    assert not (await limiter.check(request(command="bet parlay"))).allowed
    # unconfigured commands each get their own default bucket
    for _ in range(5):
        assert (await limiter.check(request(command="weather"))).allowed
    assert (await limiter.check(request(command="records"))).allowed


async def test_guild_channel_and_global_buckets(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(default="10/60s", guild="3/60s", block_after=100)
    for user in (1, 2, 3):
        assert (await limiter.check(request(user=user))).allowed
    denied = await limiter.check(request(user=4))
    assert not denied.allowed and denied.scope == "guild"
    assert (await limiter.check(request(user=4, guild=11))).allowed  # another guild

    channel = make_limiter(default="10/60s", channel="1/60s", block_after=100, global_="3/60s")
    assert (await channel.check(request(user=1, guild=50, channel=60))).allowed
    assert (await channel.check(request(user=1, guild=50, channel=61))).allowed
    assert (await channel.check(request(user=1, guild=50, channel=62))).allowed
    over = await channel.check(request(user=1, guild=50, channel=63))
    assert not over.allowed and over.scope == "global"
    assert (await channel.check(request(user=1, guild=50, channel=60))).scope in (
        "channel",
        "global",
    )


async def test_owner_is_exempt(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(default="1/60s", block_after=2)
    decisions = [await limiter.check(request(is_owner=True)) for _ in range(20)]
    assert all(d.allowed for d in decisions)


# --- blocks -------------------------------------------------------------------------------------


async def test_repeated_violations_block_with_escalation(
    make_limiter: MakeLimiter, clock: FakeClock
) -> None:
    started: list[RateLimitDecision] = []

    async def on_block(req: RateLimitRequest, decision: RateLimitDecision) -> None:
        started.append(decision)

    limiter = make_limiter(
        default="1/60s", block_after=2, block_window=60, block_seconds=10, on_block=on_block
    )
    assert (await limiter.check(request())).allowed
    first = await limiter.check(request())
    assert not first.allowed and not first.blocked and first.scope == "user"
    block = await limiter.check(request())
    assert block.blocked and block.scope == "block" and block.retry_after == pytest.approx(10)
    assert len(started) == 1
    clock.advance(4)
    still = await limiter.check(request(command="other"))  # a block covers every command
    assert still.blocked and still.retry_after == pytest.approx(6)
    assert len(started) == 1  # reported once per block
    clock.advance(6)
    for _ in range(2):  # the user bucket (1/60s) is still full: two more violations
        await limiter.check(request())
    assert len(started) == 2 and started[1].retry_after == pytest.approx(20)  # doubled
    clock.advance(20)
    await limiter.check(request())
    third = await limiter.check(request())
    assert third.blocked and third.retry_after == pytest.approx(40)


async def test_block_event_and_denial_message(clock: FakeClock) -> None:
    req = request(user=7, guild=70)
    decision = RateLimitDecision(False, 12.2, "block", blocked=True)
    event = block_event(req, decision)
    assert event.kind == "rate_limit_block" and event.user_id == 7 and event.guild_id == 70
    text = denial_message(decision, now=1000.0)
    assert "<t:1013:R>" in text and "blocked" in text
    plain = denial_message(RateLimitDecision(False, 3.0, "user"), now=1000.0)
    assert plain == "You're doing that too often. Try again <t:1003:R>."


# --- hooks --------------------------------------------------------------------------------------


async def test_hook_delegates_and_plugins_can_override(clock: FakeClock) -> None:
    pm = new_plugin_manager()
    limiter = RateLimiter(RateLimitSettings(default="1/60s", block_after=100), clock=clock)
    pm.register(RateLimitHooks(limiter), name="core.ratelimit")
    req = request()
    assert (await acall(pm.hook.dbsbm_rate_limit_check, request=req)).allowed
    assert not (await acall(pm.hook.dbsbm_rate_limit_check, request=req)).allowed

    class Vip:
        @hookimpl
        async def dbsbm_rate_limit_check(self, request: RateLimitRequest) -> Any:
            return RateLimitDecision(True, scope="vip") if request.info.user_id == 1 else None

    pm.register(Vip(), name="vip")
    assert (await acall(pm.hook.dbsbm_rate_limit_check, request=req)).scope == "vip"
    assert (await acall(pm.hook.dbsbm_rate_limit_check, request=request(user=2))).allowed
    [health] = await acall(pm.hook.dbsbm_health_check)
    assert health.component == "ratelimit" and health.healthy


# --- Redis: sharing, concurrency, fallback ------------------------------------------------------


@pytest.mark.backend
async def test_two_limiters_on_one_redis_share_a_limit(
    redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    settings = RateLimitSettings(backend="redis", redis_url=redis_url, default="4/60s")
    one = RateLimiter(settings, clock=clock, prefix=redis_prefix)
    two = RateLimiter(settings, clock=clock, prefix=redis_prefix)
    try:
        results = [await (one if i % 2 else two).check(request()) for i in range(6)]
        assert [r.allowed for r in results] == [True] * 4 + [False] * 2
    finally:
        await one.close()
        await two.close()


async def test_concurrent_checks_admit_exactly_the_limit(make_limiter: MakeLimiter) -> None:
    limiters = [make_limiter(default="10/60s", block_after=1000) for _ in range(2)]
    checks = [limiters[i % 2].check(request()) for i in range(50)]
    results = await asyncio.gather(*checks)
    allowed = sum(r.allowed for r in results)
    # memory limiters are per process (instance); Redis ones share one limit
    assert allowed == (20 if limiters[0].backend == "memory" else 10)


async def test_redis_down_falls_back_logs_once_and_reports_unhealthy(clock: FakeClock) -> None:
    warnings: list[str] = []
    sink = logger.add(lambda m: warnings.append(str(m)), level="WARNING")
    limiter = RateLimiter(
        RateLimitSettings(backend="redis", redis_url=CLOSED_PORT_URL, default="2/60s"),
        clock=clock,
    )
    try:
        results = [await limiter.check(request()) for _ in range(3)]
        for _ in range(3):
            clock.advance(PROBE_INTERVAL)
            await limiter.check(request(user=2))
        assert [r.allowed for r in results] == [True, True, False]
        assert limiter.degraded
        health = await limiter.health()
        assert not health.healthy and health.data["fallback"] is True
        assert sum("Redis unreachable" in w for w in warnings) == 1
    finally:
        logger.remove(sink)
        await limiter.close()


@pytest.mark.backend
async def test_limiter_returns_to_redis_after_an_outage(
    redis_url: str, redis_prefix: str, redis_proxy: FaultProxy, clock: FakeClock
) -> None:
    settings = RateLimitSettings(
        backend="redis", redis_url=redis_proxy.url(redis_url), default="3/60s"
    )
    limiter = RateLimiter(settings, clock=clock, prefix=redis_prefix)
    other = RateLimiter(
        RateLimitSettings(backend="redis", redis_url=redis_url, default="3/60s"),
        clock=clock,
        prefix=redis_prefix,
    )
    try:
        assert (await limiter.check(request())).allowed
        redis_proxy.cut()
        assert (await limiter.check(request())).allowed  # local fallback
        assert limiter.degraded and not (await limiter.health()).healthy
        await redis_proxy.restore()
        clock.advance(PROBE_INTERVAL)
        assert (await limiter.check(request())).allowed  # the probe: back on Redis
        assert not limiter.degraded and (await limiter.health()).healthy
        # Redis saw 2 of the 3 requests (the fallback one was local): one left, shared
        assert (await other.check(request())).allowed
        assert not (await limiter.check(request())).allowed
    finally:
        await limiter.close()
        await other.close()


@pytest.mark.backend
async def test_limiter_stays_on_redis_when_its_connection_drops(
    redis_url: str, redis_prefix: str, redis_proxy: FaultProxy, clock: FakeClock
) -> None:
    """A pooled connection reset under the limiter (Redis restarted, a proxy or NAT timing
    out): the next check reconnects and is counted on Redis, without falling back."""
    settings = RateLimitSettings(
        backend="redis", redis_url=redis_proxy.url(redis_url), default="2/60s"
    )
    limiter = RateLimiter(settings, clock=clock, prefix=redis_prefix)
    try:
        assert (await limiter.check(request())).allowed
        redis_proxy.reset()
        assert (await limiter.check(request())).allowed
        assert not limiter.degraded
        assert not (await limiter.check(request())).allowed  # both counted on Redis
    finally:
        await limiter.close()


@pytest.mark.backend
async def test_limiter_loads_its_script_again_when_redis_lost_it(
    redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    """After ``SCRIPT FLUSH`` (as after a Redis restart) the check loads the script again."""
    settings = RateLimitSettings(backend="redis", redis_url=redis_url, default="2/60s")
    limiter = RateLimiter(settings, clock=clock, prefix=redis_prefix)
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert (await limiter.check(request())).allowed
        await client.script_flush()
        assert (await limiter.check(request())).allowed
        assert not limiter.degraded
        assert not (await limiter.check(request())).allowed
    finally:
        await limiter.close()
        await client.aclose()


# --- the web middleware -------------------------------------------------------------------------


async def test_web_middleware_answers_429_with_retry_after(clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimitSettings(), clock=clock)
    events: list[SecurityEvent] = []

    async def report(event: SecurityEvent) -> None:
        events.append(event)

    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="hi")

    limit = WebRateLimit(limiter, "2/60s", report)
    app = web.Application(middlewares=[limit.middleware])
    app.router.add_get("/", hello)
    async with TestClient(TestServer(app)) as client:
        for _ in range(2):
            assert (await client.get("/")).status == 200
        clock.advance(0.5)
        resp = await client.get("/")
        assert resp.status == 429 and resp.headers["Retry-After"] == "60"
        assert (await resp.json())["error"]["retry_after"] == 60
        assert [(e.kind, e.client_address) for e in events] == [("web_rate_limited", "127.0.0.1")]
        clock.advance(59.5)
        assert (await client.get("/")).status == 200
    await limit.close()  # the refusal window is closed and its count reported
    assert [e.kind for e in events] == ["web_rate_limited", "web_rate_limit_ended"]
    assert events[1].data["refused"] == 1
