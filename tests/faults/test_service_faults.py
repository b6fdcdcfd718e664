"""Redis, the gateway and Discord's rate limits failing while members place picks (issue 13,
item 5).

Each test runs the betting bot (:class:`~tests.faults.load.PickLoad`), sends ``/bet straight``
at a steady rate, applies the fault in the middle of the load and then checks, from what members
were told, what the pipeline reported and what the database holds, that every interaction
delivered to a live gateway session was answered, or (only where Discord's 3 s could not be met)
counted as unanswered by the bot, never left silent; that no acknowledged pick is lost and none
stored twice; that no callback came after Discord's deadline; and that the bot serves normally
within 2 s of the fault's end.

- Redis (the cache, with its interaction claims, and the command rate limiter) cut and stalled
  behind a :class:`~core.testing.FaultProxy`: the picks go on, the cache's breaker opens and
  ``/health/detailed`` says so.
- The gateway asking for a reconnect (op 7), invalidating the session (op 9), dropping the
  socket and closing it with 4000, again and again: an interaction sent while no session is
  connected cannot be delivered (counted "undelivered"); every other one is answered.
- Every interaction delivered twice: one pick stored, one answer.
- 429 storms (global and per route) on the interaction callback and on the picks channel's
  messages.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.events import Outcome
from core.pipeline import AUTO_DEFER_AFTER
from core.testing import FaultProxy
from core.testing.faults import route_regex
from core.testing.server import LocalDiscord
from tests.faults.load import PickLoad, Tally, repeated, rest_storm
from tests.web.support import backend_url

RATE, SECONDS, FAULT_AT, FAULT_FOR = 30.0, 6.0, 1.5, 3.0
CALLBACK = "/interactions/{interaction_id}/{token}/callback"
CHANNEL_MESSAGES = "/channels/{channel_id}/messages"


def check(tally: Tally, *, but: tuple[str, ...] = ()) -> None:
    """No promise broken (those whose text contains a string of ``but`` are left to the
    caller)."""
    extra = {
        "counted unanswered": tally.counted_unanswered,
        "silent": tally.silent,
        "duplicate deliveries": tally.duplicate_deliveries,
        "answered twice": tally.rejected_callbacks,
        "late callbacks": tally.late_callbacks,
        "slowest answer (s)": max((s.answered_in or 0.0 for s in tally.sends), default=0.0),
    }
    print(tally.row(), extra)  # shown with -rP, and beside a failure
    broken = [p for p in tally.service_problems() if not any(b in p for b in but)]
    assert not broken, (broken, tally.row(), extra)


def all_acknowledged(tally: Tally) -> None:
    """Every delivered pick was stored and its member told so."""
    check(tally)
    assert tally.count("ok") == len(tally.delivered), tally.row()
    assert sum(1 for n in tally.stored.values() if n) == len(tally.delivered), tally.row()


async def run(
    load: PickLoad, name: str, backend: str, fault: Callable[[], Any], **kw: Any
) -> Tally:
    return await load.run(
        name,
        backend,
        rate=RATE,
        seconds=SECONDS,
        fault=fault,
        fault_at=FAULT_AT,
        fault_for=FAULT_FOR,
        **kw,
    )


# --- Redis ------------------------------------------------------------------------------------


@pytest.mark.backend
@pytest.mark.parametrize("kind", ["cut", "stall"])
async def test_redis_fault_under_load(kind: str, tmp_path: Path) -> None:
    """The cache and the rate limiter both on Redis, behind one proxy: every pick is answered
    and stored once; the cache's breaker opens and ``/health/detailed`` reports the cache."""
    redis_url = backend_url("redis")
    async with (
        FaultProxy.for_url(redis_url) as proxy,
        PickLoad.started(
            tmp_path, cache_url=proxy.url(redis_url), ratelimit_url=proxy.url(redis_url)
        ) as load,
    ):
        seen: dict[str, Any] = {}

        async def look() -> None:
            seen["breaker"] = load.app.cache.breaker_state
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{load.app.web.url}/health/detailed") as resp,
            ):
                seen["detailed"] = resp.status, await resp.json()

        tally = await run(load, f"Redis {kind}", "redis", lambda: proxy.fault(kind), during=look)
    all_acknowledged(tally)
    assert seen["breaker"] == "open", seen
    status, body = seen["detailed"]
    assert status == 503 and body["components"]["cache"]["status"] != "ok", body
    assert "breaker open" in body["components"]["cache"]["detail"], body
    assert body["components"]["ratelimit"]["status"] != "ok", body


# --- the gateway ------------------------------------------------------------------------------

GATEWAY_FAULTS: dict[str, tuple[Callable[[LocalDiscord], Awaitable[str]], str]] = {
    "op 7 reconnect": (lambda d: d.faults.request_reconnect(), "RESUME"),
    "op 9 invalid session": (lambda d: d.faults.invalidate_session(), "IDENTIFY"),
    "socket dropped": (lambda d: d.faults.drop_gateway(), "RESUME"),
    "close 4000": (lambda d: d.faults.close_gateway(4000), "RESUME"),
}


@pytest.mark.parametrize("name", list(GATEWAY_FAULTS))
async def test_gateway_fault_under_load(name: str, tmp_path: Path) -> None:
    """The fault every second for 3 s: every pick delivered on a live session is answered."""
    fault, handshake = GATEWAY_FAULTS[name]
    handshakes: list[str] = []
    async with PickLoad.started(tmp_path) as load:

        async def once() -> None:
            handshakes.append(await fault(load.discord))

        tally = await run(load, name, "memory", lambda: repeated(once, every=1.0))
    all_acknowledged(tally)
    assert len(handshakes) >= 2 and set(handshakes) == {handshake}, handshakes


async def test_duplicate_deliveries_under_load(tmp_path: Path) -> None:
    """Every interaction in the fault window delivered twice: stored once, answered once."""
    async with PickLoad.started(tmp_path) as load:
        faults = load.discord.faults

        async def duplicate() -> None:
            faults.duplicate_next_interaction()

        @contextlib.asynccontextmanager
        async def doubled() -> AsyncIterator[None]:
            async with repeated(duplicate, every=0.01):
                yield

        tally = await run(load, "duplicate deliveries", "memory", doubled)
    all_acknowledged(tally)
    assert tally.duplicate_deliveries >= RATE * FAULT_FOR / 2, tally.duplicate_deliveries


# --- 429 storms -------------------------------------------------------------------------------


def too_many(discord: LocalDiscord, route: str) -> int:
    """How many requests to ``route`` (a pattern) the local Discord answered with 429."""
    regex = route_regex(route)
    return sum(r.status == 429 and bool(regex.fullmatch(r.path)) for r in discord.requests)


@pytest.mark.parametrize("is_global", [False, True], ids=["per-route", "global"])
async def test_callback_429_bursts_under_load(is_global: bool, tmp_path: Path) -> None:
    """The callback route limited in bursts (0.5 s of 429s with ``retry_after`` 0.25 s, then
    0.5 s of answers): the retries fit in Discord's 3 s, so every member is answered."""
    async with PickLoad.started(tmp_path) as load:
        tally = await run(
            load,
            f"callback 429 bursts ({'global' if is_global else 'per route'})",
            "memory",
            lambda: rest_storm(
                load.discord,
                CALLBACK,
                retry_after=0.25,
                is_global=is_global,
                burst=0.5,
                pause=0.5,
            ),
        )
        assert too_many(load.discord, CALLBACK) > RATE, "the storm was never felt"
        assert not load.discord.late_interactions
    all_acknowledged(tally)


async def test_callback_429_storm_under_load(tmp_path: Path) -> None:
    """The callback route limited for 3 s without a pause (``retry_after`` 0.4 s): the
    interactions that cannot be acknowledged within Discord's 3 s are counted as unanswered by the
    bot; no callback comes after the deadline; none is left silent or answered twice; no pick is
    lost or doubled; and no member is told something went wrong for a stored pick."""
    async with PickLoad.started(tmp_path) as load:
        tally = await run(
            load,
            "callback 429 storm",
            "memory",
            lambda: rest_storm(load.discord, CALLBACK, retry_after=0.4),
        )
        assert not load.discord.late_interactions
    check(tally)
    assert tally.counted_unanswered > 0, ("the storm was never felt", tally.row())
    unclear = [
        s
        for s in tally.delivered
        if s.answer != "ok" and Outcome.UNANSWERED not in tally.outcomes[s.interaction_id]
    ]
    assert not unclear, unclear


@pytest.mark.parametrize("is_global", [False, True], ids=["per-route", "global"])
async def test_channel_429_storm_under_load(is_global: bool, tmp_path: Path) -> None:
    """The picks channel's messages route limited for 3 s (``retry_after`` 0.5 s): disnake
    queues the slips behind the limit, so they are posted late (the pipeline defers) or, for a
    slip whose retries run out, reported not posted; every member is answered, and every member
    told "Posted in" has a slip in the channel."""
    async with PickLoad.started(tmp_path) as load:
        tally = await run(
            load,
            f"channel 429 storm ({'global' if is_global else 'per route'})",
            "memory",
            lambda: rest_storm(
                load.discord, CHANNEL_MESSAGES, retry_after=0.5, is_global=is_global
            ),
        )
        limited = too_many(load.discord, CHANNEL_MESSAGES)
        slips = [m for m in load.discord.messages("picks") if m.embeds]
        assert not load.discord.late_interactions
    all_acknowledged(tally)
    assert limited >= FAULT_FOR / 0.5 / 2, f"the storm was never felt ({limited} 429s)"
    posted = sum("Posted in" in s.text for s in tally.sends)
    assert len(slips) == posted, (len(slips), posted)
    assert posted + sum("could not post" in s.text for s in tally.sends) == len(tally.sends)
    assert max(s.answered_in or 0.0 for s in tally.sends) > AUTO_DEFER_AFTER, "no slip was late"
