"""Plugins a reload or a config.toml edit loads together load in dependency order, optional
dependencies too, whatever their names' order."""

from __future__ import annotations

from pathlib import Path

from core.reloader import ReloadStage
from tests.reload.conftest import Starter

#: Offers ``aaa.found`` with whether ``zzz`` (an optional dependency) was loaded at its setup.
AAA = """
from core.plugin import Plugin


async def setup(ctx):
    ctx.provide("aaa.found", ctx.plugin_loaded("zzz"))


plugin = Plugin(name="aaa", version="1.0.0", optional_depends_on=("zzz",), setup=setup)
"""

ZZZ = """
from core.plugin import Plugin

plugin = Plugin(name="zzz", version="1.0.0")
"""

#: ``aaa`` that cannot load without ``zzz``.
AAA_NEEDS_ZZZ = AAA.replace("optional_depends_on", "depends_on")

BOTH_OFF = """
[plugins.aaa]
enabled = false
[plugins.zzz]
enabled = false
"""


def write_plugins(package: Path, aaa: str = AAA, *, broken: bool = False) -> None:
    """``aaa`` and ``zzz`` (``broken``: each raising at import)."""
    for name, text in (("aaa", aaa), ("zzz", ZZZ)):
        (package / name).mkdir(exist_ok=True)
        prefix = 'raise RuntimeError("not yet")\n' if broken else ""
        (package / name / "__init__.py").write_text(prefix + text.lstrip())


async def test_a_reload_loads_an_optional_dependency_first(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_plugins(plugin_package, broken=True)
    bench = await start_bench()
    records = bench.app.plugins.records
    assert [records[n].state for n in ("aaa", "zzz")] == ["failed", "failed"]

    write_plugins(plugin_package)
    results = await bench.app.reloader.reload(["aaa", "zzz"])

    assert [(r.name, r.ok, r.action) for r in results] == [
        ("zzz", True, "loaded"),
        ("aaa", True, "loaded"),
    ], results
    assert bench.reloaded == [("zzz", True, None), ("aaa", True, None)]
    assert bench.app.plugins.services.get("aaa.found") is True


async def test_enabling_both_loads_the_optional_dependency_first(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_plugins(plugin_package)
    bench = await start_bench(plugins=BOTH_OFF)
    assert bench.app.plugins.loaded() == []

    bench.config.write_text(bench.config.read_text().replace("enabled = false", "enabled = true"))
    results = await bench.app.reloader.apply_config()

    assert [(r.name, r.ok, r.action) for r in results] == [
        ("zzz", True, "loaded"),
        ("aaa", True, "loaded"),
    ], results
    assert bench.app.plugins.services.get("aaa.found") is True


async def test_enabling_both_loads_a_dependency_first_without_a_failed_try(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_plugins(plugin_package, AAA_NEEDS_ZZZ)
    bench = await start_bench(plugins=BOTH_OFF)

    bench.config.write_text(bench.config.read_text().replace("enabled = false", "enabled = true"))
    results = await bench.app.reloader.apply_config()

    assert [(r.name, r.ok) for r in results] == [("zzz", True), ("aaa", True)], results
    assert bench.reloaded == [("zzz", True, None), ("aaa", True, None)]  # no failure reported
    assert [r.name for r in bench.app.reloader.history] == ["zzz", "aaa"]


async def test_a_plugin_whose_file_does_not_parse_is_ordered_and_fails_at_import(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_plugins(plugin_package, broken=True)
    bench = await start_bench()
    write_plugins(plugin_package)
    (plugin_package / "zzz" / "__init__.py").write_text("def (\n")

    results = await bench.app.reloader.reload(["aaa", "zzz"])

    assert [(r.name, r.ok, r.stage) for r in results] == [
        ("zzz", False, ReloadStage.IMPORT),
        ("aaa", True, None),
    ], results
    assert bench.app.plugins.services.get("aaa.found") is False
