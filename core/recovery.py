"""Error recovery: turn an exception into a retry, a database reconnect, degraded service, or a
clean failure with an error id — the traceback goes to the log, never to Discord.

The pipeline wraps each handler call::

    try:
        result = await run_with_recovery(pm, info, lambda: handler(inter), reconnect=db.reconnect)
    except (ValidationError, UserError) as exc:   # expected: show the message as-is
        ...
    except Degraded as exc:                       # serve cached data, show exc.user_message
        ...
    except HandledFailure as exc:                 # show exc.user_message and exc.error_id
        ...

The decision comes from the ``dbsbm_error_recovery`` hook: :class:`RecoveryHooks` is the default
(``trylast``), so a plugin can answer first for its own errors. Our HTTP clients use
:func:`retrying` for their own bounded retries.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import email.utils
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import aiohttp
from loguru import logger

from core.compat.aiosqlite import is_closed_connection_error
from core.events import InteractionInfo, RecoveryAction, RecoveryKind
from core.hooks import acall
from core.hookspecs import hookimpl
from core.responder import InteractionExpired
from core.validation import ValidationError

if TYPE_CHECKING:
    import pluggy

T = TypeVar("T")

GENERIC_MESSAGE = "Something went wrong on our side while handling that. Please try again later."
DATABASE_MESSAGE = "The database is not reachable right now. Please try again in a minute."
SERVICE_MESSAGE = "An outside service is not answering right now. Please try again in a minute."
BUSY_MESSAGE = "The database is busy right now; nothing was saved. Please try again in a minute."
MAX_ATTEMPTS_CAP = 10
"""No hook answer can make :func:`run_with_recovery` try more often than this."""
MAX_DELAY = 30.0
"""Upper bound of one backoff sleep, seconds."""
UNKNOWN_OUTCOME_WAIT = 14 * 60.0
"""How long recovery waits for the database after a connection lost during a commit, seconds:
a little less than the 15 minutes an interaction's token lasts, after which the member can no
longer be told the outcome."""

Sleep = Callable[[float], Awaitable[None]]
Reconnect = Callable[[float | None], Awaitable[bool]]
"""Wait (at most the given seconds; ``None``: the database's own bound) until the database
answers again; ``True`` when it does."""


def new_error_id() -> str:
    """A short id (8 characters, base32, 40 random bits) that the member can quote to an admin
    and an operator can find in the log."""
    return base64.b32encode(secrets.token_bytes(5)).decode("ascii")


class UserError(Exception):
    """An expected error whose message is shown to the member as-is (never retried, never
    logged with a traceback), e.g. ``UserError("That game has already started.")``."""


class Degraded(Exception):
    """The call failed and the recovery hook chose to degrade: the caller serves cached or
    partial data and shows :attr:`user_message`."""

    def __init__(self, user_message: str, error_id: str, original: BaseException) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.error_id = error_id
        self.original = original


class HandledFailure(Exception):
    """The call failed for good; the error was logged under :attr:`error_id`. Show the member
    :attr:`user_message` and the error id."""

    def __init__(self, error_id: str, user_message: str, original: BaseException) -> None:
        super().__init__(f"[{error_id}] {user_message}")
        self.error_id = error_id
        self.user_message = user_message
        self.original = original


# --- classification ---------------------------------------------------------------------------


def _optional_classes(*paths: str) -> tuple[type[BaseException], ...]:
    """Exception classes of optional database drivers, skipped when a driver is not installed."""
    found: list[type[BaseException]] = []
    for path in paths:
        module_name, _, name = path.rpartition(".")
        try:
            module = __import__(module_name, fromlist=[name])
        except ImportError:
            continue
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


_CONNECTION_ERRORS = _optional_classes(
    "tortoise.exceptions.DBConnectionError",
    "asyncpg.exceptions.PostgresConnectionError",
    "asyncpg.exceptions.ConnectionDoesNotExistError",
    "asyncpg.exceptions.InterfaceError",
    "asyncpg.exceptions.CannotConnectNowError",
    "asyncmy.errors.InterfaceError",
)
_WORDED_ERRORS = _optional_classes(
    "tortoise.exceptions.OperationalError",
    "asyncmy.errors.OperationalError",
    "sqlite3.OperationalError",
    "sqlite3.ProgrammingError",
)
_CONNECTION_WORDS = (
    "connection",
    "connect",
    "server has gone away",
    "lost",
    "closed",
    "broken pipe",
    "no active",
    "reset by peer",
    "refused",
)
_MYSQL_CONNECTION_CODES = {2002, 2003, 2006, 2013, 2055}
_BUSY_WORDS = ("database is locked", "database is busy", "database table is locked")


def is_external_error(error: BaseException) -> bool:
    """A timeout or an aiohttp client error (an outside API did not answer in time)."""
    return isinstance(error, asyncio.TimeoutError | aiohttp.ClientError)


def is_busy_error(error: BaseException) -> bool:
    """Another process holds the database's lock (SQLite's ``database is locked``); the write
    was not made and can be tried again once the lock is gone."""
    return isinstance(error, _WORDED_ERRORS) and any(w in str(error).lower() for w in _BUSY_WORDS)


def is_connection_error(error: BaseException) -> bool:
    """A lost or refused database connection (driver errors, ``ConnectionError``, ``OSError``,
    aiosqlite's closed connection, ``OperationalError`` worded about the connection)."""
    if isinstance(error, (*_CONNECTION_ERRORS, ConnectionError, OSError)):
        return True
    if is_closed_connection_error(error):
        return True
    if isinstance(error, _WORDED_ERRORS):
        code = error.args[0] if error.args and isinstance(error.args[0], int) else None
        text = str(error).lower()
        return code in _MYSQL_CONNECTION_CODES or any(w in text for w in _CONNECTION_WORDS)
    return False


def default_action(error: BaseException) -> RecoveryAction:
    """The core's policy: external timeouts → retry with backoff; a database locked by another
    process → retry until the lock is gone (the member waits on the automatic defer; after
    eight tries, about half a minute, the member is told nothing was saved); lost database
    connections → reconnect and retry; anything else → fail with a generic message."""
    if is_external_error(error):  # before OSError: TimeoutError and ClientOSError are OSErrors
        return RecoveryAction(RecoveryKind.RETRY, SERVICE_MESSAGE, max_attempts=3, base_delay=0.5)
    if is_busy_error(error):  # before the connection words: "locked" is not a lost link
        return RecoveryAction(RecoveryKind.RETRY, BUSY_MESSAGE, max_attempts=8, base_delay=0.1)
    if is_connection_error(error):
        return RecoveryAction(
            RecoveryKind.RECONNECT_DATABASE, DATABASE_MESSAGE, max_attempts=3, base_delay=0.2
        )
    return RecoveryAction(RecoveryKind.FAIL, GENERIC_MESSAGE, max_attempts=1)


class RecoveryHooks:
    """The default ``dbsbm_error_recovery`` implementation (registered as "core.recovery")."""

    @hookimpl(trylast=True)
    def dbsbm_error_recovery(
        self, error: BaseException, info: InteractionInfo | None, attempt: int
    ) -> RecoveryAction:
        """Apply :func:`default_action`; bounding attempts is :func:`run_with_recovery`'s job."""
        return default_action(error)


# --- running with recovery --------------------------------------------------------------------


def backoff_delay(
    attempt: int, base: float, cap: float = MAX_DELAY, rng: random.Random | None = None
) -> float:
    """Exponential backoff with equal jitter: ``d = min(cap, base * 2**(attempt-1))``, then a
    uniform pick in ``[d/2, d]`` (grows every attempt, and clients never retry in lockstep)."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def _where(info: InteractionInfo | None) -> str:
    if info is None:
        return "background call"
    return f"{info.kind} {info.command!r} (interaction {info.interaction_id}, user {info.user_id})"


async def run_with_recovery(
    pm: pluggy.PluginManager,
    info: InteractionInfo | None,
    call: Callable[[], Awaitable[T]],
    *,
    reconnect: Reconnect | None = None,
    deadline: float | None = None,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Run ``call()``; on an exception ask the recovery hook what to do and do it.

    RETRY sleeps (backoff with jitter) and calls again; RECONNECT_DATABASE waits for
    ``reconnect`` to find the database answering, then calls again; DEGRADE raises
    :class:`Degraded`; FAIL — or running out of attempts — raises :class:`HandledFailure` with a
    fresh error id after logging the traceback under that id. ``deadline`` (on the event loop's
    clock) bounds recovery from a lost database: no backoff or wait runs past it, and the
    failure is raised instead, so the member hears back in time — unless the connection was
    lost during a commit (:func:`during_commit`): then recovery waits for the database (up to
    :data:`UNKNOWN_OUTCOME_WAIT`, not one connect timeout), since only a retry can tell whether
    the write was made.
    :class:`~core.validation.ValidationError`, :class:`UserError` and
    :class:`~core.responder.InteractionExpired` are re-raised untouched.
    Attempts are bounded by the action's ``max_attempts`` (never more than 10). Each attempt
    runs in a fresh copy of the caller's context, so what a failed attempt left in context
    variables (a transaction whose ``BEGIN`` failed stays bound in tortoise) is not inherited
    by the retry, nor by the caller.
    """

    async def once() -> T:
        return await call()

    attempt = 0
    while True:
        attempt += 1
        try:
            return await _InContext(once(), contextvars.copy_context())
        except (ValidationError, UserError, InteractionExpired):
            raise
        except Exception as error:
            action = await _ask(pm, error, info, attempt)
            limit = min(action.max_attempts, MAX_ATTEMPTS_CAP)
            retryable = action.kind in (RecoveryKind.RETRY, RecoveryKind.RECONNECT_DATABASE)
            if not retryable or attempt >= limit:
                _raise_final(action, error, info, attempt)
            delay = backoff_delay(attempt, action.base_delay)
            database = action.kind is RecoveryKind.RECONNECT_DATABASE
            if database and during_commit(error):  # stored or not is unknown: wait to be told
                deadline = asyncio.get_running_loop().time() + UNKNOWN_OUTCOME_WAIT
            left = _left(deadline)
            if database and left is not None and left <= delay:
                _raise_final(action, error, info, attempt)
            logger.warning(
                "{}: {} on attempt {}/{} ({}: {}), will {}",
                _where(info),
                type(error).__name__,
                attempt,
                limit,
                type(error).__module__,
                error,
                action.kind.value,
            )
            await sleep(delay)
            if database and reconnect is not None and not await _reconnected(reconnect, deadline):
                _raise_final(action, error, info, attempt)


def during_commit(error: BaseException) -> bool:
    """Whether ``error`` (or an error it chains to) was raised inside a commit, whose outcome
    is then unknown: the server may have committed before the connection was lost. A commit is
    a function whose name says so: a transaction's, or one running a statement that commits by
    itself (:func:`core.rows.insert_with_children` on PostgreSQL). A retry
    (which a write keyed by the interaction id makes safe) tells the member the truth, where
    answering "failed" at once could be wrong."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            if "commit" in tb.tb_frame.f_code.co_name.lower():
                return True
            tb = tb.tb_next
        pending += [exc.__cause__, exc.__context__]
    return False


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - asyncio.get_running_loop().time()


async def _reconnected(reconnect: Reconnect, deadline: float | None) -> bool:
    """Whether the database answers again before ``deadline``."""
    left = _left(deadline)
    if left is not None and left <= 0:
        return False
    try:
        return await reconnect(left)
    except Exception as exc:
        logger.warning("database reconnect failed: {!r}", exc)
        return False


class _InContext(Awaitable[T]):
    """Await ``coro`` in the caller's task, each of its steps run inside ``context`` (what a
    child task with ``context=`` gives, without creating a task and waiting a loop turn for it
    to start: this is on the path of every interaction)."""

    def __init__(self, coro: Coroutine[Any, Any, T], context: contextvars.Context) -> None:
        self._coro = coro
        self._context = context

    def __await__(self) -> Generator[Any, Any, T]:
        run, coro = self._context.run, self._coro
        step: Callable[[Any], Any] = coro.send
        value: Any = None
        while True:
            try:
                future = run(step, value)
            except StopIteration as stop:
                return cast(T, stop.value)
            try:
                value, step = (yield future), coro.send
            except BaseException as exc:  # a cancellation of the task: pass it into the coro
                value, step = exc, coro.throw


async def _ask(
    pm: pluggy.PluginManager, error: Exception, info: InteractionInfo | None, attempt: int
) -> RecoveryAction:
    """The hook's answer; the default policy when no plugin answers or the hook itself fails."""
    try:
        action = await acall(pm.hook.dbsbm_error_recovery, error=error, info=info, attempt=attempt)
    except Exception:
        logger.opt(exception=True).error("the error-recovery hook failed; using the default")
        action = None
    return action if isinstance(action, RecoveryAction) else default_action(error)


def _raise_final(
    action: RecoveryAction, error: Exception, info: InteractionInfo | None, attempt: int
) -> NoReturn:
    error_id = new_error_id()
    message = action.user_message or GENERIC_MESSAGE
    outcome = "degraded" if action.kind is RecoveryKind.DEGRADE else "failed"
    logger.opt(exception=error).error(
        "error {} — {} {} after {} attempt(s): {}: {}",
        error_id,
        _where(info),
        outcome,
        attempt,
        type(error).__name__,
        error,
    )
    if action.kind is RecoveryKind.DEGRADE:
        raise Degraded(message, error_id, error) from error
    raise HandledFailure(error_id, message, error) from error


# --- retries for our own HTTP clients ---------------------------------------------------------


class RetryableStatus(Exception):
    """Raise inside a :func:`retrying` attempt for an HTTP answer worth retrying (429, 5xx),
    with the server's ``Retry-After`` header value if it sent one."""

    def __init__(self, status: int, retry_after: str | None = None, detail: str = "") -> None:
        super().__init__(f"HTTP {status}{': ' + detail if detail else ''}")
        self.status = status
        self.retry_after = parse_retry_after(retry_after)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Attempt:
    """One try inside :func:`retrying`; use it as ``async with attempt:``."""

    def __init__(self, number: int, final: bool, retry_on: tuple[type[BaseException], ...]):
        self.number = number
        self.final = final
        self.error: BaseException | None = None
        self._retry_on = retry_on

    async def __aenter__(self) -> Attempt:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or self.final or not isinstance(exc, self._retry_on):
            return False
        self.error = exc
        return True


async def retrying(
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = MAX_DELAY,
    retry_on: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError),
    what: str = "request",
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[Attempt]:
    """Bounded retries with exponential backoff and jitter for our HTTP clients::

        async for attempt in retrying(what="weatherapi current"):
            async with attempt:
                async with session.get(url) as resp:
                    if resp.status == 429 or resp.status >= 500:
                        raise RetryableStatus(resp.status, resp.headers.get("Retry-After"))
                    data = await resp.json()

    Errors in ``retry_on`` (and :class:`RetryableStatus`) are retried; the last attempt's error
    propagates. A ``Retry-After`` is honoured when it is longer than the backoff; one longer
    than ``max_delay`` is not waited for: the error propagates at once.
    """
    retry_on = (*retry_on, RetryableStatus)
    for number in range(1, attempts + 1):
        attempt = Attempt(number, number == attempts, retry_on)
        yield attempt
        if attempt.error is None:
            return
        delay = backoff_delay(number, base_delay, max_delay)
        if isinstance(attempt.error, RetryableStatus) and attempt.error.retry_after is not None:
            if attempt.error.retry_after > max_delay:
                raise attempt.error
            delay = max(delay, attempt.error.retry_after)
        logger.info("{} failed ({!r}); retry {} in {:.2f}s", what, attempt.error, number, delay)
        await sleep(delay)
