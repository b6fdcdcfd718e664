"""``/stats``: a member's record, with a chart of their cumulative units."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from typing import Any

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import validation
from core.responder import PUBLIC
from plugins.betting import access, boards
from plugins.betting.commands.shared import GUILD_ONLY, PERIODS, league_choices
from plugins.betting.maths import OddsFormat
from plugins.betting.records import Period
from plugins.betting.service import Betting


def _units_chart(series: Sequence[tuple[str, str]], title: str) -> bytes:
    """The /stats chart, run in a worker thread: matplotlib is imported there on the first call
    (half a second, more on a busy machine), so the event loop never waits for it."""
    from plugins.betting.chart import cumulative_units_png

    return cumulative_units_png(series, title)


def build(betting: Betting) -> commands.InvokableSlashCommand:
    """``/stats``."""

    @commands.slash_command(contexts=GUILD_ONLY, extras=PUBLIC)
    async def stats(
        inter: ApplicationCommandInteraction,
        member: disnake.Member | None = None,
        period: str = commands.Param(default=Period.ALL.value, choices=PERIODS),
        league: str | None = None,
    ) -> None:
        """A member's record: W-L-P, win rate, units, ROI, odds, streak, best win and a chart.

        Parameters
        ----------
        member: Whose record (default: yours)
        period: today, week, month, year or all
        league: Only this league
        """
        guild_id = access.guild_id_of(inter)
        who = member or inter.author
        league_name = validation.league_name(league) if league else None
        record = await betting.record(guild_id, who.id, Period(period), league_name)
        config = await betting.config(guild_id)
        embed = boards.stats_embed(
            who.display_name, record, Period(period), league_name, OddsFormat(config.odds_format)
        )
        kwargs: dict[str, Any] = {}
        if record.series:
            title = f"{who.display_name}: cumulative units"
            png = await asyncio.to_thread(_units_chart, record.series, title)
            kwargs["file"] = disnake.File(io.BytesIO(png), filename="units.png")
            embed.set_image(url="attachment://units.png")
        await inter.send(embed=embed, **kwargs)

    stats.autocomplete("league")(league_choices(betting.settings))
    return stats
