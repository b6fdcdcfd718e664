"""tortoise-orm internals DBSBM relies on (checked against the series in ``CHECKED``).

- ``tortoise.context._current_context`` and ``_global_context``: a database context made current
  for a block, per task, without a global change (the reloader's scratch contexts, aerich's
  offline diff).
- ``tortoise.backends.base.executor.EXECUTOR_CACHE``: cached INSERT/UPDATE statements, a global
  that tortoise never clears; stale after a model changes or a connection changes dialect.
- ``Apps._build_initial_querysets`` (redone for some models), ``MetaInfo._filters`` and the
  generated flag of many-to-many fields: re-registering one app's models live, with the reverse
  relations they added to other apps removed.
- ``tortoise.models._get_comments``: the ``#:`` field comments of a model class, which it finds
  by parsing the class's whole module again (``inspect.getsource``) for every model class; a hot
  reload re-creating unchanged model classes reuses them (:func:`reused_field_comments`).
- ``Model._init_from_db``: an instance from a row its SELECT returned, each column converted as
  the field says (:func:`from_row`, for :mod:`core.rows`); ``Model._saved_in_db``, what makes
  the next ``save()`` an UPDATE (:func:`mark_saved`, after :mod:`core.rows` stored it).
- ``TortoiseContext.init(_enable_global_fallback=True)``: the context becomes the one every task
  without a current context of its own sees (:func:`init_global`); without it other tasks see no
  ORM.
- ``Apps.apps``, the registry dict ``Apps`` offers no removal for, and
  ``Apps.init_app(_init_relations=True)``, which resolves the relations of every registered app
  (:func:`add_app`, :func:`remove_app`: one app's models swapped live, no second init).
- The executor's ``regular_columns`` and ``insert_query``: the fields its INSERT writes and that
  INSERT, prepared once per connection and table (:func:`prepared_insert`);
  ``MetaInfo.fields_db_projection``, field names to columns (:func:`column_names`), and
  ``MetaInfo.db_default_db_columns``, the columns with a database-side default
  (:func:`has_db_defaults`).

Behaviour relied on: ``TortoiseContext.init`` opens no connection (clients connect on their first
query), so :meth:`core.database.Database.connect` pings to find out whether the server is
reachable; and connections must be closed in ``finally`` paths, or aiosqlite's thread keeps the
process alive.
"""

from __future__ import annotations

import hashlib
import inspect
import linecache
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any, TypeVar, cast

import tortoise.models
from pypika_tortoise import Query, Table
from tortoise.apps import Apps
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext, _current_context
from tortoise.fields.relational import (
    BackwardFKRelation,
    BackwardOneToOneRelation,
    ManyToManyFieldInstance,
)
from tortoise.models import Model

PACKAGE = "tortoise-orm"
CHECKED = ("1.1",)

M = TypeVar("M", bound=Model)

_comments: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {}
"""(source file, class qualname) -> (digest of the file's text, the class's field comments)."""


def build_querysets(models: Iterable[type[Model]], connection: str) -> None:
    """What ``Apps._build_initial_querysets`` does, for some models only."""
    for model in models:
        meta = model._meta
        meta.default_connection = connection
        meta.finalise_model()
        meta.basetable = Table(name=meta.db_table, schema=meta.schema)
        basequery = meta.db.query_class.from_(meta.basetable)
        meta.basequery = cast(Query, basequery)
        meta.basequery_all_fields = cast(Query, basequery.select(*meta.db_fields))


@contextmanager
def active(ctx: TortoiseContext) -> Iterator[TortoiseContext]:
    """Make ``ctx`` the current ORM context of this task for the block (no global change)."""
    token = _current_context.set(ctx)
    try:
        yield ctx
    finally:
        _current_context.reset(token)


def forget_executors(stale: Callable[[tuple[str, str | None, str]], bool]) -> None:
    """Drop tortoise's cached INSERT/UPDATE statements (a global keyed by connection name,
    schema and table, never cleared by tortoise): after a model changes or the ``default``
    connection points at another dialect they would be wrong."""
    for key in [key for key in EXECUTOR_CACHE if stale(key)]:
        EXECUTOR_CACHE.pop(key, None)


def from_row(model: type[M], row: Mapping[str, Any]) -> M:
    """The ``model`` instance a SELECT of all its columns returned as ``row``."""
    return model._init_from_db(**row)


def mark_saved(row: Model, pk: Any) -> None:
    """``row`` is stored with the primary key ``pk``, as after its own ``save()``."""
    row.pk = pk
    row._saved_in_db = True


def global_context() -> TortoiseContext | None:
    """The process-wide context ``Tortoise.init`` made, if one is live."""
    from tortoise import context

    return context._global_context


def _points_at(f: object, old: set[type[Model]]) -> bool:
    if isinstance(f, BackwardFKRelation | BackwardOneToOneRelation):
        return f.related_model in old
    if isinstance(f, ManyToManyFieldInstance) and f._generated:
        return getattr(f, "field_type", None) in old or getattr(f, "related_model", None) in old
    return False


def _strip_backward_relations(
    old: set[type[Model]], others: Iterable[dict[str, type[Model]]]
) -> None:
    """Remove from other apps' models the reverse relations that point at ``old`` classes."""
    for models in others:
        for model in models.values():
            meta = model._meta
            stale = [name for name, f in meta.fields_map.items() if _points_at(f, old)]
            for name in stale:
                meta.fields_map.pop(name)
                meta.fields_db_projection.pop(name, None)
                for names in (meta.m2m_fields, meta.backward_fk_fields, meta.backward_o2o_fields):
                    names.discard(name)
                for key in [k for k in meta._filters if k == name or k.startswith(f"{name}__")]:
                    meta._filters.pop(key)
                if isinstance(model.__dict__.get(name), property):
                    delattr(model, name)
            if stale:
                meta.finalise_fields()


def add_app(apps: Apps, label: str, modules: Iterable[ModuleType]) -> dict[str, type[Model]]:
    """Register the models of ``modules`` as the app ``label`` of ``apps`` and resolve the
    relations of every app, so those between it and the others too; ``label``'s models by class
    name. When that fails, ``label`` is left out of ``apps``."""
    try:
        return apps.init_app(label, modules, _init_relations=True)
    except Exception:
        apps.apps.pop(label, None)
        raise


def remove_app(apps: Apps, label: str) -> None:
    """Remove the app ``label`` from ``apps`` with the reverse relations its models added to the
    other apps' models (nothing when there is no such app)."""
    old = apps.apps.pop(label, None)
    if old is not None:
        _strip_backward_relations(set(old.values()), apps.apps.values())


async def init_global(ctx: TortoiseContext, config: dict[str, Any]) -> None:
    """Initialise ``ctx`` from ``config`` as the global fallback: the context of every task that
    has none of its own current (no connection is opened)."""
    await ctx.init(config=config, _enable_global_fallback=True)


def prepared_insert(model: type[Model], db: BaseDBAsyncClient) -> tuple[Sequence[str], str]:
    """The fields tortoise's INSERT of a ``model`` row on ``db`` writes, in their order, and that
    INSERT's SQL (with ``db``'s parameters), as tortoise prepared them."""
    executor = db.executor_class(model=model, db=db)
    return executor.regular_columns, executor.insert_query


def column_names(model: type[Model]) -> Mapping[str, str]:
    """The column of each of ``model``'s fields stored in its table, by field name."""
    return model._meta.fields_db_projection


def has_db_defaults(model: type[Model]) -> bool:
    """Whether a column of ``model`` gets its default from the database (``db_default``)."""
    return bool(model._meta.db_default_db_columns)


@contextmanager
def reused_field_comments() -> Iterator[None]:
    """Within the block, a model class whose module's source is unchanged since a class of
    the same qualified name was created gets its field comments from memory, not by tortoise
    parsing the module's source again (the result depends only on that source and the name)."""
    original = tortoise.models._get_comments

    def comments(cls: type[Model]) -> dict[str, str]:
        try:
            file = inspect.getsourcefile(cls)
        except TypeError:  # a class without a source file
            return original(cls)
        if file is None:
            return original(cls)
        linecache.checkcache(file)  # what inspect.getsource reads, as fresh as it would be
        lines = linecache.getlines(file)
        if not lines:
            return original(cls)
        digest = hashlib.sha1("".join(lines).encode(), usedforsecurity=False).digest()
        key = (file, cls.__qualname__)
        known = _comments.get(key)
        if known is None or known[0] != digest:
            known = _comments[key] = (digest, original(cls))
        return dict(known[1])

    tortoise.models._get_comments = comments
    try:
        yield
    finally:
        tortoise.models._get_comments = original
