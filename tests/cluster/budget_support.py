"""The shared-limits tests' bot processes: :func:`processes` runs several processes of one bot
in the test's process (each an App with its own disnake client, cache and Discord budget)
against one local Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from core.app import App
from core.testing import LocalDiscord
from core.testing.client import bot_kwargs, connect_bot
from core.testing.harness import test_settings


@contextlib.asynccontextmanager
async def processes(
    discord: LocalDiscord,
    tmp_path: Path,
    count: int,
    settings: Callable[[int], dict[str, Any]],
) -> AsyncIterator[list[App]]:
    """``count`` processes of one bot, process ``i`` with ``settings(i)``, connected at the same
    time; yields once every one is ready.

    One Python process holds one database context, so each App here is made (its disnake bot,
    cache and Discord budget as a bot process has them) but not started: only its bot connects,
    which is all the Discord limits concern."""
    apps = [
        App(
            test_settings(discord, tmp_path, plugins=[], available=[], settings=settings(i)),
            local_plugins=False,
            bot_kwargs=bot_kwargs(discord),
        )
        for i in range(count)
    ]
    try:
        async with contextlib.AsyncExitStack() as stack:
            await asyncio.gather(
                *(stack.enter_async_context(connect_bot(app.bot, discord)) for app in apps)
            )
            yield apps
    finally:
        for app in apps:
            await app.close()
