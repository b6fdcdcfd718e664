"""How picks look in Discord: the bet slip embed and one-line summaries."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import disnake

from core import discord_limits
from core.validation import escape_markdown
from plugins.betting.legs import LegSpec
from plugins.betting.markets import Market
from plugins.betting.maths import (
    OddsFormat,
    Result,
    combined_odds,
    format_entered,
    format_odds,
    odds_fraction,
)
from plugins.betting.models import Leg, Pick
from plugins.betting.statuses import PickKind

COLOURS: dict[str, disnake.Colour] = {
    Result.PENDING: disnake.Colour.blurple(),
    Result.WON: disnake.Colour.green(),
    Result.LOST: disnake.Colour.red(),
    Result.PUSH: disnake.Colour.light_grey(),
    Result.VOID: disnake.Colour.dark_grey(),
    Result.CANCELLED: disnake.Colour.dark_grey(),
}


def leg_odds(leg: Leg) -> Fraction:
    return odds_fraction(OddsFormat(leg.odds_format), leg.odds_value)


def leg_line(leg: Leg | LegSpec, width: int | None = None) -> str:
    """``Chiefs @ Bills — Spread · Chiefs +3.5 (-110)``, markdown-escaped, with the odds as
    the member entered them. Given a ``width``, the selection and then the matchup are clipped
    (visibly, after escaping) so that the line takes at most that many characters."""
    line, shown = leg.line, leg.selection
    market = Market(leg.market) if isinstance(leg, Leg) else leg.market
    if line is not None:
        shown += f" +{line}" if market is Market.SPREAD and line > 0 else f" {line}"
    middle = f" — {'Prop' if market is Market.PROP else market.label} · "  # kept short on a slip
    odds = f" ({format_entered(leg.odds_format, leg.odds_value)})"
    matchup, shown = escape_markdown(leg.matchup), escape_markdown(shown)
    room = None if width is None else max(width - len(middle) - len(odds), 2)
    if room is not None and len(matchup) + len(shown) > room:
        shown = discord_limits.clip(shown, max(room - len(matchup), room // 2))
        matchup = discord_limits.clip(matchup, max(room - len(shown), 1))
    return f"{matchup}{middle}{shown}{odds}"


def units(value: Decimal) -> str:
    return f"{value:+.2f}u" if value else "0.00u"


def slip_embed(pick: Pick, legs: Sequence[Leg], fmt: OddsFormat) -> disnake.Embed:
    """The bet slip posted in the picks channel (and shown by ``/bet show``)."""
    title = f"Pick #{pick.id} · {PickKind(pick.kind).value.capitalize()}"
    embed = disnake.Embed(title=title, colour=COLOURS.get(pick.status, disnake.Colour.blurple()))
    straight = pick.kind == PickKind.STRAIGHT
    width = discord_limits.share(
        discord_limits.DESCRIPTION, len(legs)
    )  # every leg shows, clipped to its share
    lines = []
    for leg in legs:
        number = "" if straight else f"{leg.position}. "
        result = "" if leg.result == Result.PENDING or straight else f" — **{leg.result}**"
        lines.append(f"{number}{leg_line(leg, width - len(number) - len(result))}{result}")
    embed.description = "\n".join(lines)
    embed.add_field("Capper", f"<@{pick.user_id}>")
    embed.add_field("Risk", f"{pick.stake}u")
    embed.add_field("To win", f"{pick.to_win}u")
    if pick.kind == PickKind.PARLAY:
        embed.add_field("Odds", format_odds(combined_odds(leg_odds(leg) for leg in legs), fmt))
    status = pick.status.upper()
    if pick.result_units is not None and pick.status != Result.PENDING:
        status += f" ({units(pick.result_units)})"
    embed.add_field("Status", status)
    if pick.note:
        embed.add_field("Note", escape_markdown(pick.note), inline=False)
    embed.set_footer(text=f"Pick #{pick.id} · {pick.league}")
    embed.timestamp = pick.placed_at
    return discord_limits.fit(embed)


def summary(pick: Pick, first_leg: Leg | None, fmt: OddsFormat, width: int | None = None) -> str:
    """One line of ``/bet list``, at most ``width`` characters when given (the leg is clipped)."""
    result = (
        pick.status if pick.result_units is None else f"{pick.status} {units(pick.result_units)}"
    )
    head, tail = f"`#{pick.id}` <@{pick.user_id}> ", f" · {pick.stake}u · {result}"
    room = None if width is None else width - len(head) - len(tail)
    what = leg_line(first_leg, room) if first_leg and pick.kind == PickKind.STRAIGHT else "Parlay"
    if pick.kind == PickKind.PARLAY:
        what = f"Parlay ({format_odds(Fraction(pick.odds_decimal), fmt)})"
    return f"{head}{what}{tail}"
