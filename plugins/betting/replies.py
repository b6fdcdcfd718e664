"""Answering interactions whether or not the pipeline already deferred them.

The pipeline defers an interaction that is not answered within about two seconds (Discord
drops it after three); a handler that then calls ``inter.response.*`` would fail. Commands use
``inter.send`` (response or followup); components use :func:`update`.
"""

from __future__ import annotations

from typing import Any

from disnake.interactions import MessageInteraction, ModalInteraction


async def update(inter: MessageInteraction | ModalInteraction, **kwargs: Any) -> None:
    """Edit the message the component sits on (as the response, or after a deferral)."""
    if inter.response.is_done():
        await inter.edit_original_message(**kwargs)
    else:
        await inter.response.edit_message(**kwargs)
