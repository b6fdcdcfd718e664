"""The guided flow's selects: league, game, market and side, each step a fresh select whose
custom id carries what was chosen before (see :mod:`plugins.betting.flow`)."""

from __future__ import annotations

from collections.abc import Sequence

import disnake
from disnake.interactions import Interaction, MessageInteraction, ModalInteraction
from disnake.ui.select.string import StringSelect

from core import discord_limits
from core.recovery import UserError
from core.validation import ValidationError
from plugins.betting import access, games, replies
from plugins.betting.flow.custom_ids import FLOW
from plugins.betting.flow.drafts import own_draft
from plugins.betting.flow.modal import send_modal
from plugins.betting.flow.submitted import submitted
from plugins.betting.markets import Market, Side, side_names, sides_for
from plugins.betting.models import Game
from plugins.betting.service import Betting, utcnow


def game_label(game: Game) -> str:
    """``Bills @ Chiefs · Sun 07 Sep 17:00 UTC`` (the start left out when unknown)."""
    when = f" · {game.starts_at:%a %d %b %H:%M} UTC" if game.starts_at else ""
    return f"{game.matchup}{when}"


def league_select(draft: int, leagues: Sequence[str]) -> StringSelect:
    options = [disnake.SelectOption(label=name, value=name) for name in leagues]
    return discord_limits.select(f"{FLOW}:{draft}:league", options, "League")


async def start(betting: Betting, inter: Interaction, draft: int) -> tuple[str, list]:
    """The first step: the leagues with upcoming games."""
    guild_id = access.guild_id_of(inter)
    now = utcnow()
    leagues = [
        name
        for name in await games.leagues(guild_id)
        if await games.upcoming(guild_id, name, now, 1)
    ]
    if not leagues:
        raise UserError(
            "No league has upcoming games here. Use /bet straight with a manual matchup, "
            "or ask a grader to add a game with /game add."
        )
    return "Step 1 of 5: choose a league.", [league_select(draft, leagues)]


async def on_flow(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """One step of the guided flow (see :mod:`plugins.betting.flow` for the custom ids)."""
    guild_id = access.guild_id_of(inter)
    draft_text, step, *args = rest.split(":")
    draft = int(draft_text)
    selected = getattr(inter.data, "values", None)  # a modal's data is a dict: .values()
    values = list(selected) if isinstance(selected, list) else []
    now = utcnow()
    if draft:
        await own_draft(draft, inter)
    if step == "league":
        league = values[0]
        upcoming = await games.upcoming(guild_id, league, now)
        if not upcoming:
            raise UserError(f"{league} has no upcoming games any more.")
        menu = discord_limits.select(
            f"{FLOW}:{draft}:game",
            [disnake.SelectOption(label=game_label(g), value=str(g.id)) for g in upcoming],
            "Game",
        )
        await replies.update(
            inter, content=f"Step 2 of 5: {league} — choose a game.", components=[menu]
        )
        return
    game = await _open_game(guild_id, int(values[0] if step == "game" else args[0]))
    if step == "game":
        menu = discord_limits.select(
            f"{FLOW}:{draft}:market:{game.id}",
            [disnake.SelectOption(label=m.label, value=m.value) for m in Market],
            "Market",
        )
        await replies.update(
            inter, content=f"Step 3 of 5: {game.matchup} — choose a market.", components=[menu]
        )
        return
    config = await betting.config(guild_id)
    if step == "market":
        market = Market(values[0])
        if market is Market.PROP:
            await send_modal(inter, draft, game, market, None, config)
            return
        names = side_names(game.home, game.away)
        menu = discord_limits.select(
            f"{FLOW}:{draft}:side:{game.id}:{market.value}",
            [disnake.SelectOption(label=names[s], value=s.value) for s in sides_for(market)],
            "Selection",
        )
        await replies.update(
            inter,
            content=f"Step 4 of 5: {game.matchup} · {market.label} — choose a side.",
            components=[menu],
        )
        return
    if step == "side":
        await send_modal(inter, draft, game, Market(args[1]), Side(values[0]), config)
        return
    if step != "modal" or not isinstance(inter, ModalInteraction):
        raise UserError("This menu is out of date: start again with /bet new.")
    await submitted(betting, inter, draft, game, Market(args[1]), args[2], config)


async def _open_game(guild_id: int, game_id: int) -> Game:
    game = await games.find(guild_id, game_id)
    if game is None:
        raise ValidationError("game", "unknown game: start again with /bet new", game_id)
    games.require_open(game, utcnow())
    return game
