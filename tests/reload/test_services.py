"""Services one plugin offers another (``ctx.provide`` / ``ctx.service``) through loads,
reloads and unloads, asked for through the local Discord."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.plugin import PluginError, Services
from tests.reload.conftest import Starter

#: Offers ``clock.version``: an object whose ``version()`` says which code made it.
CLOCK = """
from core.plugin import Plugin


class Clock:
    def version(self):
        return "v1"


async def setup(ctx):
    ctx.provide("clock.version", Clock())


plugin = Plugin(name="clock", version="1.0.0", setup=setup)
"""

#: ``/when`` answers what the ``clock.version`` service says, or "no clock"; no dependency
#: on the clock plugin, so reloading the clock does not reload it.
WATCHER = """
from disnake.ext import commands

from core.plugin import Plugin


async def setup(ctx):
    @commands.slash_command(name="when", description="Ask the clock")
    async def when(inter):
        clock = ctx.service("clock.version")
        await inter.response.send_message("no clock" if clock is None else clock.version())

    ctx.add_command(when)


plugin = Plugin(name="watcher", version="1.0.0", setup=setup)
"""


def write_plugins(package: Path) -> None:
    for name, text in (("clock", CLOCK), ("watcher", WATCHER)):
        (package / name).mkdir()
        (package / name / "__init__.py").write_text(text.lstrip())


async def test_a_reload_of_the_provider_gives_consumers_the_new_object(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_plugins(plugin_package)
    bench = await start_bench()
    assert await bench.ask("when") == "v1"
    assert bench.app.plugins.services.owners() == {"clock.version": "clock"}
    first = bench.app.plugins.services.get("clock.version")

    clock = plugin_package / "clock" / "__init__.py"
    clock.write_text(clock.read_text().replace('"v1"', '"v2"'))
    [result] = await bench.app.reloader.reload(["clock"])
    assert result.ok, result.error

    assert await bench.ask("when") == "v2"
    assert bench.app.plugins.services.get("clock.version") is not first
    assert bench.app.plugins.records["clock"].ctx is not None
    assert bench.app.plugins.records["clock"].ctx.scope.labels("service") == ["clock.version"]


async def test_a_failed_reload_keeps_the_old_object(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_plugins(plugin_package)
    bench = await start_bench()
    clock = plugin_package / "clock" / "__init__.py"
    clock.write_text(
        clock.read_text()
        .replace('"v1"', '"v2"')
        .replace('    ctx.provide("clock.version", Clock())', '    raise RuntimeError("broken")')
    )
    [result] = await bench.app.reloader.reload(["clock"])
    assert not result.ok
    assert await bench.ask("when") == "v1"


async def test_an_unloaded_provider_gives_none(start_bench: Starter, plugin_package: Path) -> None:
    write_plugins(plugin_package)
    bench = await start_bench()
    base = bench.config.read_text()
    bench.config.write_text(base + "\n[plugins.clock]\nenabled = false\n")
    [result] = await bench.app.reloader.apply_config()
    assert result.ok and result.action == "unloaded", result.error

    assert await bench.ask("when") == "no clock"
    assert bench.app.plugins.services.owners() == {}

    bench.config.write_text(base)
    [result] = await bench.app.reloader.apply_config()
    assert result.ok and result.action == "loaded", result.error
    assert await bench.ask("when") == "v1"


def test_a_name_offered_by_another_plugin_is_refused() -> None:
    services = Services()
    withdraw = services.offer("clock.version", "clock", "first")
    with pytest.raises(PluginError, match=r"'clock\.version', which plugin 'clock' already offers"):
        services.offer("clock.version", "other", "second")
    replaced = services.offer("clock.version", "clock", "again")  # its own name: replaced
    withdraw()  # the stale withdrawal leaves the newer offer in place
    assert services.get("clock.version") == "again"
    replaced()
    assert services.get("clock.version") is None
