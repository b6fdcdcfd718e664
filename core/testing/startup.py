"""Starting a Discord library's client against the local Discord and waiting until it is ready:
the part the disnake and discord.py connect helpers share (:func:`core.testing.client.connect_bot`,
:func:`core.testing.discordpy.connect_discordpy`), each of which first points its library at the
local Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol


class Client(Protocol):
    """What disnake's and discord.py's clients both offer."""

    async def start(self, token: str) -> None: ...

    async def wait_until_ready(self) -> None: ...

    async def close(self) -> None: ...


@contextlib.asynccontextmanager
async def started(client: Client, token: str, *, within: float, what: str) -> AsyncIterator[None]:
    """Run ``client.start(token)`` in a task named ``what``; yield once the client is ready.

    Raises the client's own error if it stops before, :class:`TimeoutError` if it is not ready
    within ``within`` seconds. On exit the client is closed and its task awaited.
    """
    task = asyncio.create_task(client.start(token), name=what)
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=within, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # the client's own error, if it stopped
            msg = f"{what} was not ready within {within}s"
            raise TimeoutError(msg)
        yield
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task
