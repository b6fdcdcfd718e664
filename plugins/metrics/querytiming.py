"""Timing every database query, removably.

Tortoise's clients run SQL through a few ``execute_*`` methods on the dialect's client class (the
transaction wrappers inherit them, overriding only ``execute_many``). :func:`observe_queries`
wraps those methods on the live connection's class and its subclasses once, and passes each
query's duration to every registered observer; the returned function removes the observer and,
when it was the last one, puts the original methods back. A method calling another one (asyncpg's
``execute_query_dict`` calls ``execute_query``) is timed once, as the outer call.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

Observer = Callable[[str, float], None]  # (operation, seconds)

METHODS = (
    "execute_query",
    "execute_query_dict",
    "execute_insert",
    "execute_many",
    "execute_script",
)
OPERATIONS = frozenset({"select", "insert", "update", "delete", "create", "alter", "drop"})
_OBSERVERS = "__dbsbm_query_observers__"
_ORIGINAL = "__dbsbm_original__"
_timing: ContextVar[bool] = ContextVar("dbsbm_query_timing", default=False)


def operation(sql: str) -> str:
    """The statement kind of ``sql`` as a label value (``select``, ``insert``, ... or ``other``)."""
    word = sql.lstrip(" \n\t(")[:8].split(None, 1)
    kind = word[0].lower() if word else ""
    return kind if kind in OPERATIONS else "other"


def _wrap(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    observers: list[Observer] = []

    @functools.wraps(method)
    async def timed(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if _timing.get():
            return await method(self, query, *args, **kwargs)
        token = _timing.set(True)
        started = time.perf_counter()
        try:
            return await method(self, query, *args, **kwargs)
        finally:
            seconds = time.perf_counter() - started
            _timing.reset(token)
            kind = operation(query)
            for observer in list(observers):
                observer(kind, seconds)

    setattr(timed, _OBSERVERS, observers)
    setattr(timed, _ORIGINAL, method)
    return timed


def _classes(base: type) -> list[type]:
    out, todo = [], [base]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def observe_queries(client_class: type, observer: Observer) -> Callable[[], None]:
    """Call ``observer(operation, seconds)`` after each query of ``client_class`` (and subclasses).

    Returns the undo function.
    """
    touched: list[tuple[type, str]] = []
    for cls in _classes(client_class):
        for name in METHODS:
            method = cls.__dict__.get(name)
            if method is None:
                continue
            if not hasattr(method, _OBSERVERS):
                method = _wrap(method)
                setattr(cls, name, method)
            getattr(method, _OBSERVERS).append(observer)
            touched.append((cls, name))

    def undo() -> None:
        for cls, name in touched:
            method = cls.__dict__.get(name)
            observers = getattr(method, _OBSERVERS, None)
            if observers is None:
                continue
            if observer in observers:
                observers.remove(observer)
            if not observers:
                setattr(cls, name, getattr(method, _ORIGINAL))

    return undo
