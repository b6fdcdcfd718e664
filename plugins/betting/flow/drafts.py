"""A member's open draft, its confirm buttons and the parlay builder's view."""

from __future__ import annotations

import disnake
from disnake.interactions import Interaction

from core import discord_limits
from core.recovery import UserError
from plugins.betting.flow.custom_ids import DRAFT, PARLAY
from plugins.betting.legs import LegSpec
from plugins.betting.limits import Limits
from plugins.betting.maths import OddsFormat, StakeMode, combined_odds, format_odds, stake_and_win
from plugins.betting.models import Draft, GuildConfig
from plugins.betting.picks import MAX_PARLAY_LEGS
from plugins.betting.slips import leg_line
from plugins.betting.statuses import DraftStatus


async def own_draft(draft_id: int, inter: Interaction) -> Draft:
    """The open draft ``draft_id`` of the member who clicked; anyone else's, or one placed or
    cancelled, is refused."""
    draft = await Draft.filter(
        id=draft_id, user_id=inter.author.id, guild_id=inter.guild_id
    ).first()
    if draft is None:
        raise UserError("This draft is not yours, or it does not exist.")
    if draft.status != DraftStatus.OPEN:
        raise UserError(f"This draft was already {draft.status}.")
    return draft


def confirm_buttons(draft_id: int, label: str) -> list[disnake.ui.Button]:
    """``label`` (placing the draft) and ``Cancel``."""
    return [
        disnake.ui.Button(
            label=label, style=disnake.ButtonStyle.success, custom_id=f"{DRAFT}:place:{draft_id}"
        ),
        disnake.ui.Button(
            label="Cancel",
            style=disnake.ButtonStyle.secondary,
            custom_id=f"{DRAFT}:cancel:{draft_id}",
        ),
    ]


def parlay_view(
    draft: Draft, config: GuildConfig
) -> tuple[str, disnake.Embed, list[disnake.ui.Button]]:
    """The builder: legs so far, combined odds and what the parlay would pay, or which limit
    keeps it from being placed (legs beyond the limits are refused as they are added)."""
    legs = [LegSpec.from_json(d) for d in draft.legs]
    embed = disnake.Embed(title=f"Parlay builder ({len(legs)} of {MAX_PARLAY_LEGS} legs)")
    width = discord_limits.share(discord_limits.DESCRIPTION, len(legs))
    embed.description = (
        "\n".join(f"{i}. {leg_line(leg, width - len(f'{i}. '))}" for i, leg in enumerate(legs, 1))
        or "No legs yet."
    )
    if legs:
        odds = combined_odds(leg.odds for leg in legs)
        limits, mode = Limits.of(config), StakeMode(config.stake_mode)
        breach = limits.breach(mode, draft.amount, odds)
        if breach is not None and breach.field == "odds":  # lowered since, or an older draft
            embed.add_field("Cannot be placed", breach.user_message, inline=False)
        else:
            stake, to_win = stake_and_win(mode, draft.amount, odds)
            embed.add_field("Odds", format_odds(odds, OddsFormat(config.odds_format)))
            embed.add_field("Risk", f"{stake}u")
            embed.add_field("Potential payout", f"{stake + to_win}u (wins {to_win}u)")
            if breach is not None:
                embed.add_field("Cannot be placed yet", breach.user_message, inline=False)
    buttons = [
        disnake.ui.Button(
            label="Add leg", style=disnake.ButtonStyle.primary, custom_id=f"{PARLAY}:add:{draft.id}"
        ),
        *confirm_buttons(draft.id, "Place parlay"),
    ]
    return "Add 2 to 12 legs, then place the parlay.", discord_limits.fit(embed), buttons
