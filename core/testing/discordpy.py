"""Connect an unmodified discord.py client to the local Discord.

    client = discord.Client(intents=discord.Intents.default())
    async with connect_discordpy(client, local_discord):
        ...

discord.py has no option for Discord's address, so two of its class attributes are pointed at
the local Discord while the client runs, and nothing else of it is changed:

- ``discord.http.Route.BASE``, the REST API's base URL;
- ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``, the gateway's URL. A plain
  ``discord.Client`` does not ask ``GET /gateway/bot`` for it (only ``AutoShardedClient`` does,
  and after an op 9 INVALID SESSION every client goes back to this default), so the local
  Discord's ``GET /gateway/bot`` answer alone would not reach it.

After READY, discord.py resumes at the ``resume_gateway_url`` the local Discord sends, as it does
with Discord. discord.py is a development dependency: import this module only where it is installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from core.testing.server import LocalDiscord
from core.testing.startup import started

#: How long ``connect_discordpy`` waits for the client to be ready.
READY_TIMEOUT = 5.0

_ClientT = TypeVar("_ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def connect_discordpy(
    client: _ClientT, local: LocalDiscord, *, within: float = READY_TIMEOUT
) -> AsyncIterator[_ClientT]:
    """Start ``client`` against ``local``; yields once it is ready (READY and every
    GUILD_CREATE received, ``setup_hook`` done). Closes the client and restores discord.py's
    addresses on exit."""
    previous = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = local.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(local.gateway_url)
    try:
        async with started(
            client, local.token, within=within, what=f"the discord.py client on {local.api_base}"
        ):
            yield client
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous
