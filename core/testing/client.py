"""Connect an unmodified disnake client to the local Discord.

bot = commands.InteractionBot(**bot_kwargs(discord))
async with connect_bot(bot, discord):
    ...

``discord`` is a :class:`LocalDiscord` or, for a bot in another process than the local Discord,
a :class:`DiscordEndpoint` (its address, token and owner, which ``DiscordEndpoint.of`` reads).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

import disnake
from disnake.http import Route

from core.compat.disnake import wait_for_command_sync
from core.testing.server import LocalDiscord
from core.testing.startup import started

#: How long ``connect_bot`` waits for ``on_ready``.
READY_TIMEOUT = 5.0

_ClientT = TypeVar("_ClientT", bound=disnake.Client)


@dataclass(frozen=True)
class DiscordEndpoint:
    """What a bot needs to reach a local Discord, possibly running in another process."""

    api_base: str
    """What ``disnake.http.Route.BASE`` must be set to."""
    token: str
    owner_id: int
    """The application's owner."""

    @classmethod
    def of(cls, discord: LocalDiscord | DiscordEndpoint) -> DiscordEndpoint:
        """The endpoint of a started local Discord (an endpoint is returned as it is)."""
        if isinstance(discord, DiscordEndpoint):
            return discord
        return cls(discord.api_base, discord.token, discord.owner.id)


def bot_kwargs(
    discord: LocalDiscord | DiscordEndpoint, *, with_owner: bool = True, **overrides: Any
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
        kwargs["owner_ids"] = {DiscordEndpoint.of(discord).owner_id}
    return {**kwargs, **overrides}


async def _identify_now(shard_id: int | None, *, initial: bool = False) -> None:
    """``before_identify_hook`` without disnake's 5 s wait before a re-IDENTIFY."""


@contextlib.asynccontextmanager
async def connect_bot(
    bot: _ClientT, discord: LocalDiscord | DiscordEndpoint, *, within: float = READY_TIMEOUT
) -> AsyncIterator[_ClientT]:
    """Start ``bot`` against ``discord``; yields once it is ready and its commands are synced.

    Points ``disnake.http.Route.BASE`` at the local Discord while the bot runs and restores it
    on exit, when the bot is closed.
    """
    endpoint = DiscordEndpoint.of(discord)
    if not _connected:
        _connected.append(Route.BASE)  # disnake's own address, put back when the last one ends
    _connected.append(endpoint.api_base)
    Route.BASE = endpoint.api_base
    bot.before_identify_hook = _identify_now  # type: ignore[method-assign]
    try:
        async with started(
            bot, endpoint.token, within=within, what=f"the bot on {endpoint.api_base}"
        ):
            await wait_for_command_sync(bot)
            yield bot
    finally:
        _connected.remove(endpoint.api_base)
        if len(_connected) == 1:
            Route.BASE = _connected.pop()


_connected: list[str] = []
"""disnake's address before the first of the bots connected now, then each one's local
Discord: bots connected at once and ended in any order leave disnake's address as it was."""
