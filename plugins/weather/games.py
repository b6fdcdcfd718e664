"""Upcoming games, read from the betting plugin's schedule (read-only, through the ORM).

Only called when the betting plugin is loaded; its models are imported inside each function so
the weather plugin loads (and reloads) without it. A game's place for WeatherAPI is its
``venue`` when the schedule has one, otherwise the home team's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCHEDULED = "scheduled"


@dataclass(frozen=True, slots=True)
class GameInfo:
    """What the weather plugin needs of a game (``starts_at`` is aware, in UTC)."""

    id: int
    league: str
    home: str
    away: str
    starts_at: datetime
    location: str


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one from the database is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _info(game: Any) -> GameInfo:
    return GameInfo(
        id=game.id,
        league=game.league,
        home=game.home,
        away=game.away,
        starts_at=_utc(game.starts_at),
        location=getattr(game, "venue", None) or game.home,
    )


def _visible(guild_id: int | None) -> Any:
    """The games a guild sees: the shared schedule plus its own."""
    from tortoise.expressions import Q

    from plugins.betting.models import Game

    shared = Q(guild_id__isnull=True)
    return Game.filter(shared | Q(guild_id=guild_id) if guild_id else shared)


def _upcoming(guild_id: int | None, start: datetime, end: datetime) -> Any:
    return _visible(guild_id).filter(status=SCHEDULED, starts_at__gte=start, starts_at__lte=end)


async def upcoming_leagues(guild_id: int | None, start: datetime, end: datetime) -> list[str]:
    """Leagues with a scheduled game between ``start`` and ``end``, by name."""
    rows = await _upcoming(guild_id, start, end).distinct().values_list("league", flat=True)
    return sorted({str(r) for r in rows}, key=str.casefold)


async def upcoming_games(
    guild_id: int | None, league: str, start: datetime, end: datetime, limit: int
) -> list[GameInfo]:
    """The league's next scheduled games, soonest first."""
    games = (
        await _upcoming(guild_id, start, end)
        .filter(league=league)
        .order_by("starts_at", "id")
        .limit(limit)
    )
    return [_info(g) for g in games]


async def find_game(guild_id: int | None, game_id: int) -> GameInfo | None:
    """A game this guild can see, or ``None``."""
    game = await _visible(guild_id).filter(id=game_id).first()
    if game is None or game.starts_at is None:
        return None
    return _info(game)
