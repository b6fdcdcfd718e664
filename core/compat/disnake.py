"""disnake internals DBSBM relies on (checked against the series in ``CHECKED``).

- ``InteractionBot._sync_application_commands``: the bulk overwrite of app commands that disnake
  runs at start-up; the reloader runs it again after a plugin's commands changed.
- ``InvokableSlashCommand._call_relevant_autocompleter``: the pipeline runs autocompletes itself
  (to bound them by the interaction's deadline) through disnake's own dispatch to the option.
- ``Interaction._state``, ``._session`` and the cached-property slots ``_cs_response`` and
  ``_cs_followup``: the responder replaces an interaction's ``response`` and ``followup``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction, Interaction

PACKAGE = "disnake"
CHECKED = ("2.12",)


async def sync_application_commands(
    bot: commands.InteractionBot | commands.AutoShardedInteractionBot,
) -> None:
    """Send the bot's app commands to Discord now (what disnake does once at start-up)."""
    await bot._sync_application_commands()


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
