"""Run the framework's bot (an :class:`~core.app.App` with chosen plugins) on the local Discord.

Example::

    async with LocalDiscord() as discord, run_app(discord, tmp_path, plugins=["betting"]) as app:
        reply = await (await discord.member("Alice").slash("stats")).wait_reply()

The pytest fixture ``dbsbm`` does the same with the ``@pytest.mark.dbsbm(...)`` arguments.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from core.app import App
from core.settings import Settings
from core.testing.client import DiscordEndpoint, bot_kwargs, connect_bot
from core.testing.server import LocalDiscord


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def test_settings(
    discord: LocalDiscord | DiscordEndpoint,
    data_dir: Path,
    *,
    plugins: Iterable[str] | None,
    available: Iterable[str],
    settings: dict[str, Any] | None = None,
    database_url: str | None = None,
) -> Settings:
    """Settings for a test bot: a fresh SQLite file in ``data_dir`` (or ``database_url``), the
    memory cache, the web server on a free port, the local Discord's owner as owner, and only
    ``plugins`` enabled (all local ones when ``None``). ``settings`` overrides any section; with
    ``plugins`` given, an ``enabled`` key in its plugin sections is refused (``ValueError``), as
    it would say the opposite of ``plugins`` or nothing at all."""
    wanted = set(plugins) if plugins is not None else None
    sections = (settings or {}).get("plugins") or {}
    if wanted is not None and (told := sorted(n for n, v in sections.items() if "enabled" in v)):
        raise ValueError(
            f"settings['plugins'] sets 'enabled' for {', '.join(told)}, but plugins=[...] alone "
            "decides which plugins load: name the plugin in plugins= and drop 'enabled'"
        )
    base: dict[str, Any] = {
        "data_dir": data_dir,
        "database": {
            "url": database_url or f"sqlite://{data_dir}/test.sqlite3",
            "connect_retries": 0,
        },
        "discord": {
            "owner_ids": [DiscordEndpoint.of(discord).owner_id],
            "guild_ready_timeout": 0.05,
        },
        "web": {"port": 0},
        "reload": {"watch": False},
        "plugins": {name: {"enabled": wanted is None or name in wanted} for name in available},
    }
    return Settings(**_merge(base, settings or {}))


@contextlib.asynccontextmanager
async def run_app(
    discord: LocalDiscord | DiscordEndpoint,
    data_dir: Path,
    *,
    plugins: Iterable[str] | None = None,
    settings: dict[str, Any] | None = None,
    database_url: str | None = None,
    local_plugins: Path | bool | None = True,
) -> AsyncIterator[App]:
    """Start an App with ``plugins`` on a fresh database and connect it to ``discord`` (a
    :class:`LocalDiscord`, or the :class:`DiscordEndpoint` of one in another process).

    Yields once the bot is ready and its commands are synced; closes everything on exit
    (plugins unloaded, connections closed). Plugins that failed to load are in
    ``app.plugins.records[name].error``.
    """
    probe = App(Settings(), local_plugins=local_plugins)
    available = probe.plugins.discover()
    app = App(
        test_settings(
            discord,
            data_dir,
            plugins=plugins,
            available=available,
            settings=settings,
            database_url=database_url,
        ),
        config_file=data_dir / "config.toml",
        local_plugins=local_plugins,
        bot_kwargs=bot_kwargs(discord),
    )
    try:
        await app.start()
        async with connect_bot(app.bot, discord):
            yield app
    finally:
        await app.close()
