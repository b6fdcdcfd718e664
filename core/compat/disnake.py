"""disnake internals DBSBM relies on (checked against the series in ``CHECKED``).

- ``InteractionBot._sync_application_commands``: the bulk overwrite of app commands that disnake
  runs at start-up; the reloader runs it again after a plugin's commands changed.
- ``InteractionBotBase._sync_queued``: the lock that start-up sync holds from login until it
  ends (disnake offers no event for it); :func:`wait_for_command_sync` waits on it.
- ``InvokableSlashCommand._call_relevant_autocompleter``: the pipeline runs autocompletes itself
  (to bound them by the interaction's deadline) through disnake's own dispatch to the option.
- ``Interaction._state``, ``._session`` and the cached-property slots ``_cs_response`` and
  ``_cs_followup``: the responder replaces an interaction's ``response`` and ``followup``.
- ``HTTPClient.request`` and ``HTTPClient.__session``: the aiohttp session disnake sends every
  REST request with (made anew by ``static_login``, and by ``ws_connect`` once closed); the
  shared Discord budget (:mod:`core.discord_budget`) adds its trace hooks to it.
- ``Client._call_before_identify_hook``: what disnake's gateway awaits before each IDENTIFY
  (it calls the public ``before_identify_hook``); the shared budget's IDENTIFY gate takes its
  place.
- ``params.call_param_func`` reads a command callback's signature twice on every invocation
  (``inspect.signature``, then ``eval`` of each string annotation); :func:`resolve_signatures`
  gives the callbacks a ``__signature__`` with the annotations evaluated once, which
  ``inspect.signature`` returns as it is (about 50 µs of CPU a command).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import disnake
from disnake.ext import commands
from disnake.http import HTTPClient
from disnake.interactions import ApplicationCommandInteraction, Interaction

PACKAGE = "disnake"
CHECKED = ("2.12",)


def resolve_signatures(command: commands.InvokableApplicationCommand) -> None:
    """Set the evaluated signature on ``command``'s callback and on those of its sub-commands
    (a callback whose annotations do not evaluate at module level keeps disnake's way)."""
    todo: list[Any] = [command]
    while todo:
        item = todo.pop()
        todo.extend(getattr(item, "children", {}).values())
        callback = item.callback
        try:
            callback.__signature__ = inspect.signature(callback, eval_str=True)
        except (NameError, SyntaxError, TypeError):
            continue


async def sync_application_commands(
    bot: commands.InteractionBot | commands.AutoShardedInteractionBot,
) -> None:
    """Send the bot's app commands to Discord now (what disnake does once at start-up)."""
    await bot._sync_application_commands()


async def wait_for_command_sync(bot: disnake.Client) -> None:
    """Return once disnake's start-up sync of ``bot``'s app commands is over (at once for a
    client without app commands)."""
    lock: asyncio.Lock | None = getattr(bot, "_sync_queued", None)
    if lock is not None:
        async with lock:
            pass


async def run_autocompleter(
    command: commands.InvokableSlashCommand, inter: ApplicationCommandInteraction
) -> None:
    """Answer an autocomplete interaction with the option's autocompleter."""
    await command._call_relevant_autocompleter(inter)


def interaction_session(inter: Interaction) -> aiohttp.ClientSession:
    """The HTTP session disnake sends the interaction's webhooks with."""
    return inter._session


def interaction_state(inter: Interaction) -> Any:
    """The connection state (``ConnectionState``) the interaction belongs to."""
    return inter._state


def replace_answer(inter: Interaction, response: Any, followup: Any) -> None:
    """Make ``response`` the interaction's ``response`` and ``followup`` its ``followup``."""
    inter._cs_response = response  # type: ignore[attr-defined]
    inter._cs_followup = followup  # type: ignore[attr-defined]


def trace_requests(http: HTTPClient, config: aiohttp.TraceConfig) -> None:
    """Add ``config`` to the session of every request ``http`` makes (disnake makes the session
    in ``static_login``, just before its first request, and anew after it was closed)."""
    request = http.request

    @functools.wraps(request)
    async def traced(*args: Any, **kwargs: Any) -> Any:
        session: aiohttp.ClientSession = http._HTTPClient__session  # type: ignore[attr-defined]
        if config not in session.trace_configs:
            session.trace_configs.append(config)
        return await request(*args, **kwargs)

    http.request = traced  # type: ignore[method-assign]


IdentifyGate = Callable[[int | None], Awaitable[bool]]
"""Waits until a shard may IDENTIFY; False when it could not tell (disnake's hook then runs)."""


class GatedIdentify:
    """A disnake client mixin (before the client class): when ``identify_gate`` is set, it runs
    before each IDENTIFY instead of ``before_identify_hook`` (disnake's 5 s wait before a
    re-IDENTIFY), which still runs when the gate returns False."""

    identify_gate: IdentifyGate | None = None

    async def _call_before_identify_hook(
        self, shard_id: int | None, *, initial: bool = False
    ) -> None:
        if self.identify_gate is None or not await self.identify_gate(shard_id):
            await super()._call_before_identify_hook(  # type: ignore[misc]
                shard_id, initial=initial
            )
