"""The one way to call hooks: :func:`acall` for decisions, :func:`emit` for events.

pluggy calls implementations synchronously, so an ``async def`` implementation returns a coroutine
that pluggy would treat as a (non-``None``) result. These helpers walk the implementations in
pluggy's own call order (``tryfirst``/``trylast`` honoured, last registered first), await what
needs awaiting, and apply ``firstresult`` on the awaited values.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import pluggy
from loguru import logger

from core.hookspecs import PROJECT, HookSpecs


def new_plugin_manager() -> pluggy.PluginManager:
    """A pluggy manager with the framework's hook specifications added."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(HookSpecs)
    return pm


def _impls(hook: pluggy.HookCaller, only: str | None) -> list[Any]:
    impls = [i for i in reversed(hook.get_hookimpls()) if not (i.hookwrapper or i.wrapper)]
    if only is not None:
        impls = [i for i in impls if i.plugin_name == only]
    return impls


async def acall(hook: pluggy.HookCaller, *, only: str | None = None, **kwargs: Any) -> Any:
    """Call ``hook`` and await async implementations.

    For a ``firstresult`` hook, return the first non-``None`` awaited result (or ``None``);
    otherwise return the list of non-``None`` results. ``only`` restricts the call to the
    implementations registered under one plugin name. Exceptions propagate.
    """
    spec = hook.spec
    firstresult = bool(spec and spec.opts.get("firstresult"))
    results: list[Any] = []
    for impl in _impls(hook, only):
        args = {name: kwargs[name] for name in impl.argnames if name in kwargs}
        result = impl.function(**args)
        if inspect.isawaitable(result):
            result = await result
        if result is None:
            continue
        if firstresult:
            return result
        results.append(result)
    return None if firstresult else results


async def emit(hook: pluggy.HookCaller, **kwargs: Any) -> None:
    """Call every listener of an event hook; a failing listener is logged, never raised."""
    for impl in _impls(hook, None):
        args = {name: kwargs[name] for name in impl.argnames if name in kwargs}
        try:
            result = impl.function(**args)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.opt(exception=True).error("listener {}.{} failed", impl.plugin_name, hook.name)


def flatten(results: Sequence[Any]) -> list[Any]:
    """Flatten hook results where each implementation returns one item or a sequence."""
    out: list[Any] = []
    for r in results:
        if isinstance(r, (list, tuple)):
            out.extend(r)
        else:
            out.append(r)
    return out
