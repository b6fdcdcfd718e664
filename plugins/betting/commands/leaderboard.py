"""``/leaderboard``: the top cappers, with its paging buttons."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction, MessageInteraction, ModalInteraction

from core import validation
from core.recovery import UserError
from core.responder import PUBLIC
from plugins.betting import access, boards, replies
from plugins.betting.commands.shared import GUILD_ONLY, PERIODS, league_choices
from plugins.betting.records import Metric, Period
from plugins.betting.service import Betting

METRICS = {"Units": Metric.UNITS.value, "ROI": Metric.ROI.value, "Win rate": Metric.WIN_RATE.value}


def build(betting: Betting) -> commands.InvokableSlashCommand:
    """``/leaderboard``."""

    @commands.slash_command(contexts=GUILD_ONLY, extras=PUBLIC)
    async def leaderboard(
        inter: ApplicationCommandInteraction,
        period: str = commands.Param(default=Period.ALL.value, choices=PERIODS),
        metric: str = commands.Param(default=Metric.UNITS.value, choices=METRICS),
        league: str | None = None,
    ) -> None:
        """The top cappers by units, ROI or win rate.

        Parameters
        ----------
        period: today, week, month, year or all
        metric: Rank by units won, ROI or win rate
        league: Only this league
        """
        guild_id = access.guild_id_of(inter)
        league_name = validation.league_name(league) if league else None
        embed, buttons = await board_page(
            betting, guild_id, Period(period), Metric(metric), league_name, 1
        )
        await inter.send(embed=embed, components=buttons)

    leaderboard.autocomplete("league")(league_choices(betting.settings))
    return leaderboard


async def board_page(
    betting: Betting, guild_id: int, period: Period, metric: Metric, league: str | None, page: int
) -> tuple[disnake.Embed, list[disnake.ui.Button]]:
    """Page ``page`` of the guild's leaderboard."""
    standings = await betting.standings(guild_id, period, metric, league)
    return boards.leaderboard_view(
        standings,
        period,
        metric,
        league,
        page,
        betting.settings.page_size,
        betting.settings.leaderboard_min_picks,
    )


async def on_board_page(
    betting: Betting, inter: MessageInteraction | ModalInteraction, rest: str
) -> None:
    """A paging button of ``/leaderboard`` (see :data:`~plugins.betting.boards.LEADERBOARD`)."""
    period, metric, page, league = board_state(rest)
    embed, buttons = await board_page(
        betting, access.guild_id_of(inter), period, metric, league, page
    )
    await replies.update(inter, embed=embed, components=buttons)


def board_state(rest: str) -> tuple[Period, Metric, int, str | None]:
    """The period, metric, page and league a paging button of ``/leaderboard`` holds
    (``<period>:<metric>:<page>:<league or nothing>``); a custom id not of that form is
    refused."""
    try:
        period, metric, page, league = rest.split(":", 3)
        return Period(period), Metric(metric), int(page), league or None
    except ValueError:
        raise UserError("This list is out of date: run /leaderboard again.") from None
