"""How picks look in Discord: the bet slip embed and one-line summaries."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import disnake

from core.validation import escape_markdown
from plugins.betting.legs import LegSpec
from plugins.betting.maths import (
    OddsFormat,
    combined_odds,
    format_entered,
    format_odds,
    odds_fraction,
)
from plugins.betting.models import Leg, Pick

COLOURS = {
    "pending": disnake.Colour.blurple(),
    "won": disnake.Colour.green(),
    "lost": disnake.Colour.red(),
    "push": disnake.Colour.light_grey(),
    "void": disnake.Colour.dark_grey(),
    "cancelled": disnake.Colour.dark_grey(),
}


def leg_odds(leg: Leg) -> Fraction:
    return odds_fraction(OddsFormat(leg.odds_format), leg.odds_value)


def leg_line(leg: Leg | LegSpec) -> str:
    """``Chiefs @ Bills — Spread · Chiefs +3.5 (-110)``, markdown-escaped, with the odds as
    the member entered them."""
    line, shown = leg.line, leg.selection
    market = leg.market if isinstance(leg, Leg) else leg.market.value
    if line is not None:
        shown += f" +{line}" if market == "spread" and line > 0 else f" {line}"
    label = {"moneyline": "Moneyline", "spread": "Spread", "total": "Total", "prop": "Prop"}
    return (
        f"{escape_markdown(leg.matchup)} — {label[market]} · {escape_markdown(shown)} "
        f"({format_entered(leg.odds_format, leg.odds_value)})"
    )


def units(value: Decimal) -> str:
    return f"{value:+.2f}u" if value else "0.00u"


def slip_embed(pick: Pick, legs: Sequence[Leg], fmt: OddsFormat) -> disnake.Embed:
    """The bet slip posted in the picks channel (and shown by ``/bet show``)."""
    title = f"Pick #{pick.id} · {'Parlay' if pick.kind == 'parlay' else 'Straight'}"
    embed = disnake.Embed(title=title, colour=COLOURS.get(pick.status, disnake.Colour.blurple()))
    embed.description = "\n".join(
        f"{'' if pick.kind == 'straight' else f'{leg.position}. '}{leg_line(leg)}"
        + ("" if leg.result == "pending" or pick.kind == "straight" else f" — **{leg.result}**")
        for leg in legs
    )
    embed.add_field("Capper", f"<@{pick.user_id}>")
    embed.add_field("Risk", f"{pick.stake}u")
    embed.add_field("To win", f"{pick.to_win}u")
    if pick.kind == "parlay":
        embed.add_field("Odds", format_odds(combined_odds(leg_odds(leg) for leg in legs), fmt))
    status = pick.status.upper()
    if pick.result_units is not None and pick.status != "pending":
        status += f" ({units(pick.result_units)})"
    embed.add_field("Status", status)
    if pick.note:
        embed.add_field("Note", escape_markdown(pick.note), inline=False)
    embed.set_footer(text=f"Pick #{pick.id} · {pick.league}")
    embed.timestamp = pick.placed_at
    return embed


def summary(pick: Pick, first_leg: Leg | None, fmt: OddsFormat) -> str:
    """One line of ``/bet list``."""
    what = leg_line(first_leg) if first_leg and pick.kind == "straight" else "Parlay"
    if pick.kind == "parlay":
        what = f"Parlay ({format_odds(Fraction(pick.odds_decimal), fmt)})"
    result = (
        pick.status if pick.result_units is None else f"{pick.status} {units(pick.result_units)}"
    )
    return f"`#{pick.id}` <@{pick.user_id}> {what} · {pick.stake}u · {result}"
