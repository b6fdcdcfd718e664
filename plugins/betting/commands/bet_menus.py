"""``/bet new`` (a pick step by step with menus) and ``/bet parlay`` (the parlay builder's
buttons): both start a :mod:`~plugins.betting.flow` that goes on in components."""

from __future__ import annotations

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from plugins.betting import access, flow, inputs
from plugins.betting.limits import Limits
from plugins.betting.maths import StakeMode
from plugins.betting.models import Draft
from plugins.betting.service import Betting
from plugins.betting.statuses import PickKind


def add(bet: commands.InvokableSlashCommand, betting: Betting) -> None:
    """Add ``/bet new`` and ``/bet parlay`` to the ``/bet`` group."""

    @bet.sub_command(name="new")
    async def new(inter: ApplicationCommandInteraction) -> None:
        """Build a pick step by step with menus."""
        config = await betting.config(access.guild_id_of(inter))
        await access.require_capper(betting.ctx, inter, config, "/bet new")
        content, components = await flow.start(betting, inter, 0)
        await inter.send(content, components=components, ephemeral=True)

    @bet.sub_command()
    async def parlay(
        inter: ApplicationCommandInteraction,
        units: str = commands.Param(max_length=12),
        note: str | None = commands.Param(default=None, max_length=inputs.NOTE_MAX_LENGTH),
    ) -> None:
        """Build a parlay of 2 to 12 legs with buttons.

        Parameters
        ----------
        units: Units to risk (or to win, if the server counts picks by what they win)
        note: An optional note shown on the slip
        """
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        await access.require_capper(betting.ctx, inter, config, "/bet parlay")
        amount = Limits.of(config).amount(units, StakeMode(config.stake_mode))
        note_text = inputs.text(note, "note", inputs.NOTE_MAX_LENGTH) if note else None
        draft = await Draft.create(
            guild_id=guild_id,
            user_id=inter.author.id,
            kind=PickKind.PARLAY.value,
            amount=amount,
            note=note_text,
            legs=[],
        )
        content, embed, buttons = flow.parlay_view(draft, config)
        await inter.send(content, embed=embed, components=buttons, ephemeral=True)
