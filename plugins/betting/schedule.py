"""The schedule betting offers other plugins: the service ``betting.schedule``.

Other plugins reach it with ``ctx.service("betting.schedule")`` (``None`` while betting is not
loaded) and get plain :class:`ScheduledGame` values, never betting's models. The weather plugin
uses it to find a game's venue and start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.queryset import QuerySet

from plugins.betting.games import GameStatus, visible_to
from plugins.betting.models import Game
from plugins.betting.read_off import read_off

SERVICE = "betting.schedule"
MAX_ID = 2**31 - 1
"""The largest id a game can have (an ``IntField``)."""


@dataclass(frozen=True, slots=True)
class ScheduledGame:
    """One game as other plugins see it (``starts_at`` is aware, in UTC; ``venue`` and
    ``city`` are ``None`` when the schedule does not know them)."""

    id: int
    league: str
    home: str
    away: str
    starts_at: datetime
    venue: str | None
    city: str | None


def _utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one from the database is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _scheduled(game: Game) -> ScheduledGame:
    assert game.starts_at is not None  # nosec B101 # the query filters on it
    return read_off(ScheduledGame, game, starts_at=_utc(game.starts_at))


def _visible(guild_id: int | None) -> QuerySet[Game]:
    """The games a guild sees (the shared schedule plus its own); outside a guild, the
    shared schedule."""
    return Game.filter(visible_to(guild_id)) if guild_id else Game.filter(guild_id=None)


def _upcoming(guild_id: int | None, start: datetime, end: datetime) -> QuerySet[Game]:
    return _visible(guild_id).filter(
        status=GameStatus.SCHEDULED.value, starts_at__gte=start, starts_at__lte=end
    )


class Schedule:
    """What ``betting.schedule`` offers (read-only)."""

    async def leagues(self, guild_id: int | None, start: datetime, end: datetime) -> list[str]:
        """Leagues with a scheduled game starting between ``start`` and ``end``, by name."""
        rows = await _upcoming(guild_id, start, end).distinct().values_list("league", flat=True)
        return sorted({str(r) for r in rows}, key=str.casefold)

    async def games(
        self, guild_id: int | None, league: str, start: datetime, end: datetime, limit: int
    ) -> list[ScheduledGame]:
        """The league's scheduled games starting between ``start`` and ``end``, soonest
        first, at most ``limit``."""
        found = (
            await _upcoming(guild_id, start, end)
            .filter(league=league)
            .order_by("starts_at", "id")
            .limit(limit)
        )
        return [_scheduled(g) for g in found]

    async def game(self, guild_id: int | None, game_id: int) -> ScheduledGame | None:
        """A game the guild can see that has a start time, whatever its status; else
        ``None`` (also for an id no game can have)."""
        if not 0 < game_id <= MAX_ID:
            return None
        found = await _visible(guild_id).filter(id=game_id).first()
        return None if found is None or found.starts_at is None else _scheduled(found)
