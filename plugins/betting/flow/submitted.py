"""A submitted modal: a straight pick's draft to confirm, or one more leg of a parlay draft."""

from __future__ import annotations

import disnake
from disnake.interactions import ModalInteraction

from core import discord_limits
from core.validation import ValidationError
from plugins.betting import access, inputs
from plugins.betting.flow.drafts import confirm_buttons, own_draft, parlay_view
from plugins.betting.legs import LegSpec
from plugins.betting.limits import Limits
from plugins.betting.markets import Market, Side, side_names
from plugins.betting.maths import StakeMode, combined_odds
from plugins.betting.models import Draft, Game, GuildConfig
from plugins.betting.picks import MAX_PARLAY_LEGS, check_leg_count
from plugins.betting.service import Betting
from plugins.betting.slips import leg_line
from plugins.betting.statuses import PickKind


async def submitted(
    betting: Betting,
    inter: ModalInteraction,
    draft: int,
    game: Game,
    market: Market,
    side_text: str,
    config: GuildConfig,
) -> None:
    """Read the modal of :func:`~plugins.betting.flow.modal.send_modal`: add the leg to parlay
    draft ``draft`` (within the limits), or (``draft`` 0) draft the pick and ask to confirm it."""
    values = inter.text_values
    fmt, odds = inputs.odds(values.get("odds", ""), config.odds_format)
    line = inputs.line(values.get("line"), market)
    if market is Market.PROP:
        side, selection = inputs.selection(
            values.get("selection", ""), market, game.home, game.away
        )
    else:
        side = Side(side_text)
        selection = side_names(game.home, game.away)[side]
    leg = LegSpec(game.id, game.league, game.matchup, market, side, selection, line, fmt, odds)
    limits, mode = Limits.of(config), StakeMode(config.stake_mode)
    if draft:
        parlay = await own_draft(draft, inter)
        legs = [LegSpec.from_json(d) for d in parlay.legs]
        if any(existing.game_id == leg.game_id for existing in legs):
            raise ValidationError("legs", "a parlay may have only one leg per game", game.matchup)
        if len(legs) + 1 > MAX_PARLAY_LEGS:
            check_leg_count(PickKind.PARLAY, len(legs) + 1)
        odds_with_leg = combined_odds(x.odds for x in [*legs, leg])
        breach = limits.breach(mode, parlay.amount, odds_with_leg, building=True)
        if breach is not None:
            kept = f"{len(legs)} leg{'' if len(legs) == 1 else 's'}"
            rule = f"{breach.rule}; this leg was not added (the parlay keeps its {kept})"
            raise ValidationError(breach.field, rule)
        parlay.legs = [*parlay.legs, leg.to_json()]
        await parlay.save(update_fields=["legs"])
        content, embed, components = parlay_view(parlay, config)
        await inter.send(content, embed=embed, components=components, ephemeral=True)
        return
    amount = limits.amount(values.get("units", ""), mode)
    stake, to_win = limits.terms(mode, amount, leg.odds)
    note_text = values.get("note") or ""
    note = inputs.text(note_text, "note", inputs.NOTE_MAX_LENGTH) if note_text.strip() else None
    await access.require_capper(betting.ctx, inter, config, "/bet new")
    created = await Draft.create(
        guild_id=inter.guild_id,
        user_id=inter.author.id,
        kind=PickKind.STRAIGHT.value,
        amount=amount,
        note=note,
        legs=[leg.to_json()],
    )
    embed = disnake.Embed(title="Confirm your pick", description=leg_line(leg))
    embed.add_field("Risk", f"{stake}u").add_field("To win", f"{to_win}u")
    await inter.send(
        embed=discord_limits.fit(embed),
        components=confirm_buttons(created.id, "Place pick"),
        ephemeral=True,
    )
