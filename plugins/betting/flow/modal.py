"""The modal that ends the guided flow: odds (with the line, or a prop's text) and, for a
straight pick, the units and a note."""

from __future__ import annotations

import disnake
from disnake.interactions import MessageInteraction, ModalInteraction

from core import discord_limits
from plugins.betting import inputs
from plugins.betting.flow.custom_ids import FLOW, NO_SIDE
from plugins.betting.markets import Market, Side
from plugins.betting.maths import OddsFormat, StakeMode
from plugins.betting.models import Game, GuildConfig

NUMBER_MAX_LENGTH = 12
"""The longest line, odds or units a form takes (as in ``/bet straight``)."""


def modal_fields(market: Market, straight: bool, config: GuildConfig) -> list[disnake.ui.TextInput]:
    """The modal's fields for ``market``: a parlay leg (``straight`` false) asks no units or
    note, those are the parlay's."""
    fields: list[disnake.ui.TextInput] = []
    if market is Market.PROP:
        fields.append(
            disnake.ui.TextInput(
                label="Prop",
                custom_id="selection",
                placeholder="Mahomes over passing yards",
                max_length=inputs.SELECTION_MAX_LENGTH,
            )
        )
    if market.needs_line:
        fields.append(_number("Line", "line", "-3.5"))
    example = "-110 or 1.91" if config.odds_format == OddsFormat.DECIMAL else "-110 or +150"
    fields.append(_number("Odds", "odds", example))
    if straight:
        what = "to win" if config.stake_mode == StakeMode.WIN else "to risk"
        fields.append(_number(f"Units {what}", "units", units_hint(config)))
        fields.append(
            disnake.ui.TextInput(
                label="Note",
                custom_id="note",
                required=False,
                style=disnake.TextInputStyle.paragraph,
                max_length=inputs.NOTE_MAX_LENGTH,
            )
        )
    return fields


def _number(label: str, custom_id: str, placeholder: str) -> disnake.ui.TextInput:
    return disnake.ui.TextInput(
        label=label, custom_id=custom_id, placeholder=placeholder, max_length=NUMBER_MAX_LENGTH
    )


def units_hint(config: GuildConfig) -> str:
    """What the units field takes: the stake bounds, or (stake mode ``win``) the payout limit."""
    if config.stake_mode == StakeMode.WIN:
        return f"at most {config.max_payout}; the stake {config.min_units} to {config.max_units}"
    return f"{config.min_units} to {config.max_units}"


async def send_modal(
    inter: MessageInteraction | ModalInteraction,
    draft: int,
    game: Game,
    market: Market,
    side: Side | None,
    config: GuildConfig,
) -> None:
    """Open the modal for a pick on ``game`` (``draft`` 0) or a leg of parlay draft ``draft``."""
    custom_id = f"{FLOW}:{draft}:modal:{game.id}:{market.value}:{side.value if side else NO_SIDE}"
    await inter.response.send_modal(
        title=discord_limits.clip(f"{market.label} · {game.matchup}", discord_limits.MODAL_TITLE),
        custom_id=custom_id,
        components=modal_fields(market, draft == 0, config),
    )
