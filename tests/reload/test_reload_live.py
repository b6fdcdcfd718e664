"""watchfiles and config.toml: saves reload by themselves; config edits apply without a restart."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from loguru import logger

from core.testing.sandbox import Session
from tests.reload.conftest import Bench, Starter, write_echo


async def test_a_save_reloads_once_and_the_next_command_sees_it(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench(watch=True)
    helpers = plugin_package / "echo/helpers.py"
    text = helpers.read_text()
    for version in ("v2", "v3", "v4"):  # three saves in quick succession
        helpers.write_text(text.replace('"v1"', f'"{version}"'))

    await bench.wait_reloads(1)
    assert await bench.ask() == "v4"

    helpers.write_text(text.replace('"v1"', '"v5"'))
    await bench.wait_reloads(2)
    assert bench.reloaded == [("echo", True, None), ("echo", True, None)]  # one per burst
    assert await bench.ask() == "v5"


ECHO_SETTINGS = """
from pydantic import BaseModel, ConfigDict


class EchoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suffix: str = ""
"""


async def test_config_edits_apply_live_and_invalid_ones_are_rejected(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    init = plugin_package / "echo/__init__.py"
    (plugin_package / "echo/settings.py").write_text(ECHO_SETTINGS)
    init.write_text(
        init.read_text()
        .replace("helpers.greeting())", "helpers.greeting() + ctx.settings.suffix)")
        .replace('version="1.0.0",', 'version="1.0.0", settings_model=EchoSettings,')
        .replace(
            "from . import helpers", "from . import helpers\nfrom .settings import EchoSettings"
        )
    )
    bench = await start_bench(plugins='[plugins.echo]\nsuffix = "!"\n')
    assert await bench.ask() == "v1!"
    base = bench.config.read_text()
    reloader = bench.app.reloader

    bench.config.write_text(base.replace('suffix = "!"', 'suffix = "?"'))
    [result] = await reloader.apply_config()
    assert result.ok and result.name == "echo", result.error
    assert await bench.ask() == "v1?"

    bench.config.write_text(base.replace('suffix = "!"', "suffix = 3\nloud = true"))
    [result] = await reloader.apply_config()
    assert not result.ok and result.name == "config"
    assert result.error is not None and "[plugins.echo] loud: unknown key" in result.error
    assert await bench.ask() == "v1?"  # the running configuration stays

    bench.config.write_text(base.replace('suffix = "!"', "enabled = false"))
    [result] = await reloader.apply_config()
    assert result.ok and result.action == "unloaded"
    assert not bench.app.plugins.is_loaded("echo")
    assert "echo" not in bench.app.bot.all_slash_commands

    bench.config.write_text(base)
    [result] = await reloader.apply_config()
    assert result.ok and result.action == "loaded", result.error
    assert await bench.ask() == "v1!"


async def test_a_config_save_is_picked_up_by_the_watcher(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench(watch=True)
    bench.config.write_text(bench.config.read_text() + "\n[plugins.echo]\nenabled = false\n")
    await bench.wait_unloaded("echo")
    assert "echo" not in bench.app.bot.all_slash_commands

    bench.config.write_text(bench.config.read_text().replace("enabled = false", "enabled = true"))
    await bench.wait_reloads(1)
    assert bench.reloaded == [("echo", True, None)]
    assert await bench.ask() == "v1"


async def test_restart_warnings_name_only_the_sections_that_changed_in_the_file(
    start_bench: Starter, plugin_package: Path
) -> None:
    """The App may run with settings the file does not hold (the sandbox points [discord] at the
    local Discord, turns [reload] watching on, moves [web]); a plugin-only edit warns of none."""
    write_echo(plugin_package)
    bench = await start_bench(plugins="[plugins.echo]\n")
    app = bench.app
    app.settings = app.settings.model_copy(
        update={"web": app.settings.web.model_copy(update={"port": 1})}
    )
    warnings: list[str] = []
    sink = logger.add(lambda m: warnings.append(m.record["message"]), level="WARNING")
    try:
        base = bench.config.read_text()
        edited = base.replace("[plugins.echo]\n", "[plugins.echo]\nenabled = true\n")
        bench.config.write_text(edited)
        await app.reloader.apply_config()
        assert [w for w in warnings if "after a restart" in w] == []

        bench.config.write_text(base.replace('default = "10000/1s"', 'default = "9999/1s"'))
        await app.reloader.apply_config()
        assert [w for w in warnings if "after a restart" in w] == [
            "config.toml: [ratelimit] changed; it takes effect after a restart"
        ]
    finally:
        logger.remove(sink)


def registered(bench: Bench) -> set[str]:
    world = bench.discord.world
    return {c.name for scope in (None, bench.discord.guild.id) for c in world.commands_of(scope)}


async def test_disable_and_enable_take_the_command_out_of_discord_and_back(
    start_bench: Starter, plugin_package: Path
) -> None:
    """No member is left with a command that no longer exists: disabling re-syncs, so Discord
    stops offering it; enabling brings it back; an unchanged payload writes nothing."""
    write_echo(plugin_package)
    bench = await start_bench(plugins="[plugins.echo]\n")
    assert "echo" in registered(bench)
    base = bench.config.read_text()
    writes = bench.discord.command_writes

    bench.config.write_text(base.replace("[plugins.echo]\n", "[plugins.echo]\nenabled = false\n"))
    [result] = await bench.app.reloader.apply_config()
    assert result.ok and result.action == "unloaded"
    assert "echo" not in registered(bench)
    assert bench.discord.command_writes == writes + 1
    with pytest.raises(LookupError, match="registered no command 'echo'"):
        await bench.discord.member("Alice").slash("echo")

    bench.config.write_text(base)
    [result] = await bench.app.reloader.apply_config()
    assert result.ok and result.action == "loaded" and result.commands_changed
    assert "echo" in registered(bench)
    assert await bench.ask() == "v1"
    assert bench.discord.command_writes == writes + 2

    bench.config.write_text(base.replace("[plugins.echo]\n", "# a comment\n[plugins.echo]\n"))
    assert await bench.app.reloader.apply_config() == []
    assert bench.discord.command_writes == writes + 2


async def test_the_sandbox_shows_each_lifecycle_change_once_in_the_logs_words(
    start_bench: Starter, plugin_package: Path, tmp_path: Path
) -> None:
    """Disabled, loaded again, reloaded, failed with its stage: one notice each, worded as the
    log line, with the prompt drawn again after it."""
    write_echo(plugin_package)
    bench = await start_bench(plugins="[plugins.echo]\n")
    out = io.StringIO()
    session = Session(bench.discord, tmp_path / "files", out)
    session.interactive = True
    logged: list[str] = []
    sink = logger.add(lambda m: logged.append(m.record["message"]), level="INFO")
    base = bench.config.read_text()
    try:
        with session.showing_lifecycle():
            disabled = base.replace("[plugins.echo]\n", "[plugins.echo]\nenabled = false\n")
            bench.config.write_text(disabled)
            await bench.app.reloader.apply_config()
            bench.config.write_text(base)
            await bench.app.reloader.apply_config()
            helpers = plugin_package / "echo/helpers.py"
            helpers.write_text(helpers.read_text().replace('"v1"', '"v2"'))
            await bench.app.reloader.reload(["echo"])
            helpers.write_text("def greeting(:\n")
            await bench.app.reloader.reload(["echo"])
    finally:
        logger.remove(sink)
    notices = re.findall(r"\n  \((.*)\)\nOwner> ", out.getvalue())
    expected = [
        "plugin echo unloaded (disabled in config.toml)",
        "plugin echo loaded in ",
        "plugin echo reloaded in ",
        "plugin echo not reloaded: import: plugin 'echo' failed to import: SyntaxError",
    ]
    assert len(notices) == len(expected), notices
    assert all(n.startswith(e) for n, e in zip(notices, expected, strict=True)), notices
    assert all(n in logged for n in notices)  # the log's own words
    assert "(the running version stays)" in notices[-1]
