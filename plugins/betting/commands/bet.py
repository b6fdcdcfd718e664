"""The ``/bet`` group; its sub-commands live in the ``bet_*`` modules beside this one."""

from __future__ import annotations

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from plugins.betting.commands import bet_grade, bet_menus, bet_picks, bet_straight
from plugins.betting.commands.shared import GUILD_ONLY
from plugins.betting.service import Betting


def build(betting: Betting) -> commands.InvokableSlashCommand:
    """``/bet straight|new|parlay|cancel|show|list|grade``."""

    @commands.slash_command(name="bet", contexts=GUILD_ONLY)
    async def bet(inter: ApplicationCommandInteraction) -> None:
        """Post picks and parlays, grade them, and look them up."""

    for module in (bet_straight, bet_menus, bet_picks, bet_grade):
        module.add(bet, betting)
    return bet
