"""Connect an unmodified disnake client to the local Discord.

bot = commands.InteractionBot(**bot_kwargs(discord))
async with connect_bot(bot, discord):
    ...
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import disnake
from disnake.http import Route

from core.testing.server import LocalDiscord

#: How long ``connect_bot`` waits for ``on_ready``.
READY_TIMEOUT = 5.0

_ClientT = TypeVar("_ClientT", bound=disnake.Client)


def bot_kwargs(
    discord: LocalDiscord, *, with_owner: bool = True, **overrides: Any
) -> dict[str, Any]:
    """The constructor arguments a bot needs for the local Discord; ``overrides`` win.

    Compression off and a short ``guild_ready_timeout``. ``with_owner`` adds the application's
    owner as ``owner_ids`` (so disnake does not ask ``/oauth2/applications/@me``); leave it out
    for a plain ``disnake.Client``, which takes no owners.
    """
    kwargs: dict[str, Any] = {
        "gateway_params": disnake.GatewayParams(zlib=False),
        "guild_ready_timeout": 0.05,
    }
    if with_owner:
        kwargs["owner_ids"] = {discord.owner.id}
    return {**kwargs, **overrides}


async def _identify_now(shard_id: int | None, *, initial: bool = False) -> None:
    """``before_identify_hook`` without disnake's 5 s wait before a re-IDENTIFY."""


@contextlib.asynccontextmanager
async def connect_bot(
    bot: _ClientT, discord: LocalDiscord, *, within: float = READY_TIMEOUT
) -> AsyncIterator[_ClientT]:
    """Start ``bot`` against ``discord``; yields once it is ready and its commands are synced.

    Points ``disnake.http.Route.BASE`` at the local Discord while the bot runs and restores it
    on exit, when the bot is closed.
    """
    previous_base = Route.BASE
    Route.BASE = discord.api_base
    bot.before_identify_hook = _identify_now  # type: ignore[method-assign]
    task = asyncio.create_task(bot.start(discord.token), name=f"bot on {discord.url}")
    try:
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=within, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # the bot's own error, if it stopped
            msg = f"The bot was not ready within {within}s"
            raise TimeoutError(msg)
        await _wait_for_command_sync(bot)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        Route.BASE = previous_base


async def _wait_for_command_sync(bot: disnake.Client) -> None:
    """Wait until disnake's startup command sync is over.

    disnake runs it in a task that holds the (private) ``_sync_queued`` lock from login until the
    sync ends, and offers no public event for it.
    """
    lock: asyncio.Lock | None = getattr(bot, "_sync_queued", None)
    if lock is not None:
        async with lock:
            pass
