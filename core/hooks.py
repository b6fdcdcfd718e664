"""The one way to call hooks: :func:`acall` for decisions, :func:`emit` for events.

pluggy calls implementations synchronously, so an ``async def`` implementation returns a coroutine
that pluggy would treat as a (non-``None``) result. These helpers run pluggy's own call protocol
with the awaiting added: implementations in pluggy's order (``tryfirst``/``trylast`` honoured,
last registered first), ``firstresult`` applied on the awaited values, and new-style wrappers
(``@hookimpl(wrapper=True)``, a plain generator) around them, receiving the awaited result at
their ``yield`` and able to replace it or see the exception. Every call passes exactly the
arguments the hook's specification names.

:func:`validated_hooks` is the check every plugin's hooks pass before anything is registered, at
first load and at reload alike: pluggy's own checks (a known hook name, arguments that the
specification has, wrappers that are generator functions) plus what these helpers cannot run
(old-style ``hookwrapper=True``, a wrapper on a hook called one plugin at a time), refused with a
message that says what to write instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Generator, Sequence
from typing import Any, cast

import pluggy
from loguru import logger

from core.hookspecs import PER_PLUGIN_HOOKS, PROJECT, HookSpecs


def new_plugin_manager() -> pluggy.PluginManager:
    """A pluggy manager with the framework's hook specifications added."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(HookSpecs)
    return pm


#: Hooks that DBSBM had and removed, with what a plugin writes instead.
REMOVED_HOOKS = {
    "dbsbm_commands": "add each command in the plugin's setup with ctx.add_command(command)",
    "dbsbm_web_routes": "add the routes in the plugin's setup with ctx.add_routes(routes)",
}


def validated_hooks(hooks: object, name: str) -> pluggy.PluginManager:
    """A scratch manager with ``hooks`` registered under ``name``, once they pass every check.

    Raises :class:`pluggy.PluginValidationError` for a removed hook (:data:`REMOVED_HOOKS`),
    an unknown (misspelt) hook name, an argument the specification does not have, a wrapper
    that is not a generator function (pluggy's checks), an old-style hook wrapper or a wrapper
    on a hook of :data:`~core.hookspecs.PER_PLUGIN_HOOKS` (ours).
    """
    scratch = new_plugin_manager()
    scratch.register(hooks, name=name)
    for hook, instead in REMOVED_HOOKS.items():
        caller = getattr(scratch.hook, hook, None)
        if caller is not None and caller.get_hookimpls():
            raise pluggy.PluginValidationError(
                hooks,
                f"the {hook} hook no longer exists: {instead} "
                "(docs/WRITING_PLUGINS.md, 'Migrating from dbsbm_commands')",
            )
    scratch.check_pending()
    for caller in scratch.get_hookcallers(scratch.get_plugin(name)) or ():
        for impl in caller.get_hookimpls():
            if impl.hookwrapper:
                raise pluggy.PluginValidationError(
                    hooks,
                    f"{impl.function.__qualname__} is an old-style hookwrapper, which "
                    "DBSBM does not run: write @hookimpl(wrapper=True) with `result = yield` "
                    "instead",
                )
            if impl.wrapper and caller.name in PER_PLUGIN_HOOKS:
                raise pluggy.PluginValidationError(
                    hooks,
                    f"{impl.function.__qualname__} wraps {caller.name}, which the core calls "
                    "one plugin at a time (acall(..., only=name)), so it would wrap only its own "
                    "plugin's implementation: implement the hook without wrapper=True",
                )
    return scratch


@functools.cache
def _names(argnames: tuple[str, ...]) -> frozenset[str]:
    return frozenset(argnames)


def _arguments(hook: pluggy.HookCaller, kwargs: dict[str, Any]) -> None:
    """Refuse a call whose arguments are not exactly those of the hook's specification."""
    if hook.spec is None:
        return
    expected = _names(hook.spec.argnames)
    if kwargs.keys() != expected:
        missing, extra = sorted(expected - set(kwargs)), sorted(set(kwargs) - expected)
        raise TypeError(f"hook {hook.name} called with missing {missing} and unknown {extra}")


async def _call(
    hook: pluggy.HookCaller, kwargs: dict[str, Any], *, only: str | None, isolate: bool
) -> Any:
    """pluggy's multicall with awaiting. ``isolate``: a failing non-wrapper implementation is
    logged and skipped (events) instead of ending the call."""
    _arguments(hook, kwargs)
    firstresult = bool(hook.spec and hook.spec.opts.get("firstresult"))
    impls = [i for i in reversed(hook.get_hookimpls()) if only is None or i.plugin_name == only]
    results: list[Any] = []
    teardowns: list[Generator[None, Any, Any]] = []
    exception: BaseException | None = None
    try:
        for impl in impls:
            args = {arg: kwargs[arg] for arg in impl.argnames}
            if impl.wrapper:
                wrapper = cast(Generator[None, Any, Any], impl.function(**args))
                try:
                    next(wrapper)
                except StopIteration:
                    raise RuntimeError(
                        f"wrapper {impl.plugin_name}.{hook.name} did not yield"
                    ) from None
                teardowns.append(wrapper)
                continue
            try:
                result = impl.function(**args)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                if not isolate:
                    raise
                logger.opt(exception=True).error(
                    "listener {}.{} failed", impl.plugin_name, hook.name
                )
                continue
            if result is not None:
                results.append(result)
                if firstresult:
                    break
    except BaseException as exc:
        exception = exc
    outcome: Any = (results[0] if results else None) if firstresult else results
    for wrapper in reversed(teardowns):
        try:
            if exception is not None:
                wrapper.throw(exception)
            else:
                wrapper.send(outcome)
            wrapper.close()
            exception = RuntimeError(f"a wrapper of {hook.name} yielded more than once")
        except StopIteration as stop:
            outcome, exception = stop.value, None
        except BaseException as exc:
            exception = exc
    if exception is not None:
        raise exception
    return outcome


async def acall(hook: pluggy.HookCaller, *, only: str | None = None, **kwargs: Any) -> Any:
    """Call ``hook`` and await async implementations.

    For a ``firstresult`` hook, return the first non-``None`` awaited result (or ``None``);
    otherwise return the list of non-``None`` results; wrappers may replace either.
    ``only`` restricts the call to the implementations registered under one plugin name, its
    wrappers too: a hook called so is one of :data:`~core.hookspecs.PER_PLUGIN_HOOKS`, on which
    no wrapper is accepted (:func:`validated_hooks`). Exceptions propagate.
    """
    if only is not None and hook.name not in PER_PLUGIN_HOOKS:
        raise ValueError(f"hook {hook.name} is called with only= but is not in PER_PLUGIN_HOOKS")
    return await _call(hook, kwargs, only=only, isolate=False)


async def emit(hook: pluggy.HookCaller, **kwargs: Any) -> None:
    """Call every listener of an event hook; a failing listener is logged, never raised."""
    try:
        await _call(hook, kwargs, only=None, isolate=True)
    except Exception:  # a wrapper of the event failed: logged like a listener
        logger.opt(exception=True).error("a wrapper of {} failed", hook.name)


def flatten(results: Sequence[Any]) -> list[Any]:
    """Flatten hook results where each implementation returns one item or a sequence."""
    out: list[Any] = []
    for r in results:
        if isinstance(r, (list, tuple)):
            out.extend(r)
        else:
            out.append(r)
    return out
