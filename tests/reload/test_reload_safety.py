"""Nothing left behind after 100 reloads; a reload during a burst loses and doubles nothing."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

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
