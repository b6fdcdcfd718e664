"""Code reloads through the local Discord: helper modules, rollback, commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.reload.conftest import Bench, Starter, write_echo


async def test_helper_module_edit_changes_the_reply(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    assert await bench.ask() == "v1"
    writes = bench.discord.command_writes

    bench.write(
        "echo/helpers.py", (plugin_package / "echo/helpers.py").read_text().replace('"v1"', '"v2"')
    )
    assert bench.app.reloader.changed() == ["echo"]
    [result] = await bench.app.reloader.reload()

    assert result.ok, result.error
    assert result.name == "echo" and not result.commands_changed
    assert await bench.ask() == "v2"
    assert bench.discord.command_writes == writes  # only a handler body changed
    assert bench.app.reloader.changed() == []
    assert bench.reloaded == [("echo", True, None)]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def test_syntax_error_keeps_the_old_version(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    _edit(plugin_package / "echo/helpers.py", 'return "v1"', 'return "v2" +')

    [result] = await bench.app.reloader.reload(["echo"])

    assert not result.ok
    assert result.error is not None and "SyntaxError" in result.error
    assert "helpers.py" in result.error or "invalid syntax" in result.error
    assert await bench.ask() == "v1"
    assert bench.app.plugins.is_loaded("echo")
    assert bench.reloaded == [("echo", False, result.error)]
    assert bench.app.reloader.changed() == ["echo"]  # still differs: fix it and reload again

    _edit(plugin_package / "echo/helpers.py", 'return "v2" +', 'return "v3"')
    [result] = await bench.app.reloader.reload()
    assert result.ok, result.error
    assert await bench.ask() == "v3"


async def test_exception_in_setup_keeps_the_old_version(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    helpers = plugin_package / "echo/helpers.py"
    _edit(helpers, 'return "v1"', 'return "v2"')
    _edit(
        helpers,
        "def check_setup():\n    pass",
        'def check_setup():\n    raise RuntimeError("no API key")',
    )

    [result] = await bench.app.reloader.reload(["echo"])

    assert not result.ok
    assert result.error is not None and "RuntimeError: no API key" in result.error
    assert await bench.ask() == "v1"
    tasks = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("echo:")]
    assert tasks == ["echo:ticker"]  # the old version's task runs again, the new one's is gone
    assert len(bench.app.bot.extra_events["on_message"]) == 1


async def test_added_and_removed_commands_are_synced(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    guild_writes = bench.discord.command_writes
    _edit(
        plugin_package / "echo/__init__.py",
        "    return [echo]",
        """    @commands.slash_command(name="ping", description="Pong")
    async def ping(inter):
        await inter.response.send_message("pong")

    return [echo, ping]""",
    )
    [result] = await bench.app.reloader.reload(["echo"])
    assert result.ok and result.commands_changed
    assert bench.discord.command_writes > guild_writes
    assert "ping" in _registered(bench)
    assert await bench.ask("ping") == "pong"

    _edit(plugin_package / "echo/__init__.py", "return [echo, ping]", "return [ping]")
    [result] = await bench.app.reloader.reload(["echo"])
    assert result.ok and result.commands_changed
    assert _registered(bench) == {"ping"}


def _registered(bench: Bench) -> set[str]:
    names = {c.name for c in bench.discord.world.commands_of(None)}
    for guild_id in [g.id for g in bench.discord.world.guilds]:
        names |= {c.name for c in bench.discord.world.commands_of(guild_id)}
    return names


async def test_reload_of_unknown_or_disabled_plugin_says_so(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    [result] = await bench.app.reloader.reload(["nope"])
    assert not result.ok and result.error is not None
    assert "unknown plugin" in result.error and "echo" in result.error
