"""Reading a row by its primary key and storing a row with the rows that refer to it, on the
path of every interaction.

A query set builds its SQL on every call: for a lookup by id on PostgreSQL that costs about as
much CPU as the round trip itself (400 us against 200 us with the statement built in advance,
``benchmarks/betting.py``'s machine). :func:`by_pk` builds the statement once per model class
and dialect (a reload that changes a model makes a new class) and makes the instance from the
row as tortoise's own SELECT does.

:func:`insert_with_children` stores a row and its children all or none. On PostgreSQL that is
one statement, a data-modifying ``WITH``: one round trip where a transaction takes four for a
parent and one child (``BEGIN``, two ``INSERT``, ``COMMIT``), 400 us of CPU less. On SQLite it is
a transaction made in one call of the connection's thread: SQLite's one connection is held for
the statements and the commit alone, not for four returns to a busy event loop between them.
Elsewhere it is a transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.compat.aiosqlite import in_connection_thread
from core.compat.tortoise import (
    column_names,
    from_row,
    has_db_defaults,
    mark_saved,
    prepared_insert,
)

M = TypeVar("M", bound=Model)

_SELECTS: WeakKeyDictionary[type[Model], dict[str, str]] = WeakKeyDictionary()
"""model class -> dialect -> its SELECT of every column by primary key (a reloaded plugin's old
classes are not kept alive by it)."""


def _select(model: type[Model], db: BaseDBAsyncClient) -> str:
    dialect = db.capabilities.dialect
    built = _SELECTS.setdefault(model, {})
    sql = built.get(dialect)
    if sql is None:
        sql = built[dialect] = model.filter(pk=0).using_db(db).sql()
    return sql


async def by_pk(model: type[M], pk: Any, *, using_db: BaseDBAsyncClient | None = None) -> M | None:
    """The ``model`` row whose primary key is ``pk``, or ``None``: what
    ``model.filter(pk=pk).using_db(using_db).first()`` gives, without building the query."""
    db = using_db or model._meta.db
    rows = await db.execute_query_dict(_select(model, db), [pk])
    return from_row(model, rows[0]) if rows else None


async def insert_with_children(
    parent: Model,
    children: Sequence[Model],
    fk: str,
    *,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """Store the new ``parent`` and new ``children`` (of one model, whose field ``fk``, e.g.
    ``pick_id``, is to hold the parent's primary key), all or none, and set their keys.

    Inside a transaction (``using_db``, or the one of an ``in_transaction`` block around the
    call), as part of it: on PostgreSQL one statement. Outside one: on PostgreSQL one statement,
    on SQLite a transaction made in one call of its thread, elsewhere a transaction of its own.
    Models with generated primary keys and no database-side defaults only (what tortoise's plain
    INSERT covers).
    """
    if not children:
        raise ValueError("insert_with_children needs at least one child")
    db = using_db or type(parent)._meta.db  # the current transaction's, inside one
    dialect = db.capabilities.dialect
    if isinstance(db, TransactionalDBClient):  # the caller's transaction commits
        if dialect == "postgres":
            await _in_one_statement(db, parent, children, fk)
        else:
            await _save_all(db, parent, children, fk)
    elif dialect == "postgres":
        await _commit_in_one_statement(db, parent, children, fk)
    elif dialect == "sqlite":
        await _sqlite_transaction(db, parent, children, fk)
    else:
        async with in_transaction(db.connection_name) as conn:
            await _save_all(conn, parent, children, fk)


async def _save_all(
    db: BaseDBAsyncClient, parent: Model, children: Sequence[Model], fk: str
) -> None:
    await parent.save(using_db=db)
    for child in children:  # one by one: a bulk INSERT does not give the keys back everywhere
        setattr(child, fk, parent.pk)
        await child.save(using_db=db)


def _columns(db: BaseDBAsyncClient, model: type[Model]) -> list[str]:
    """The fields tortoise's INSERT of ``model`` writes (refused for what it would write
    otherwise: a primary key given by the caller, a database-side default)."""
    if not model._meta.pk.generated or has_db_defaults(model):
        raise TypeError(f"{model.__name__}: only generated keys and no database defaults")
    return list(prepared_insert(model, db)[0])


def _db_values(row: Model, fields: Sequence[str]) -> list[Any]:
    fields_map = row._meta.fields_map
    return [fields_map[name].to_db_value(getattr(row, name), row) for name in fields]


async def _commit_in_one_statement(
    db: BaseDBAsyncClient, parent: Model, children: Sequence[Model], fk: str
) -> None:
    """The statement on its own, its own commit. The name says "commit" for
    :func:`core.recovery.during_commit`: a connection lost while it runs leaves unknown whether
    it was stored."""
    await _in_one_statement(db, parent, children, fk)


async def _in_one_statement(
    db: BaseDBAsyncClient, parent: Model, children: Sequence[Model], fk: str
) -> None:
    """The PostgreSQL statement. The children's keys come back in the order of the VALUES rows,
    which PostgreSQL keeps for one ``INSERT ... VALUES ... RETURNING`` (Django's
    ``bulk_create`` relies on it too)."""
    pmeta, cmeta = parent._meta, children[0]._meta
    parent_fields, child_fields = _fields(db, parent, children[0], fk)
    values = _db_values(parent, parent_fields)
    parent_key = f"(SELECT {_q(pmeta.db_pk_column)} FROM parent)"  # nosec B608 # a model's column
    rows = []
    for child in children:
        rows.append(", ".join([parent_key, *_placeholders(len(values), len(child_fields))]))
        values += _db_values(child, child_fields)
    fk_column = column_names(type(children[0]))[fk]
    parent_insert = _insert(parent, parent_fields)
    child_insert = _insert(children[0], [fk, *child_fields])
    parent_values = ", ".join(_placeholders(0, len(parent_fields)))
    sql = (
        f"WITH parent AS ({parent_insert} VALUES ({parent_values})"
        f" RETURNING {_q(pmeta.db_pk_column)}) "
        f"{child_insert} VALUES ({'), ('.join(rows)}) "
        f"RETURNING {_q(fk_column)}, {_q(cmeta.db_pk_column)}"
    )
    stored = await db.execute_query_dict(sql, values)
    mark_saved(parent, stored[0][fk_column])
    for child, row in zip(children, stored, strict=True):
        setattr(child, fk, row[fk_column])
        mark_saved(child, row[cmeta.db_pk_column])


async def _sqlite_transaction(
    db: BaseDBAsyncClient, parent: Model, children: Sequence[Model], fk: str
) -> None:
    """``BEGIN``, the INSERTs and ``COMMIT`` in one call of the SQLite connection's thread, with
    tortoise's lock on the connection held (nothing else runs on it meanwhile)."""
    parent_fields, child_fields = _fields(db, parent, children[0], fk)
    parent_sql = f"{_insert(parent, parent_fields)} VALUES ({_marks(len(parent_fields))})"
    child_sql = (
        f"{_insert(children[0], [fk, *child_fields])} VALUES ({_marks(len(child_fields) + 1)})"
    )
    parent_values = _db_values(parent, parent_fields)
    child_values = [_db_values(child, child_fields) for child in children]

    def write(conn: sqlite3.Connection) -> tuple[int, list[int]]:
        conn.execute("BEGIN")
        try:
            parent_pk = _row_id(conn.execute(parent_sql, parent_values))
            keys = [_row_id(conn.execute(child_sql, [parent_pk, *v])) for v in child_values]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return parent_pk, keys

    async with db.acquire_connection() as connection:
        try:
            parent_pk, keys = await in_connection_thread(connection, write)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
    mark_saved(parent, parent_pk)
    for child, key in zip(children, keys, strict=True):
        setattr(child, fk, parent_pk)
        mark_saved(child, key)


def _row_id(cursor: sqlite3.Cursor) -> int:
    if cursor.lastrowid is None:  # pragma: no cover - an INSERT always sets it
        raise OperationalError("the INSERT gave no row id")
    return cursor.lastrowid


def _fields(
    db: BaseDBAsyncClient, parent: Model, child: Model, fk: str
) -> tuple[list[str], list[str]]:
    """The fields written of the parent and of each child (the child's ``fk`` apart)."""
    child_fields = [name for name in _columns(db, type(child)) if name != fk]
    return _columns(db, type(parent)), child_fields


def _insert(row: Model, fields: Sequence[str]) -> str:
    """``INSERT INTO "table" ("column", ...)`` of ``row``'s model for ``fields``."""
    projection = column_names(type(row))
    columns = [projection[name] for name in fields]
    # B608: only the model's table and column names are written into it; values are parameters
    return f"INSERT INTO {_q(row._meta.db_table)} ({_list(columns)})"  # nosec B608


def _marks(count: int) -> str:
    """SQLite's parameters: ``?, ?, ...``."""
    return ", ".join("?" * count)


def _q(name: str) -> str:
    return f'"{name}"'


def _list(columns: Sequence[str]) -> str:
    return ", ".join(map(_q, columns))


def _placeholders(after: int, count: int) -> list[str]:
    """``$after+1`` to ``$after+count``: asyncpg's parameters, numbered from 1."""
    return [f"${n}" for n in range(after + 1, after + count + 1)]
