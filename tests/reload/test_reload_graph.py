"""A code edit re-executes the edited modules and their importers and keeps the others."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path
from types import ModuleType

from core.module_graph import imports_of
from tests.reload.conftest import Bench, Starter

SHOP_INIT = """
from disnake.ext import commands

from core.plugin import Plugin

from . import ledger, prices


async def setup(ctx):
    prices.check()

    @commands.slash_command(name="price", description="The price")
    async def price(inter):
        await inter.response.send_message(prices.label())

    ctx.add_command(price)


plugin = Plugin(name="shop", version="1.0.0", setup=setup)
"""

SHOP_PRICES = """
from . import base


def label():
    return f"10 {base.UNIT}"


def check():
    pass
"""

SHOP_BASE = """
UNIT = "EUR"
"""

SHOP_LEDGER = """
ENTRIES = []
"""


def _write_shop(package: Path) -> None:
    for name, text in {
        "__init__": SHOP_INIT,
        "prices": SHOP_PRICES,
        "base": SHOP_BASE,
        "ledger": SHOP_LEDGER,
    }.items():
        path = package / "shop" / f"{name}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text.lstrip())


def _modules(bench: Bench) -> dict[str, ModuleType]:
    prefix = f"{bench.package.name}.shop"
    return {key.removeprefix(prefix): m for key, m in sys.modules.items() if key.startswith(prefix)}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def test_edit_reexecutes_the_module_and_its_importers_only(
    start_bench: Starter, plugin_package: Path
) -> None:
    _write_shop(plugin_package)
    bench = await start_bench()
    before = _modules(bench)
    before[".ledger"].ENTRIES.append("kept")

    _edit(plugin_package / "shop/prices.py", 'f"10 ', 'f"12 ')
    [result] = await bench.app.reloader.reload(["shop"])

    assert result.ok, result.error
    assert await bench.ask("price") == "12 EUR"
    after = _modules(bench)
    assert after.keys() == before.keys()
    assert after[".prices"] is not before[".prices"] and after[""] is not before[""]
    assert after[".base"] is before[".base"] and after[".ledger"] is before[".ledger"]
    assert after[""].ledger is after[".ledger"] and after[""].prices is after[".prices"]
    assert after[".ledger"].ENTRIES == ["kept"]


async def test_the_replaced_modules_are_collected(
    start_bench: Starter, plugin_package: Path
) -> None:
    _write_shop(plugin_package)
    bench = await start_bench()
    old = weakref.ref(_modules(bench)[".prices"])

    for price in range(3):
        prices = SHOP_PRICES.replace('f"10 ', f'f"{price} ')
        (plugin_package / "shop/prices.py").write_text(prices.lstrip())
        [result] = await bench.app.reloader.reload(["shop"])
        assert result.ok, result.error

    gc.collect()
    assert old() is None
    assert await bench.ask("price") == "2 EUR"


async def test_edit_of_a_module_others_import_reexecutes_them(
    start_bench: Starter, plugin_package: Path
) -> None:
    _write_shop(plugin_package)
    bench = await start_bench()
    before = _modules(bench)

    _edit(plugin_package / "shop/base.py", '"EUR"', '"CHF"')
    [result] = await bench.app.reloader.reload(["shop"])

    assert result.ok, result.error
    assert await bench.ask("price") == "10 CHF"
    after = _modules(bench)
    assert all(after[k] is not before[k] for k in ("", ".prices", ".base"))
    assert after[".ledger"] is before[".ledger"]


TILL_INIT = """
from disnake.ext import commands

from core.plugin import Plugin

from . import notes, view


async def setup(ctx):
    @commands.slash_command(name="total", description="The total")
    async def total(inter):
        await inter.response.send_message(view.total())

    ctx.add_command(total)


plugin = Plugin(name="till", version="1.0.0", setup=setup, depends_on=("shop",))
"""

TILL_VIEW = """
from PACKAGE.shop import base


def total():
    return f"total in {base.UNIT}"
"""


async def test_a_dependent_importing_a_replaced_module_executes_it_again(
    start_bench: Starter, plugin_package: Path
) -> None:
    _write_shop(plugin_package)
    (plugin_package / "till").mkdir()
    (plugin_package / "till/__init__.py").write_text(TILL_INIT.lstrip())
    (plugin_package / "till/view.py").write_text(
        TILL_VIEW.replace("PACKAGE", plugin_package.name).lstrip()
    )
    (plugin_package / "till/notes.py").write_text('NOTE = "a"\n')
    bench = await start_bench()
    assert await bench.ask("total") == "total in EUR"

    _edit(plugin_package / "shop/base.py", '"EUR"', '"CHF"')
    _edit(plugin_package / "till/notes.py", '"a"', '"b"')
    results = await bench.app.reloader.reload(["shop"])

    assert [(r.name, r.ok) for r in results] == [("shop", True), ("till", True)]
    assert await bench.ask("total") == "total in CHF"


async def test_failed_partial_reload_puts_every_old_module_back(
    start_bench: Starter, plugin_package: Path
) -> None:
    _write_shop(plugin_package)
    bench = await start_bench()
    before = _modules(bench)

    _edit(plugin_package / "shop/prices.py", "    pass", '    raise RuntimeError("no prices")')
    [result] = await bench.app.reloader.reload(["shop"])

    assert not result.ok and result.error is not None and "no prices" in result.error
    assert await bench.ask("price") == "10 EUR"
    after = _modules(bench)
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)
    assert after[""].prices is before[".prices"]


async def test_reload_without_a_file_change_reexecutes_every_module(
    start_bench: Starter, plugin_package: Path
) -> None:
    _write_shop(plugin_package)
    bench = await start_bench()
    before = _modules(bench)

    [result] = await bench.app.reloader.reload(["shop"])

    assert result.ok, result.error
    after = _modules(bench)
    assert after.keys() == before.keys()
    assert all(after[k] is not before[k] for k in before)


async def test_a_new_module_reexecutes_every_module(
    start_bench: Starter, plugin_package: Path
) -> None:
    _write_shop(plugin_package)
    bench = await start_bench()
    before = _modules(bench)

    (plugin_package / "shop/extra.py").write_text("VALUE = 1\n")
    [result] = await bench.app.reloader.reload(["shop"])

    assert result.ok, result.error
    assert all(_modules(bench)[k] is not before[k] for k in before)


def test_imports_are_made_absolute() -> None:
    source = b"""
import json
from . import a
from .b import c
from .. import d
from top.pkg import e


def later():
    from .f import g
"""

    assert imports_of("top.pkg.mod", False, source) == {
        ("json", None),
        ("top.pkg", "a"),
        ("top.pkg.b", "c"),
        ("top", "d"),
        ("top.pkg", "e"),
        ("top.pkg.f", "g"),
    }
    assert ("top.pkg.mod", "a") in imports_of("top.pkg.mod", True, source)


def test_imports_the_line_scan_cannot_read_are_found() -> None:
    commented = b"""
from .h import (  # h (and more)
    i,
)
"""
    one_line = b"""
if True: import k
"""

    assert imports_of("top.mod", False, commented) == {("top.h", "i")}
    assert imports_of("top.mod", False, one_line) == {("k", None)}
