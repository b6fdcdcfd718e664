"""Load order: dependencies first, cycles and missing dependencies named (or, for a reload,
left to its dependency check)."""

from __future__ import annotations

import pytest

from core.discovery import Declaration
from core.plugin import DependencyError, Plugin
from core.plugin_manager import PluginManager


def plugins(**deps: tuple[str, ...]) -> dict[str, Plugin]:
    return {name: Plugin(name=name, version="1", depends_on=d) for name, d in deps.items()}


def test_dependencies_load_first() -> None:
    order = PluginManager.order(
        plugins(weather=("betting",), betting=(), audit=(), admin=("audit",))
    )
    assert order.index("betting") < order.index("weather")
    assert order.index("audit") < order.index("admin")
    assert sorted(order) == ["admin", "audit", "betting", "weather"]


def test_order_is_deterministic() -> None:
    ps = plugins(c=(), b=(), a=())
    assert (
        PluginManager.order(ps)
        == ["a", "b", "c"]
        == PluginManager.order(dict(reversed(ps.items())))
    )


def test_optional_dependency_orders_only_when_present() -> None:
    ps = {
        "weather": Plugin(name="weather", version="1", optional_depends_on=("betting",)),
        "betting": Plugin(name="betting", version="1"),
    }
    assert PluginManager.order(ps) == ["betting", "weather"]
    assert PluginManager.order({"weather": ps["weather"]}) == ["weather"]


def test_cycle_names_its_members() -> None:
    with pytest.raises(DependencyError) as err:
        PluginManager.order(plugins(a=("b",), b=("c",), c=("a",), d=()))
    assert str(err.value) == "plugin dependency cycle between: a, b, c"
    assert err.value.names == ["a", "b", "c"]


def test_missing_dependency_is_named() -> None:
    with pytest.raises(DependencyError) as err:
        PluginManager.order(plugins(weather=("betting",)))
    assert "plugin 'weather' depends on 'betting', which is not installed or not enabled" == str(
        err.value
    )
    assert err.value.names == ["weather"]


def test_a_partial_order_checks_no_dependency_outside_and_puts_cycles_last() -> None:
    ps = {
        **plugins(a=("b",), b=("a",), c=("outside",), d=("a",)),
        "aaa": Declaration("aaa", "1", optional_depends_on=("zzz",)),
        "zzz": Declaration("zzz", "1"),
    }
    assert PluginManager.order(ps, partial=True) == ["c", "zzz", "aaa", "a", "b", "d"]
    with pytest.raises(DependencyError, match="'c' depends on 'outside'"):
        PluginManager.order(ps)
