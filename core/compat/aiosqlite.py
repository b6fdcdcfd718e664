"""aiosqlite internals DBSBM relies on (checked against the series in ``CHECKED``).

- ``Connection._execute`` and ``Connection._conn``: a function run in the connection's own
  thread with the ``sqlite3`` connection, in one hand-over, as aiosqlite runs each of its own
  calls (:func:`in_connection_thread`, for :mod:`core.rows`' SQLite transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar, cast

import aiosqlite

PACKAGE = "aiosqlite"
CHECKED = ("0.22",)

T = TypeVar("T")


async def in_connection_thread(
    connection: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]
) -> T:
    """``fn(the sqlite3 connection)``, run in ``connection``'s thread (the only thread that
    may use it); what ``fn`` raises is raised here."""
    raw = connection._conn
    return cast(T, await connection._execute(fn, raw))
