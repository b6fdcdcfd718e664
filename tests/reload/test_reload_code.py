"""Code reloads through the local Discord: helper modules, rollback, commands."""

from __future__ import annotations

from pathlib import Path

from tests.reload.conftest import Starter, write_echo


async def test_helper_module_edit_changes_the_reply(start_bench: Starter, plugin_package: Path) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    assert await bench.ask() == "v1"
    writes = bench.discord.command_writes

    bench.write("echo/helpers.py", (plugin_package / "echo/helpers.py").read_text().replace('"v1"', '"v2"'))
    assert bench.app.reloader.changed() == ["echo"]
    [result] = await bench.app.reloader.reload()

    assert result.ok, result.error
    assert result.name == "echo" and not result.commands_changed
    assert await bench.ask() == "v2"
    assert bench.discord.command_writes == writes  # only a handler body changed
    assert bench.app.reloader.changed() == []
    assert bench.reloaded == [("echo", True, None)]
