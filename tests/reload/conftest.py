"""A DBSBM App with throwaway local plugins, connected to the local Discord.

Each test gets a package ``reloadtest_<random>`` in a temp folder (its parent on ``sys.path``),
so plugin modules of different tests never share ``sys.modules`` entries.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import textwrap
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from core.app import App
from core.hookspecs import hookimpl
from core.settings import load_settings
from core.testing import LocalDiscord, bot_kwargs, connect_bot

#: A plugin with a helper module: ``/echo`` answers ``helpers.greeting()``; setup adds the
#: command, starts a background task and a listener (so leaks of either show up).
ECHO_INIT = """
from disnake.ext import commands

from core.plugin import Plugin

from . import helpers


def build_commands(ctx):
    @commands.slash_command(name="echo", description="Answer with the greeting")
    async def echo(inter):
        await inter.response.send_message(helpers.greeting())

    return [echo]


async def setup(ctx):
    for command in build_commands(ctx):
        ctx.add_command(command)
    helpers.check_setup()
    ctx.create_task(helpers.tick(), name="ticker")
    ctx.add_listener("message", helpers.on_message)


plugin = Plugin(name="echo", version="1.0.0", setup=setup)
"""

ECHO_HELPERS = """
import asyncio


def greeting():
    return "v1"


def check_setup():
    pass


async def tick():
    while True:
        await asyncio.sleep(3600)


async def on_message(message):
    pass
"""


@dataclass
class Bench:
    """The running App, its local Discord, and helpers to edit plugin files."""

    app: App
    discord: LocalDiscord
    package: Path
    config: Path
    reloaded: list[tuple[str, bool, str | None]] = field(default_factory=list)
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    _unloaded: dict[str, asyncio.Future[None]] = field(default_factory=dict)

    def write(self, relative: str, text: str) -> Path:
        """Write a file under the plugins package (``echo/helpers.py``)."""
        path = self.package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def on_unloaded(self, name: str) -> None:
        future = self._unloaded.pop(name, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def wait_unloaded(self, name: str, within: float = 5.0) -> None:
        """Wait until ``name`` is unloaded (the ``dbsbm_plugin_unloaded`` hook)."""
        future = self._unloaded[name] = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(future, within)

    def on_reloaded(self, name: str, ok: bool, error: str | None) -> None:
        self.reloaded.append((name, ok, error))
        for count, future in list(self._waiters):
            if len(self.reloaded) >= count and not future.done():
                future.set_result(None)

    async def wait_reloads(self, count: int, within: float = 5.0) -> None:
        """Wait until ``count`` reloads have been reported in total (hook events, no polling)."""
        if len(self.reloaded) >= count:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((count, future))
        await asyncio.wait_for(future, within)

    async def ask(self, command: str = "echo", **options: Any) -> str:
        """Alice runs ``/command``; return the reply's text."""
        response = await self.discord.member("Alice").slash(command, **options)
        reply = await response.wait_reply()
        assert reply.message is not None
        return reply.message.content


class _ReloadListener:
    def __init__(self, bench: Callable[[], Bench]):
        self._bench = bench

    @hookimpl
    def dbsbm_plugin_unloaded(self, name: str) -> None:
        self._bench().on_unloaded(name)

    @hookimpl
    def dbsbm_plugin_reloaded(self, name: str, ok: bool, error: str | None) -> None:
        self._bench().on_reloaded(name, ok, error)


@pytest.fixture
def plugin_package(tmp_path: Path) -> Iterator[Path]:
    """An empty plugins package with a unique name, importable for the test's duration."""
    root = tmp_path / "src"
    package = root / f"reloadtest_{secrets.token_hex(4)}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    sys.path.insert(0, str(root))
    yield package
    sys.path.remove(str(root))
    for key in [k for k in sys.modules if k == package.name or k.startswith(f"{package.name}.")]:
        del sys.modules[key]


def write_echo(package: Path) -> None:
    (package / "echo").mkdir()
    (package / "echo" / "__init__.py").write_text(ECHO_INIT.lstrip())
    (package / "echo" / "helpers.py").write_text(ECHO_HELPERS.lstrip())


def write_config(path: Path, data_dir: Path, *, watch: bool, plugins: str = "") -> None:
    path.write_text(
        textwrap.dedent(
            f"""
            data_dir = "{data_dir}"
            [database]
            url = "sqlite://{data_dir}/test.sqlite3"
            [ratelimit]
            default = "10000/1s"
            [web]
            enabled = false
            [reload]
            watch = {"true" if watch else "false"}
            debounce_ms = 30
            """
        )
        + textwrap.dedent(plugins)
    )


Starter = Callable[..., Any]


@pytest_asyncio.fixture
async def start_bench(
    plugin_package: Path, tmp_path: Path, local_discord: LocalDiscord
) -> AsyncIterator[Starter]:
    """``await start_bench(watch=False, plugins="[plugins.echo]...")``: start App and bot."""
    async with AsyncExitStack() as stack:

        async def start(*, watch: bool = False, plugins: str = "") -> Bench:
            config = tmp_path / "config.toml"
            write_config(config, tmp_path / "data", watch=watch, plugins=plugins)
            settings = load_settings(config)
            app = App(
                settings,
                config_file=config,
                local_plugins=plugin_package,
                bot_kwargs=bot_kwargs(local_discord),
            )
            bench = Bench(app, local_discord, plugin_package, config)
            app.pm.register(_ReloadListener(lambda: bench), name="test.reload-listener")
            stack.push_async_callback(app.close)
            await app.start()
            await stack.enter_async_context(connect_bot(app.bot, local_discord))
            return bench

        yield start
