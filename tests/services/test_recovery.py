"""Error recovery: classification, bounded retries, reconnects, error ids, HTTP retries."""

from __future__ import annotations

import asyncio
import contextvars
import re
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from loguru import logger
from tortoise.exceptions import DBConnectionError, OperationalError

from core.events import InteractionInfo, RecoveryAction, RecoveryKind
from core.hooks import new_plugin_manager
from core.hookspecs import hookimpl
from core.recovery import (
    BUSY_MESSAGE,
    DATABASE_MESSAGE,
    UNKNOWN_OUTCOME_WAIT,
    Degraded,
    HandledFailure,
    RecoveryHooks,
    RetryableStatus,
    UserError,
    backoff_delay,
    default_action,
    during_commit,
    new_error_id,
    parse_retry_after,
    retrying,
    run_with_recovery,
)
from core.validation import ValidationError

INFO = InteractionInfo(99, "command", "betting", "bet straight", 1, 2, 3)


@pytest.fixture
def pm() -> Any:
    manager = new_plugin_manager()
    manager.register(RecoveryHooks(), name="core.recovery")
    return manager


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Flaky:
    """Raises the given errors in turn, then returns ``"ok"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_error_ids_are_short_and_unique() -> None:
    ids = {new_error_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[A-Z2-7]{8}", i) for i in ids)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TimeoutError(), RecoveryKind.RETRY),
        (aiohttp.ClientConnectorError.__new__(aiohttp.ClientConnectorError), RecoveryKind.RETRY),
        (aiohttp.ClientPayloadError("truncated"), RecoveryKind.RETRY),
        (DBConnectionError("could not connect"), RecoveryKind.RECONNECT_DATABASE),
        (
            OperationalError("connection was closed in the middle of operation"),
            RecoveryKind.RECONNECT_DATABASE,
        ),
        (OperationalError(2006, "MySQL server has gone away"), RecoveryKind.RECONNECT_DATABASE),
        (ConnectionRefusedError(111, "refused"), RecoveryKind.RECONNECT_DATABASE),
        (OSError("network unreachable"), RecoveryKind.RECONNECT_DATABASE),
        (OperationalError("no such column: units"), RecoveryKind.FAIL),
        (OperationalError("database is locked"), RecoveryKind.RETRY),
        (KeyError("x"), RecoveryKind.FAIL),
    ],
)
def test_default_classification(error: BaseException, kind: RecoveryKind) -> None:
    assert default_action(error).kind is kind


def test_a_locked_database_is_waited_for_then_says_nothing_was_saved() -> None:
    action = default_action(OperationalError("database is locked"))
    assert action.user_message == BUSY_MESSAGE and "nothing was saved" in action.user_message
    waits = [backoff_delay(n, action.base_delay) for n in range(1, action.max_attempts)]
    assert 6.0 < sum(waits) < 30.0  # outlasts a lock of seconds, not a stuck one


async def test_retry_is_bounded_with_growing_backoff(pm: Any) -> None:
    sleeps = Sleeps()
    call = Flaky(*[TimeoutError()] * 10)
    with pytest.raises(HandledFailure) as info:
        await run_with_recovery(pm, INFO, call, sleep=sleeps)
    assert call.calls == 3 and len(sleeps.delays) == 2
    assert 0.25 <= sleeps.delays[0] <= 0.5 and 0.5 <= sleeps.delays[1] <= 1.0
    assert isinstance(info.value.original, TimeoutError)


async def test_reconnect_callback_then_success(pm: Any) -> None:
    reconnects = 0

    async def reconnect(within: float | None) -> bool:
        nonlocal reconnects
        reconnects += 1
        return True

    call = Flaky(DBConnectionError("connection lost"), ConnectionResetError())
    result = await run_with_recovery(pm, INFO, call, reconnect=reconnect, sleep=Sleeps())
    assert result == "ok" and call.calls == 3 and reconnects == 2


BOUND: contextvars.ContextVar[str | None] = contextvars.ContextVar("bound", default=None)


async def test_each_attempt_sees_the_callers_context_not_the_failed_attempts(pm: Any) -> None:
    """Like a transaction whose BEGIN failed: what an attempt binds stays in that attempt."""
    seen: list[str | None] = []
    tasks: list[asyncio.Task[Any] | None] = []

    async def call() -> str:
        seen.append(BOUND.get())
        tasks.append(asyncio.current_task())
        BOUND.set(f"attempt {len(seen)}")
        await asyncio.sleep(0)
        if len(seen) == 1:
            raise DBConnectionError("connection lost")
        return "ok"

    BOUND.set("caller")
    assert await run_with_recovery(pm, INFO, call, sleep=Sleeps()) == "ok"
    assert seen == ["caller", "caller"] and BOUND.get() == "caller"
    assert tasks == [asyncio.current_task()] * 2  # no task per attempt


async def test_cancelling_the_caller_cancels_the_attempt(pm: Any) -> None:
    started, cleaned = asyncio.Event(), asyncio.Event()

    async def call() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.set()

    task = asyncio.create_task(run_with_recovery(pm, INFO, call, sleep=Sleeps()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned.is_set()


async def test_failing_reconnect_ends_recovery_at_once(pm: Any) -> None:
    """A database still down after the reconnect's wait is not tried again: the member hears
    back now, with the database message and an error id."""
    waits: list[float | None] = []

    async def reconnect(within: float | None) -> bool:
        waits.append(within)
        raise ConnectionRefusedError("db still down")

    call = Flaky(*[DBConnectionError("down")] * 10)
    with pytest.raises(HandledFailure) as info:
        await run_with_recovery(pm, INFO, call, reconnect=reconnect, sleep=Sleeps())
    assert call.calls == 1 and waits == [None]
    assert info.value.user_message == DATABASE_MESSAGE


async def test_database_recovery_never_waits_past_the_deadline(pm: Any) -> None:
    """The reconnect is given what is left of the deadline; a deadline too close for the
    backoff fails at once."""
    loop = asyncio.get_running_loop()
    waits: list[float | None] = []

    async def reconnect(within: float | None) -> bool:
        waits.append(within)
        return True

    call = Flaky(DBConnectionError("down"))
    assert await run_with_recovery(
        pm, INFO, call, reconnect=reconnect, deadline=loop.time() + 5.0, sleep=Sleeps()
    )
    assert len(waits) == 1 and waits[0] is not None and 4.0 < waits[0] <= 5.0

    call = Flaky(DBConnectionError("down"))
    with pytest.raises(HandledFailure):
        await run_with_recovery(
            pm, INFO, call, reconnect=reconnect, deadline=loop.time() + 0.01, sleep=Sleeps()
        )
    assert call.calls == 1 and len(waits) == 1


async def test_a_connection_lost_in_a_commit_waits_for_the_database_past_the_deadline(
    pm: Any,
) -> None:
    """Whether the write was made is unknown: the member is not told it failed while the
    database is still down, however close the deadline (the regression: the wait ended after one
    connect timeout, and a pick stored before the cut was answered with an error)."""
    loop = asyncio.get_running_loop()
    waits: list[float | None] = []
    answers = [False, True]  # down at the first wait's end (as a reconnect that timed out)

    async def reconnect(within: float | None) -> bool:
        waits.append(within)
        return answers.pop(0)

    def commit() -> None:
        raise DBConnectionError("connection was closed in the middle of operation")

    try:
        commit()
    except DBConnectionError as error:
        lost = error
    with pytest.raises(HandledFailure):  # down for the whole wait: then it fails
        await run_with_recovery(
            pm, INFO, Flaky(lost), reconnect=reconnect, deadline=loop.time() + 0.01, sleep=Sleeps()
        )
    assert len(waits) == 1 and waits[0] is not None
    assert UNKNOWN_OUTCOME_WAIT - 5 < waits[0] <= UNKNOWN_OUTCOME_WAIT  # not one connect timeout
    assert UNKNOWN_OUTCOME_WAIT > 10 * 60  # most of the interaction token's 15 minutes

    call = Flaky(lost)
    assert await run_with_recovery(
        pm, INFO, call, reconnect=reconnect, deadline=loop.time() + 0.01, sleep=Sleeps()
    )
    assert call.calls == 2  # retried once the database answered


async def test_fail_logs_traceback_under_the_error_id_and_hides_it(pm: Any) -> None:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="ERROR")
    try:
        with pytest.raises(HandledFailure) as info:
            await run_with_recovery(pm, INFO, Flaky(KeyError("secret_column")), sleep=Sleeps())
    finally:
        logger.remove(sink)
    failure = info.value
    assert re.fullmatch(r"[A-Z2-7]{8}", failure.error_id)
    assert "secret_column" not in failure.user_message and "Traceback" not in failure.user_message
    logged = "".join(lines)
    assert failure.error_id in logged and "Traceback" in logged and "secret_column" in logged


@pytest.mark.parametrize(
    "error",
    [
        UserError("That game already started."),
        ValidationError("units", "must be more than 0", "-1"),
    ],
)
async def test_expected_errors_are_never_retried(pm: Any, error: Exception) -> None:
    call = Flaky(error)
    with pytest.raises(type(error)):
        await run_with_recovery(pm, INFO, call, sleep=Sleeps())
    assert call.calls == 1


async def test_plugins_can_degrade_or_override(pm: Any) -> None:
    class Policy:
        @hookimpl
        def dbsbm_error_recovery(self, error: BaseException, attempt: int) -> Any:
            if isinstance(error, LookupError):
                return RecoveryAction(RecoveryKind.DEGRADE, "Showing cached standings.")
            if isinstance(error, TimeoutError):
                return RecoveryAction(RecoveryKind.FAIL, "The odds feed is slow.")
            return None

    pm.register(Policy(), name="policy")
    with pytest.raises(Degraded) as degraded:
        await run_with_recovery(pm, INFO, Flaky(LookupError()), sleep=Sleeps())
    assert degraded.value.user_message == "Showing cached standings."
    call = Flaky(TimeoutError())
    with pytest.raises(HandledFailure) as failed:
        await run_with_recovery(pm, INFO, call, sleep=Sleeps())
    assert call.calls == 1 and failed.value.user_message == "The odds feed is slow."


async def test_without_any_hook_the_default_policy_applies() -> None:
    call = Flaky(TimeoutError())
    assert await run_with_recovery(new_plugin_manager(), None, call, sleep=Sleeps()) == "ok"


@given(st.integers(1, 30), st.floats(0.01, 10))
def test_backoff_delay_grows_and_is_capped(attempt: int, base: float) -> None:
    cap = 30.0
    delay = backoff_delay(attempt, base, cap)
    full = min(cap, base * 2 ** (attempt - 1))
    assert full / 2 <= delay <= full


# --- retrying (HTTP clients) --------------------------------------------------------------------


async def test_retrying_succeeds_after_transient_errors() -> None:
    sleeps = Sleeps()
    failures = [aiohttp.ServerDisconnectedError(), RetryableStatus(503)]
    async for attempt in retrying(attempts=4, base_delay=1, sleep=sleeps):
        async with attempt:
            if failures:
                raise failures.pop(0)
            result = attempt.number
    assert result == 3 and len(sleeps.delays) == 2


async def test_retrying_honours_retry_after_and_gives_up() -> None:
    sleeps = Sleeps()
    with pytest.raises(RetryableStatus):
        async for attempt in retrying(attempts=3, base_delay=0.1, sleep=sleeps):
            async with attempt:
                raise RetryableStatus(429, "7")
    assert sleeps.delays == [7.0, 7.0]


async def test_retrying_does_not_wait_beyond_max_delay_or_retry_other_errors() -> None:
    sleeps = Sleeps()
    with pytest.raises(RetryableStatus):
        async for attempt in retrying(max_delay=30, sleep=sleeps):
            async with attempt:
                raise RetryableStatus(429, "3600")
    with pytest.raises(ValueError):
        async for attempt in retrying(sleep=sleeps):
            async with attempt:
                raise ValueError("a bug, not a transient error")
    assert sleeps.delays == []


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    http_date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert parse_retry_after(http_date, now=1445412470.0) == pytest.approx(10.0)


def test_an_error_inside_a_commit_is_in_doubt_and_the_walk_is_cycle_safe() -> None:
    def commit() -> None:
        raise ConnectionResetError("reset by peer")

    try:
        try:
            commit()
        except ConnectionResetError as lost:
            raise DBConnectionError("lost") from lost
    except DBConnectionError as wrapped:
        assert during_commit(wrapped)
    cyclic_a, cyclic_b = DBConnectionError("a"), ConnectionResetError("b")
    cyclic_a.__context__, cyclic_b.__context__ = cyclic_b, cyclic_a
    assert not during_commit(cyclic_a)
