"""Hooks keep pluggy's semantics with async implementations: order, firstresult, new-style
wrappers, exact arguments; what cannot run is refused before anything is registered."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pluggy
import pytest

from core.hooks import acall, emit, new_plugin_manager, validated_hooks
from core.hookspecs import hookimpl


class Refuser:
    @hookimpl
    async def dbsbm_command_check(self, info: Any) -> str:
        return f"refused {info}"


class Silent:
    @hookimpl
    async def dbsbm_command_check(self, info: Any) -> None:
        return None


class Failing:
    @hookimpl
    async def dbsbm_command_check(self, info: Any) -> str:
        raise LookupError("broken check")


class Replacer:
    """A new-style wrapper: sees the awaited result and replaces it."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    @hookimpl(wrapper=True)
    def dbsbm_command_check(self, info: Any) -> Generator[None, Any, Any]:
        try:
            result = yield
        except LookupError as exc:
            self.seen.append(exc)
            return "recovered"
        self.seen.append(result)
        return None if result is None else result.upper()


def manager(*hooks: object) -> pluggy.PluginManager:
    pm = new_plugin_manager()
    for i, hook in enumerate(hooks):
        pm.register(hook, name=f"p{i}")
    return pm


async def test_a_wrapper_receives_the_awaited_result_and_may_replace_it() -> None:
    wrapper = Replacer()
    pm = manager(Silent(), Refuser(), wrapper)
    assert await acall(pm.hook.dbsbm_command_check, info="x") == "REFUSED X"
    assert wrapper.seen == ["refused x"]  # a string, not a coroutine


async def test_a_wrapper_sees_the_exception_and_may_recover() -> None:
    wrapper = Replacer()
    pm = manager(Failing(), wrapper)
    assert await acall(pm.hook.dbsbm_command_check, info="x") == "recovered"
    assert isinstance(wrapper.seen[0], LookupError)


async def test_without_a_wrapper_the_exception_propagates() -> None:
    with pytest.raises(LookupError, match="broken check"):
        await acall(manager(Failing()).hook.dbsbm_command_check, info="x")


async def test_firstresult_stops_at_the_first_answer_in_pluggy_order() -> None:
    calls: list[str] = []

    class Late:
        @hookimpl(trylast=True)
        async def dbsbm_command_check(self, info: Any) -> str:
            calls.append("late")
            return "late"

    class Early:
        @hookimpl(tryfirst=True)
        async def dbsbm_command_check(self, info: Any) -> str:
            calls.append("early")
            return "early"

    pm = manager(Late(), Early())
    assert await acall(pm.hook.dbsbm_command_check, info="x") == "early"
    assert calls == ["early"]


async def test_calls_pass_exactly_the_specified_arguments() -> None:
    pm = manager(Refuser())
    with pytest.raises(TypeError, match=r"missing \['info'\] and unknown \['inf'\]"):
        await acall(pm.hook.dbsbm_command_check, inf="x")


async def test_event_listeners_fail_alone_and_wrappers_run_around_them() -> None:
    got: list[str] = []

    class Broken:
        @hookimpl
        async def dbsbm_plugin_unloaded(self, name: str) -> None:
            raise RuntimeError("listener bug")

    class Listener:
        @hookimpl
        def dbsbm_plugin_unloaded(self, name: str) -> None:
            got.append(name)

    class Around:
        @hookimpl(wrapper=True)
        def dbsbm_plugin_unloaded(self, name: str) -> Generator[None, Any, Any]:
            got.append("before")
            result = yield
            got.append("after")
            return result

    await emit(manager(Listener(), Broken(), Around()).hook.dbsbm_plugin_unloaded, name="echo")
    assert got == ["before", "echo", "after"]


class Misspelt:
    @hookimpl
    def dbsbm_comands(self, ctx: Any) -> list[Any]:
        return []


class OldCommands:
    @hookimpl
    def dbsbm_commands(self, ctx: Any) -> list[Any]:
        return []


class OldRoutes:
    @hookimpl
    def dbsbm_web_routes(self, ctx: Any) -> list[Any]:
        return []


class OldStyle:
    @hookimpl(hookwrapper=True)
    def dbsbm_command_check(self, info: Any) -> Generator[None, Any, None]:
        yield


class AsyncWrapper:
    @hookimpl(wrapper=True)
    async def dbsbm_command_check(self, info: Any) -> Any:
        return None


class HealthWrapper:
    @hookimpl(wrapper=True)
    def dbsbm_health_check(self) -> Generator[None, Any, Any]:
        return (yield)


class UnknownArgument:
    @hookimpl
    def dbsbm_command_check(self, info: Any, member: Any) -> None:
        return None


@pytest.mark.parametrize(
    ("hooks", "says"),
    [
        (Misspelt(), "dbsbm_comands"),
        (OldCommands(), r"dbsbm_commands hook no longer exists: .*ctx\.add_command\(command\)"),
        (OldRoutes(), r"dbsbm_web_routes hook no longer exists: .*ctx\.add_routes\(routes\)"),
        (OldStyle(), r"write @hookimpl\(wrapper=True\)"),
        (AsyncWrapper(), "not a generator function"),
        (UnknownArgument(), "member"),
        (HealthWrapper(), r"wraps dbsbm_health_check, which the core calls one plugin at a time"),
    ],
    ids=[
        "misspelt",
        "removed dbsbm_commands",
        "removed dbsbm_web_routes",
        "old-style wrapper",
        "async wrapper",
        "unknown argument",
        "wrapper on a per-plugin hook",
    ],
)
def test_what_cannot_run_is_refused_before_registration(hooks: object, says: str) -> None:
    with pytest.raises(pluggy.PluginValidationError, match=says):
        validated_hooks(hooks, "karma")


def test_valid_hooks_pass_with_their_wrappers() -> None:
    scratch = validated_hooks(Replacer(), "karma")
    assert scratch.get_plugin("karma") is not None


class Health:
    @hookimpl
    def dbsbm_health_check(self) -> str:
        return "fine"


async def test_a_per_plugin_hook_is_called_one_plugin_at_a_time() -> None:
    validated_hooks(Health(), "karma")  # an implementation, not a wrapper: accepted
    pm = manager(Health(), Health())
    assert await acall(pm.hook.dbsbm_health_check, only="p1") == ["fine"]


async def test_only_is_refused_on_a_hook_called_for_every_plugin() -> None:
    with pytest.raises(ValueError, match="dbsbm_command_check is called with only="):
        await acall(manager(Refuser()).hook.dbsbm_command_check, only="p0", info="x")
