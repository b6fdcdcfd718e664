"""Games and schedule sources.

A :class:`ScheduleSource` pulls :class:`GameUpdate` s from somewhere (API-Sports: see
:mod:`plugins.betting.api_sports`); manual games (``/game add``, ``/game result``) are pushed by
graders as the same updates. Either way the game's result (:class:`GameResult`) is stored, and
when it changes in a way that grades picks (see :meth:`GameResult.grades_picks`) the service
re-grades the game's picks (:func:`plugins.betting.grading.apply_result`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import validation
from core.recovery import UserError
from core.rows import by_pk
from core.validation import ValidationError
from plugins.betting.models import Game
from plugins.betting.statuses import GameStatus

MANUAL = "manual"
_MATCHUP = re.compile(r"^\s*(?P<a>.+?)\s+(?P<sep>@|at|vs\.?|v)\s+(?P<b>.+?)\s*$", re.IGNORECASE)


SETTLED = (GameStatus.FINAL, GameStatus.CANCELLED)
OPEN = (GameStatus.SCHEDULED, GameStatus.POSTPONED)
"""Statuses of games that take picks until they start."""


@dataclass(frozen=True, slots=True)
class GameResult:
    """What of a game grades picks: its status and score."""

    status: str
    home: int | None
    away: int | None

    @classmethod
    def of(cls, game: Game) -> GameResult:
        return cls(game.status, game.home_score, game.away_score)

    def columns(self, prefix: str) -> dict[str, str | int | None]:
        """The result as columns of a :class:`~plugins.betting.models.ResultChange`:
        ``<prefix>_status``, ``<prefix>_home``, ``<prefix>_away``."""
        return {f"{prefix}_{name}": value for name, value in asdict(self).items()}

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    def grades_picks(self, before: GameResult) -> bool:
        """Whether changing from ``before`` to this result grades picks: the game became final
        or cancelled, or a final or cancelled result was corrected (scores or status)."""
        return self != before and (self.settled or before.settled)

    def describe(self) -> str:
        """``final 20-24`` (away-home, as in "Away @ Home"), ``cancelled``, ``scheduled``."""
        if self.status == GameStatus.FINAL and self.home is not None and self.away is not None:
            return f"final {self.away}-{self.home}"
        return self.status


@dataclass(frozen=True, slots=True)
class GameUpdate:
    """What a schedule source knows about one game."""

    source: str
    """Who tells of the game (``api-sports``, ``manual``); with ``external_id``, its key."""
    external_id: str
    league: str
    home: str
    away: str
    starts_at: datetime | None
    status: GameStatus
    home_score: int | None = None
    """The score picks are graded on: set for final games only."""
    away_score: int | None = None
    sport: str | None = None
    venue: str | None = None
    city: str | None = None
    ended_in: str | None = None
    """How a final game ended (``regulation``, ``overtime``, ...; see docs/plugins/betting.md)."""


class ScheduleSource(Protocol):
    """Somewhere games come from. ``fetch`` returns the current state of the games it follows."""

    name: str

    async def fetch(self) -> list[GameUpdate]: ...


def visible_to(guild_id: int) -> Q:
    """Games a guild sees: those from schedule sources plus its own manual games."""
    return Q(guild_id=None) | Q(guild_id=guild_id)


def is_open(game: Game, now: datetime) -> bool:
    """Whether picks on ``game`` are still taken: not started, not settled, not live."""
    if game.status not in OPEN:
        return False
    return game.starts_at is None or game.starts_at > now


def closed_reason(game: Game) -> str:
    if game.status in SETTLED:
        return f"{game.matchup} is already {game.status}: picks are closed."
    when = f" at {game.starts_at:%Y-%m-%d %H:%M} UTC" if game.starts_at else ""
    return f"{game.matchup} has already started{when}: picks close when a game starts."


async def upsert(update: GameUpdate) -> tuple[Game, GameResult | None]:
    """Store a source's update; return the game, and its result before the update when the
    update changed it in a way that grades picks (else ``None``)."""
    async with in_transaction() as conn:
        game = await (
            Game.filter(source=update.source, external_id=update.external_id)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if game is None:
            game = Game(source=update.source, external_id=update.external_id)
        before = GameResult.of(game)
        game.league = update.league
        game.home, game.away = update.home, update.away
        game.starts_at = update.starts_at
        game.status = update.status.value
        game.home_score, game.away_score = update.home_score, update.away_score
        game.sport, game.ended_in = update.sport, update.ended_in
        game.venue, game.city = update.venue, update.city
        await game.save(using_db=conn)
    return game, before if GameResult.of(game).grades_picks(before) else None


async def add_manual(
    guild_id: int, league: str, home: str, away: str, starts_at: datetime | None, by: int
) -> Game:
    """A game a guild adds by hand (``/game add`` or a manual matchup)."""
    return await Game.create(
        guild_id=guild_id,
        source=MANUAL,
        league=validation.league_name(league),
        home=validation.team_name(home, field="home"),
        away=validation.team_name(away, field="away"),
        starts_at=starts_at,
        created_by=by,
    )


def parse_matchup(text: str) -> tuple[str, str]:
    """``(home, away)`` from ``"Away @ Home"``, ``"Away at Home"`` or ``"Home vs Away"``."""
    match = _MATCHUP.match(text)
    if match is None:
        raise ValidationError("game", 'write a matchup as "Away @ Home" or "Home vs Away"', text)
    a, b = match["a"], match["b"]
    home, away = (b, a) if match["sep"].lower() in ("@", "at") else (a, b)
    return validation.team_name(home, field="home"), validation.team_name(away, field="away")


def is_visible(game: Game, guild_id: int) -> bool:
    """:func:`visible_to` for a game in hand (a lookup by id then needs no ``OR`` filter)."""
    return game.guild_id is None or game.guild_id == guild_id


async def find(guild_id: int, game_id: int) -> Game | None:
    game = await by_pk(Game, game_id)
    return game if game is not None and is_visible(game, guild_id) else None


async def resolve(guild_id: int, league: str, value: str, by: int, now: datetime) -> Game:
    """The game a member chose: an id from the autocomplete, or a manual matchup when the
    league has no upcoming scheduled games."""
    raw = value.strip()
    if raw.isdecimal():
        game = await find(guild_id, int(raw))
        if game is None or game.league.casefold() != league.casefold():
            raise ValidationError("game", f"unknown game in {league}: pick one from the list", raw)
        return game
    if await upcoming(guild_id, league, now, limit=1):
        raise ValidationError("game", f"pick one of the listed {league} games", raw)
    home, away = parse_matchup(raw)
    existing = await Game.filter(
        guild_id=guild_id,
        source=MANUAL,
        league=league,
        home=home,
        away=away,
        status=GameStatus.SCHEDULED.value,
    ).first()
    return existing or await add_manual(guild_id, league, home, away, None, by)


async def upcoming(guild_id: int, league: str | None, now: datetime, limit: int = 25) -> list[Game]:
    """Games still open for picks, soonest first (games without a start time last)."""
    query = Game.filter(visible_to(guild_id), status__in=[s.value for s in OPEN]).filter(
        Q(starts_at=None) | Q(starts_at__gt=now)
    )
    if league is not None:
        query = query.filter(league=league)
    games = await query.order_by("starts_at", "id").limit(limit * 2)
    games.sort(key=lambda g: (g.starts_at is None, g.starts_at or now, g.id))
    return games[:limit]


async def leagues(guild_id: int, typed: str = "", limit: int = 25) -> list[str]:
    """League names the guild knows (from its games), filtered by what the member typed."""
    query = Game.filter(visible_to(guild_id))
    if typed.strip():
        query = query.filter(league__icontains=typed.strip())
    names = await query.distinct().order_by("league").limit(limit).values_list("league", flat=True)
    return [str(n) for n in names]


async def set_result(
    game: Game, status: GameStatus, home: int | None, away: int | None
) -> GameResult | None:
    """Record a manual game's result (a cancelled game keeps no score); return its result
    before, when this changed it in a way that grades picks (else ``None``)."""
    if status is GameStatus.FINAL and (home is None or away is None):
        raise ValidationError("score", "a final result needs both scores")
    for field, score in (("home_score", home), ("away_score", away)):
        if score is not None and not 0 <= score <= 10_000:
            raise ValidationError(field, "must be between 0 and 10000", score)
    if status is GameStatus.CANCELLED:
        home = away = None
    async with in_transaction() as conn:
        locked = await Game.filter(id=game.id).using_db(conn).select_for_update().first()
        if locked is None:
            raise UserError(f"Game #{game.id} is gone.")
        before = GameResult.of(locked)
        game.status = status.value
        game.home_score, game.away_score = home, away
        await game.save(using_db=conn, update_fields=["status", "home_score", "away_score"])
    return before if GameResult.of(game).grades_picks(before) else None


def check_start(starts_at: datetime, now: datetime) -> None:
    """A game added by hand starts in the future (see ``override`` in the docs)."""
    if starts_at <= now:
        raise UserError(
            f"{starts_at:%Y-%m-%d %H:%M} UTC is in the past (it is {now:%Y-%m-%d %H:%M} UTC "
            "now): a game added by hand must start later. A server admin (Manage Server) "
            "can add it anyway with override:True."
        )


def check_result_time(game: Game, status: GameStatus, now: datetime) -> None:
    """A final score is taken only for a game that has started (a game without a start time
    counts as started; a game may be cancelled before it starts)."""
    if status is GameStatus.FINAL and game.starts_at is not None and game.starts_at > now:
        raise UserError(
            f"{game.matchup} starts at {game.starts_at:%Y-%m-%d %H:%M} UTC: a final score is "
            "taken once a game has started. A server admin (Manage Server) can record it "
            "anyway with override:True."
        )


def require_open(game: Game, now: datetime) -> None:
    if not is_open(game, now):
        raise UserError(closed_reason(game))
