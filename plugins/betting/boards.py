"""Records on screen: ``/stats``, ``/leaderboard`` and ``/bet list`` with paging buttons.

Paging state lives in the buttons' custom ids (``betlb:<period>:<metric>:<page>:<league>``,
``betlist:<member or 0>:<status or ->:<page>``), so pages keep working after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import disnake

from core import discord_limits
from core.validation import escape_markdown
from plugins.betting.maths import OddsFormat, Result, format_odds
from plugins.betting.models import Leg, Pick
from plugins.betting.records import Metric, Period, Record, Standing
from plugins.betting.slips import summary, units

LEADERBOARD = "betlb"
PICK_LIST = "betlist"


def _pct(value: object) -> str:
    return "—" if value is None else f"{value}%"


def stats_embed(
    name: str, record: Record, period: Period, league: str | None, fmt: OddsFormat
) -> disnake.Embed:
    scope = f"{period.value}{f' · {league}' if league else ''}"
    embed = disnake.Embed(title=f"{escape_markdown(name)} · {scope}", colour=disnake.Colour.gold())
    embed.add_field("Record (W-L-P)", f"{record.won}-{record.lost}-{record.push}")
    embed.add_field("Win rate", _pct(record.win_rate))
    embed.add_field("Units", units(record.units))
    embed.add_field("ROI", _pct(record.roi))
    average = record.average_odds
    embed.add_field("Average odds", "—" if average is None else format_odds(Fraction(average), fmt))
    embed.add_field("Streak", record.streak or "—")
    best = (
        "—"
        if record.best_win is None
        else f"{units(record.best_win)} (pick #{record.best_win_pick})"
    )
    embed.add_field("Best win", best)
    if record.void:
        embed.set_footer(text=f"{record.void} void pick(s) not counted")
    return discord_limits.fit(embed)


def _pager(prefix: str, state: str, page: int, pages: int) -> list[disnake.ui.Button]:
    return [
        disnake.ui.Button(
            label="Previous",
            custom_id=f"{prefix}:{state.format(page=page - 1)}",
            disabled=page <= 1,
        ),
        disnake.ui.Button(
            label=f"Page {page}/{pages}", custom_id=f"{prefix}:noop:{page}", disabled=True
        ),
        disnake.ui.Button(
            label="Next",
            custom_id=f"{prefix}:{state.format(page=page + 1)}",
            disabled=page >= pages,
        ),
    ]


def leaderboard_view(
    standings: Sequence[Standing],
    period: Period,
    metric: Metric,
    league: str | None,
    page: int,
    page_size: int,
    min_picks: int,
) -> tuple[disnake.Embed, list[disnake.ui.Button]]:
    pages = max(1, -(-len(standings) // page_size))
    page = min(max(page, 1), pages)
    shown = standings[(page - 1) * page_size : page * page_size]
    title = f"Leaderboard · {metric.value} · {period.value}{f' · {league}' if league else ''}"
    embed = disnake.Embed(title=escape_markdown(title), colour=disnake.Colour.gold())
    lines = []
    for s in shown:
        r = s.record
        lines.append(
            f"**{s.rank}.** <@{s.user_id}> {units(r.units)} · {r.won}-{r.lost}-{r.push}"
            f" · ROI {_pct(r.roi)} · win {_pct(r.win_rate)}"
        )
    embed.description = "\n".join(lines) or f"Nobody has {min_picks} graded picks here yet."
    embed.set_footer(text=f"At least {min_picks} graded picks to qualify")
    state = f"{period.value}:{metric.value}:{{page}}:{league or ''}"
    return discord_limits.fit(embed), _pager(LEADERBOARD, state, page, pages)


def list_view(
    rows: Sequence[tuple[Pick, Leg | None]],
    total: int,
    member_id: int | None,
    status: Result | None,
    page: int,
    page_size: int,
    fmt: OddsFormat,
) -> tuple[disnake.Embed, list[disnake.ui.Button]]:
    pages = max(1, -(-total // page_size))
    who = f"<@{member_id}>" if member_id else "everyone"
    embed = disnake.Embed(title="Picks", colour=disnake.Colour.blurple())
    header = f"Picks of {who}{f' · {status}' if status else ''} ({total})"
    width = discord_limits.share(
        discord_limits.DESCRIPTION - len(header) - 1, len(rows)
    )  # a page shows all
    body = "\n".join(summary(pick, leg, fmt, width) for pick, leg in rows)
    embed.description = f"{header}\n{body or 'No picks.'}"
    state = f"{member_id or 0}:{status or '-'}:{{page}}"
    return discord_limits.fit(embed), _pager(PICK_LIST, state, page, pages)
