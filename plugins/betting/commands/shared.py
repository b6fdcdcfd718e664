"""What several command modules share: where the commands work, the periods of records, the
``id`` of a pick, the ``league`` autocomplete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import disnake
from disnake.interactions import ApplicationCommandInteraction

from plugins.betting import games
from plugins.betting.records import Period
from plugins.betting.settings import BettingSettings

GUILD_ONLY = disnake.InteractionContextTypes(guild=True)
PERIODS = [p.value for p in Period]
PICK_ID = "The pick's number (#id on its slip)"
"""The description of the ``id`` option of the ``/bet`` commands about one pick."""

LeagueChoices = Callable[[ApplicationCommandInteraction, str], Awaitable[list[str]]]


def league_choices(settings: BettingSettings) -> LeagueChoices:
    """The ``league`` autocomplete: leagues with games in this server and those the bot
    follows on API-Sports, matching what the member typed."""

    async def choices(inter: ApplicationCommandInteraction, typed: str) -> list[str]:
        if inter.guild_id is None:
            return []
        known = await games.leagues(inter.guild_id, typed)
        followed = [f.name for f in settings.api_sports.follow if typed.lower() in f.name.lower()]
        return sorted(set(known) | set(followed))[:25]

    return choices
