"""Nothing left behind after 100 reloads; a reload during a burst loses and doubles nothing;
a refused hook or command keeps the old version serving."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

import pytest

from core.reloader import ReloadStage
from tests.reload.conftest import Bench, Starter, write_echo


def _footprint(bench: Bench) -> tuple[int, int, int, int]:
    """Tasks, listeners, hook impl registrations and components of the echo plugin."""
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith("echo:")]
    listeners = sum(len(v) for v in bench.app.bot.extra_events.values())
    hookimpls = sum(1 for name, _ in bench.app.pm.list_name_plugin() if name == "echo")
    return len(tasks), listeners, hookimpls, len(bench.app.bot.all_slash_commands)


async def test_100_reloads_leave_nothing_behind(start_bench: Starter, plugin_package: Path) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    before = _footprint(bench)
    assert before == (1, 1, 1, 1)
    module_name = f"{plugin_package.name}.echo.helpers"
    old = weakref.ref(__import__("sys").modules[module_name])
    old_greeting = weakref.ref(__import__("sys").modules[module_name].greeting)

    for _ in range(100):
        [result] = await bench.app.reloader.reload(["echo"])
        assert result.ok, result.error

    assert _footprint(bench) == before
    gc.collect()
    assert old() is None, gc.get_referrers(old())
    assert old_greeting() is None
    assert await bench.ask() == "v1"


async def test_reload_during_a_burst_loses_none_and_answers_none_twice(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    alice = bench.discord.member("Alice")
    helpers = plugin_package / "echo/helpers.py"
    helpers.write_text(helpers.read_text().replace('"v1"', '"v2"'))

    responses = [await alice.slash("echo") for _ in range(15)]
    reload = asyncio.create_task(bench.app.reloader.reload(["echo"]))
    responses += [await alice.slash("echo") for _ in range(15)]
    [result] = await reload

    assert result.ok, result.error
    replies = [await r.wait_reply() for r in responses]
    texts = [r.message.content for r in replies if r.message is not None]
    assert len(texts) == 30
    assert set(texts) <= {"v1", "v2"} and texts[-1] == "v2"
    assert all(r.record.rejected_callbacks == 0 for r in responses)
    assert "This command is not available right now." not in texts


MISSPELT_HOOK = """
from core.hookspecs import hookimpl
from core.plugin import Plugin


@hookimpl
def dbsbm_comands(ctx):
    return []


plugin = Plugin(name="echo", version="1.0.0")
"""


async def test_a_misspelt_hook_fails_the_first_load_as_it_fails_a_reload(
    start_bench: Starter, plugin_package: Path
) -> None:
    """The first load runs the reload's hook validation: a misspelt hook never loads."""
    (plugin_package / "echo").mkdir()
    (plugin_package / "echo" / "__init__.py").write_text(MISSPELT_HOOK.lstrip())
    bench = await start_bench()
    record = bench.app.plugins.records["echo"]
    assert not bench.app.plugins.is_loaded("echo")
    assert "dbsbm_comands" in (record.error or ""), record.error
    (result,) = await bench.app.reloader.reload(["echo"])
    assert not result.ok and result.stage is ReloadStage.HOOKS, result
    assert (result.error or "").startswith("hook validation of 'echo' failed"), result.error


REMOVED_HOOK = """
from disnake.ext import commands

from core.hookspecs import hookimpl
from core.plugin import Plugin


@hookimpl
def dbsbm_commands(ctx):
    @commands.slash_command(name="echo", description="Answer")
    async def echo(inter):
        await inter.response.send_message("old way")

    return [echo]


plugin = Plugin(name="echo", version="1.0.0")
"""


async def test_a_plugin_on_the_removed_commands_hook_is_told_what_to_write(
    start_bench: Starter, plugin_package: Path
) -> None:
    """``dbsbm_commands`` is gone: the plugin does not load, and the message names the way."""
    (plugin_package / "echo").mkdir()
    (plugin_package / "echo" / "__init__.py").write_text(REMOVED_HOOK.lstrip())
    bench = await start_bench()
    record = bench.app.plugins.records["echo"]
    assert not bench.app.plugins.is_loaded("echo")
    assert "dbsbm_commands hook no longer exists" in (record.error or ""), record.error
    assert "ctx.add_command(command)" in (record.error or ""), record.error
    assert "echo" not in bench.app.bot.all_slash_commands
    (result,) = await bench.app.reloader.reload(["echo"])
    assert not result.ok and result.stage is ReloadStage.HOOKS, result
    assert "ctx.add_command(command)" in (result.error or ""), result.error


#: Holds ``/bet``, so the echo plugin may not register it too.
BETS = """
from disnake.ext import commands

from core.plugin import Plugin


async def setup(ctx):
    @commands.slash_command(name="bet", description="Bet")
    async def bet(inter):
        await inter.response.send_message("bet v1")

    ctx.add_command(bet)


plugin = Plugin(name="bets", version="1.0.0", setup=setup)
"""

SECOND_BET = """    @commands.slash_command(name="bet", description="Another bet")
    async def bet(inter):
        await inter.response.send_message("stolen")

    return [echo, bet]"""


@pytest.mark.parametrize(
    ("commands", "says"),
    [
        (SECOND_BET, "plugin 'echo' registers /bet, which plugin 'bets' already registered"),
        ("    return [echo, echo]", "plugin 'echo' registers /echo twice"),
        ("    return [echo, 'echo']", "plugin 'echo': 'echo' is not an application command"),
    ],
    ids=["taken by another plugin", "twice in one plugin", "not a command"],
)
async def test_a_command_refused_at_setup_keeps_the_old_version_serving(
    start_bench: Starter, plugin_package: Path, commands: str, says: str
) -> None:
    """Without a dry run, ``ctx.add_command`` refuses during the swap: the reload reports the
    command stage and every plugin answers as before, through the local Discord."""
    write_echo(plugin_package)
    (plugin_package / "bets").mkdir()
    (plugin_package / "bets" / "__init__.py").write_text(BETS.lstrip())
    bench = await start_bench()
    before = _footprint(bench)
    init = plugin_package / "echo/__init__.py"
    init.write_text(init.read_text().replace("    return [echo]", commands))
    writes = bench.discord.command_writes

    (result,) = await bench.app.reloader.reload(["echo"])

    assert not result.ok and result.stage is ReloadStage.COMMANDS, result
    assert result.error == f"command validation of 'echo' failed: {says}", result.error
    assert bench.reloaded == [("echo", False, result.error)]
    assert _footprint(bench) == before
    assert bench.app.pipeline.command_owner("bet") == "bets"
    assert await bench.ask("echo") == "v1"
    assert await bench.ask("bet") == "bet v1"
    assert bench.discord.command_writes == writes  # nothing changed, nothing synced
