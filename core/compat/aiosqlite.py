"""aiosqlite internals DBSBM relies on (checked against the series in ``CHECKED``).

- ``Connection._execute`` and ``Connection._conn``: a function run in the connection's own
  thread with the ``sqlite3`` connection, in one hand-over, as aiosqlite runs each of its own
  calls (:func:`in_connection_thread`, for :mod:`core.rows`' SQLite transaction).
- A closed connection raises ``ValueError("no active connection")`` when used, which tortoise
  passes through untranslated (:func:`is_closed_connection_error`, for :mod:`core.recovery`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar, cast

import aiosqlite

PACKAGE = "aiosqlite"
CHECKED = ("0.22",)

T = TypeVar("T")

_CLOSED = "no active connection"


def is_closed_connection_error(error: BaseException) -> bool:
    """``error`` is aiosqlite's for a connection closed under its user (e.g. by the recovery
    probe, which reopens SQLite's one connection while other interactions use it)."""
    return type(error) is ValueError and str(error) == _CLOSED


async def in_connection_thread(
    connection: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]
) -> T:
    """``fn(the sqlite3 connection)``, run in ``connection``'s thread (the only thread that
    may use it); what ``fn`` raises is raised here."""
    raw = connection._conn
    return cast(T, await connection._execute(fn, raw))
