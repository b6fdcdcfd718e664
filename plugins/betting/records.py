"""Records: won-lost-push, units, ROI, streaks and leaderboards from graded picks.

:func:`compute` and :func:`rank` are pure; :func:`load_rows` reads the graded picks. Results are
plain JSON-able dicts (see :meth:`Record.to_json`) so the core cache can keep them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from plugins.betting.maths import GRADED, Result
from plugins.betting.models import Pick

ZERO = Decimal("0.00")


class Period(StrEnum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL = "all"

    def since(self, now: datetime) -> datetime | None:
        """The earliest placement time the period covers (``None``: all time)."""
        if self is Period.TODAY:
            return now.replace(hour=0, minute=0, second=0, microsecond=0)
        days = {Period.WEEK: 7, Period.MONTH: 30, Period.YEAR: 365}.get(self)
        return None if days is None else now - timedelta(days=days)


class Metric(StrEnum):
    UNITS = "units"
    ROI = "roi"
    WIN_RATE = "winrate"


class Row(NamedTuple):
    """One graded pick, as records need it (a tuple: a leaderboard reads every graded pick)."""

    pick_id: int
    user_id: int
    status: Result
    stake: Decimal
    result_units: Decimal
    odds_decimal: Decimal
    graded_at: datetime


@dataclass
class Record:
    """A member's (or a whole guild's) record over some graded picks."""

    won: int = 0
    lost: int = 0
    push: int = 0
    void: int = 0
    units: Decimal = ZERO
    risked: Decimal = ZERO
    odds_total: Decimal = Decimal(0)
    streak: str = ""
    best_win: Decimal | None = None
    best_win_pick: int | None = None
    series: list[tuple[str, str]] = field(default_factory=list)  # (ISO time, cumulative units)

    @property
    def decided(self) -> int:
        """Won + lost + push: picks with action (void picks are left out of every rate)."""
        return self.won + self.lost + self.push

    @property
    def win_rate(self) -> Decimal | None:
        """Won / (won + lost) in percent, to 0.1."""
        if not self.won + self.lost:
            return None
        return (Decimal(100 * self.won) / (self.won + self.lost)).quantize(Decimal("0.1"))

    @property
    def roi(self) -> Decimal | None:
        """Units won / units risked in percent, to 0.1 (void picks risk nothing)."""
        if not self.risked:
            return None
        return (self.units * 100 / self.risked).quantize(Decimal("0.1"))

    @property
    def average_odds(self) -> Decimal | None:
        """The mean decimal odds of picks with action."""
        if not self.decided:
            return None
        return (self.odds_total / self.decided).quantize(Decimal("0.0001"))

    def metric(self, metric: Metric) -> Decimal:
        value = {Metric.UNITS: self.units, Metric.ROI: self.roi, Metric.WIN_RATE: self.win_rate}
        return value[metric] if value[metric] is not None else Decimal("-Infinity")  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        return {
            "won": self.won,
            "lost": self.lost,
            "push": self.push,
            "void": self.void,
            "units": str(self.units),
            "risked": str(self.risked),
            "odds_total": str(self.odds_total),
            "streak": self.streak,
            "best_win": None if self.best_win is None else str(self.best_win),
            "best_win_pick": self.best_win_pick,
            "series": [list(p) for p in self.series],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(
            won=data["won"],
            lost=data["lost"],
            push=data["push"],
            void=data["void"],
            units=Decimal(data["units"]),
            risked=Decimal(data["risked"]),
            odds_total=Decimal(data["odds_total"]),
            streak=data["streak"],
            best_win=None if data["best_win"] is None else Decimal(data["best_win"]),
            best_win_pick=data["best_win_pick"],
            series=[(t, u) for t, u in data["series"]],
        )


def compute(rows: Iterable[Row], *, with_series: bool = True) -> Record:
    """The record of ``rows`` (any order; they are taken in grading order)."""
    record = Record()
    ordered = sorted(rows, key=lambda r: (r.graded_at, r.pick_id))
    streak_kind: Result | None = None
    streak = 0
    for row in ordered:
        if row.status is Result.WON:
            record.won += 1
        elif row.status is Result.LOST:
            record.lost += 1
        elif row.status is Result.PUSH:
            record.push += 1
        else:
            record.void += 1
            continue
        record.units += row.result_units
        record.risked += row.stake
        record.odds_total += row.odds_decimal
        if row.status is Result.WON and (
            record.best_win is None or row.result_units > record.best_win
        ):
            record.best_win, record.best_win_pick = row.result_units, row.pick_id
        if row.status in (Result.WON, Result.LOST):
            streak = streak + 1 if row.status is streak_kind else 1
            streak_kind = row.status
        if with_series:
            record.series.append((row.graded_at.isoformat(), str(record.units)))
    if streak_kind is not None:
        record.streak = f"{'W' if streak_kind is Result.WON else 'L'}{streak}"
    return record


class Standing(NamedTuple):
    """One line of a leaderboard."""

    rank: int
    user_id: int
    record: Record


def rank(rows: Iterable[Row], metric: Metric, min_picks: int) -> list[Standing]:
    """Members with at least ``min_picks`` picks with action, best ``metric`` first (ties: more
    units, then more picks, then the lower user id)."""
    by_user: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    records = [(uid, compute(rs, with_series=False)) for uid, rs in by_user.items()]
    qualified = [(uid, rec) for uid, rec in records if rec.decided >= min_picks]
    qualified.sort(key=lambda x: (-x[1].metric(metric), -x[1].units, -x[1].decided, x[0]))
    return [Standing(i, uid, rec) for i, (uid, rec) in enumerate(qualified, start=1)]


async def load_rows(
    guild_id: int,
    *,
    user_id: int | None = None,
    period: Period = Period.ALL,
    league: str | None = None,
    now: datetime,
) -> list[Row]:
    """Graded picks of a guild (optionally one member's, one league's, one period's)."""
    query = Pick.filter(guild_id=guild_id, status__in=[r.value for r in GRADED])
    if user_id is not None:
        query = query.filter(user_id=user_id)
    if league:
        query = query.filter(league=league)
    since = period.since(now)
    if since is not None:
        query = query.filter(placed_at__gte=since)
    values = await query.values(
        "id", "user_id", "status", "stake", "result_units", "odds_decimal", "graded_at"
    )
    return [
        Row(
            pick_id=v["id"],
            user_id=v["user_id"],
            status=Result(v["status"]),
            stake=Decimal(v["stake"]),
            result_units=Decimal(v["result_units"] or 0),
            odds_decimal=Decimal(v["odds_decimal"]),
            graded_at=v["graded_at"],
        )
        for v in values
    ]
