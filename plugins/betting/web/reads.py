"""What the betting pages and the API read, as the API's models (pages render the same ones).

Records and leaderboards come from the service (:meth:`~plugins.betting.service.Betting.record`,
:meth:`~plugins.betting.service.Betting.standings`: the core cache, dropped on every grade);
a server's summary and pages of picks and games are kept in the service's ``lists`` cache
(dropped on every pick, grade and cancellation of the server, and games lists on every change
of a game); members' names
from the bot's member cache or Discord, kept an hour in the core cache.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

import disnake
from pydantic import BaseModel
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from core import validation
from core.pages import WebError, WebRequest
from core.validation import ValidationError
from plugins.betting import records
from plugins.betting.maths import GRADED, Result, format_entered
from plugins.betting.models import Game, Leg, Pick
from plugins.betting.read_off import read_off
from plugins.betting.records import Metric, Period
from plugins.betting.service import GAMES_TAG, Betting, guild_tag
from plugins.betting.web import cursor
from plugins.betting.web.models import (
    CapperOut,
    GameOut,
    GamePickOut,
    LegOut,
    PickOut,
    RecordOut,
    SeriesPoint,
    StandingOut,
    SummaryOut,
)

NAME_TTL = 3600
"""Seconds a member's name fetched from Discord is kept."""
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
SERIES_POINTS = 250
"""The most points of a capper's units over time (a chart shows no more)."""
TOP_CAPPERS = 5
RECENT_RESULTS = 10
"""What a server's summary shows."""
PICKS_PER_GAME = 10
"""The picks a game of the games list shows (the newest; ``pick_count`` says how many)."""


def thinned(points: Sequence[T], most: int) -> list[T]:
    """At most ``most`` of ``points``, evenly spaced, the first and the last kept."""
    if len(points) <= most:
        return list(points)
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def guild_of(req: WebRequest) -> int:
    """The server of a betting page or endpoint (all are under ``/guilds/{guild_id}``)."""
    guild_id = req.guild_id
    assert guild_id is not None  # nosec B101 # every betting route is under /guilds/{guild_id}
    return guild_id


E = TypeVar("E", bound=StrEnum)


def choice_of(kind: type[E], name: str, value: str | None) -> E | None:
    """The query parameter ``name`` as one of ``kind``'s values (``None`` when not given)."""
    if not value:
        return None
    if value not in {k.value for k in kind}:
        raise ValidationError(name, f"must be one of {', '.join(k.value for k in kind)}", value)
    return kind(value)


def period_of(value: str | None) -> Period:
    """The query's ``period`` (default: all time), checked as ``/leaderboard`` offers it."""
    return choice_of(Period, "period", value) or Period.ALL


def metric_of(value: str | None) -> Metric:
    """The query's ``metric`` (default: units)."""
    return choice_of(Metric, "metric", value) or Metric.UNITS


def league_of(value: str | None) -> str | None:
    return validation.league_name(value) if value else None


def status_of(value: str | None) -> Result | None:
    return choice_of(Result, "status", value)


def user_of(value: str | None) -> int | None:
    return validation.snowflake(value, "user_id") if value else None


def capper_of(req: WebRequest) -> int:
    """The ``{user_id}`` of a capper's path: a plausible Discord id, else 404."""
    try:
        return validation.snowflake(req.params.get("user_id", ""), "user_id")
    except ValidationError:
        raise WebError(404, "There is no such capper.") from None


class Reads:
    """The reads of one loaded betting plugin."""

    def __init__(self, betting: Betting) -> None:
        self.betting = betting
        self.ctx = betting.ctx
        self.names_cache = betting.ctx.cache("names")

    # --- members -----------------------------------------------------------------------

    async def names(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, str]:
        """Members' display names (a member who left: ``user <id>``)."""
        guild = self.ctx.bot.get_guild(guild_id)
        wanted = sorted(set(user_ids))
        found = await asyncio.gather(*(self._name(guild, guild_id, uid) for uid in wanted))
        return dict(zip(wanted, found, strict=True))

    async def _name(self, guild: disnake.Guild | None, guild_id: int, user_id: int) -> str:
        member = guild.get_member(user_id) if guild is not None else None
        if member is not None:
            return member.display_name
        key = f"{guild_id}:{user_id}"
        cached = await self.names_cache.get(key)
        if isinstance(cached, str):
            return cached
        name = f"user {user_id}"
        if guild is not None:
            try:
                name = (await guild.fetch_member(user_id)).display_name
            except disnake.NotFound:
                pass
            except disnake.HTTPException:
                return name  # Discord is busy: shown by id this time, asked again next time
        await self.names_cache.set(key, name, ttl=NAME_TTL)
        return name

    async def role_ids(self, guild_id: int, user_id: int) -> set[int]:
        """The member's roles now (from Discord when the bot does not cache the member)."""
        guild = self.ctx.bot.get_guild(guild_id)
        if guild is None:
            return set()
        try:
            member = await guild.get_or_fetch_member(user_id, strict=True)
        except disnake.HTTPException:
            return set()
        return {role.id for role in member.roles}

    # --- records -----------------------------------------------------------------------

    async def standing_page(
        self,
        guild_id: int,
        period: Period,
        metric: Metric,
        league: str | None,
        start: int,
        count: int,
    ) -> tuple[list[StandingOut], int]:
        """Rows ``start`` to ``start + count`` of the leaderboard, and how many rows it has.
        Kept in the leaderboard's cache, dropped with it on every grade."""

        async def build() -> dict[str, Any]:
            standings = await self.betting.standings(guild_id, period, metric, league)
            shown = standings[start : start + count]
            names = await self.names(guild_id, (s.user_id for s in shown))
            rows = [
                StandingOut(
                    rank=s.rank,
                    user_id=str(s.user_id),
                    name=names[s.user_id],
                    record=record_out(s.record),
                )
                for s in shown
            ]
            return {"total": len(standings), "rows": [r.model_dump(mode="json") for r in rows]}

        key = f"web:{guild_id}:{period}:{metric}:{league or ''}:{start}:{count}"
        page = await self.betting.board_cache.get_or_set(key, build, tags=(guild_tag(guild_id),))
        return [StandingOut.model_validate(r) for r in page["rows"]], int(page["total"])

    async def summary(self, guild_id: int) -> SummaryOut:
        """A server's home: open picks, the ``TOP_CAPPERS`` of all time by units, the
        ``RECENT_RESULTS`` latest results. Kept in the lists' cache (dropped on every pick,
        grade and cancellation)."""

        async def build() -> dict[str, Any]:
            leaders, _ = await self.standing_page(
                guild_id, Period.ALL, Metric.UNITS, None, 0, TOP_CAPPERS
            )
            graded = (
                await Pick.filter(guild_id=guild_id, status__in=[r.value for r in GRADED])
                .order_by("-graded_at", "-id")
                .limit(RECENT_RESULTS)
            )
            made = SummaryOut(
                open_picks=await Pick.filter(
                    guild_id=guild_id, status=Result.PENDING.value
                ).count(),
                top=leaders,
                recent=await self.pick_models(guild_id, graded),
            )
            return made.model_dump(mode="json")

        key = f"summary:{guild_id}"
        found = await self.betting.lists_cache.get_or_set(key, build, tags=(guild_tag(guild_id),))
        return SummaryOut.model_validate(found)

    async def capper(
        self, guild_id: int, user_id: int, period: Period, league: str | None
    ) -> CapperOut:
        """A capper's record and units over time (at most ``SERIES_POINTS``), kept in the
        records' cache (dropped on every grade)."""

        async def build() -> dict[str, Any]:
            record = await self.betting.record(guild_id, user_id, period, league)
            names = await self.names(guild_id, [user_id])
            made = CapperOut(
                user_id=str(user_id),
                name=names[user_id],
                period=period,
                league=league,
                record=record_out(record),
                series=[
                    SeriesPoint(at=datetime.fromisoformat(at), units=Decimal(units))
                    for at, units in thinned(record.series, SERIES_POINTS)
                ],
            )
            return made.model_dump(mode="json")

        key = f"web:{guild_id}:{user_id}:{period}:{league or ''}"
        found = await self.betting.stats_cache.get_or_set(key, build, tags=(guild_tag(guild_id),))
        return CapperOut.model_validate(found)

    # --- picks -------------------------------------------------------------------------

    async def cached_page(
        self,
        key: str,
        tags: tuple[str, ...],
        model: type[M],
        build: Callable[[], Awaitable[tuple[list[M], str | None]]],
    ) -> tuple[list[M], str | None]:
        """A page of a list and the next page's cursor, through the ``lists`` cache."""

        async def stored() -> dict[str, Any]:
            rows, more = await build()
            return {"rows": [r.model_dump(mode="json") for r in rows], "more": more}

        found = await self.betting.lists_cache.get_or_set(key, stored, tags=tags)
        return [model.model_validate(r) for r in found["rows"]], found["more"]

    async def picks(
        self,
        guild_id: int,
        *,
        status: Result | None = None,
        user_id: int | None = None,
        after: str | None = None,
        limit: int,
    ) -> tuple[list[PickOut], str | None]:
        """Picks newest first, ``limit`` after the cursor ``after``; the next page's cursor."""
        key = f"picks:{guild_id}:{status or ''}:{user_id or ''}:{after or ''}:{limit}"
        return await self.cached_page(
            key,
            (guild_tag(guild_id),),
            PickOut,
            lambda: self._picks(guild_id, status, user_id, after, limit),
        )

    async def _picks(
        self,
        guild_id: int,
        status: Result | None,
        user_id: int | None,
        after: str | None,
        limit: int,
    ) -> tuple[list[PickOut], str | None]:
        query = Pick.filter(guild_id=guild_id)
        if status is not None:
            query = query.filter(status=status.value)
        if user_id is not None:
            query = query.filter(user_id=user_id)
        shown, more = await cursor.newest(query, after, limit)
        return await self.pick_models(guild_id, shown), more

    async def pick(self, guild_id: int, pick_id: int) -> Pick:
        pick = None
        if pick_id <= cursor.LARGEST:  # a pick's id is 32-bit: larger ones name no pick
            pick = await Pick.filter(id=pick_id, guild_id=guild_id).first()
        if pick is None:
            raise WebError(404, f"There is no pick #{pick_id} in this server.")
        return pick

    async def pick_models(self, guild_id: int, picks: Sequence[Pick]) -> list[PickOut]:
        legs: dict[int, list[Leg]] = defaultdict(list)
        if picks:
            rows = await Leg.filter(pick_id__in=[p.id for p in picks]).order_by("position")
            for leg in rows:
                legs[leg.pick_id].append(leg)
        names = await self.names(guild_id, (p.user_id for p in picks))
        return [pick_out(p, legs[p.id], names[p.user_id]) for p in picks]

    # --- games -------------------------------------------------------------------------

    async def games(
        self, guild_id: int, *, after: str | None, limit: int
    ) -> tuple[list[GameOut], str | None]:
        """Games the server's cappers picked and the server's own games, newest first, with
        their picks in this server."""
        return await self.cached_page(
            f"games:{guild_id}:{after or ''}:{limit}",
            (guild_tag(guild_id), GAMES_TAG),
            GameOut,
            lambda: self._games(guild_id, after, limit),
        )

    async def _games(
        self, guild_id: int, after: str | None, limit: int
    ) -> tuple[list[GameOut], str | None]:
        picked = Subquery(Leg.filter(pick__guild_id=guild_id).values("game_id"))
        query = Game.filter(Q(id__in=picked) | Q(guild_id=guild_id))
        shown, more = await cursor.newest(query, after, limit)
        ids = [g.id for g in shown]
        counts: dict[int, int] = defaultdict(int)
        if ids:
            on_shown = Leg.filter(game_id__in=ids, pick__guild_id=guild_id)
            for row in (
                await on_shown.annotate(n=Count("id")).group_by("game_id").values("game_id", "n")
            ):
                counts[row["game_id"]] = row["n"]
        newest = await asyncio.gather(*(newest_legs(guild_id, g) for g in ids if counts[g]))
        kept = [leg for legs in newest for leg in legs]
        names = await self.names(guild_id, (leg["user_id"] for leg in kept))
        on: dict[int, list[GamePickOut]] = defaultdict(list)
        for leg in kept:
            on[leg["game_id"]].append(
                GamePickOut.model_validate(
                    leg
                    | {
                        "user_id": str(leg["user_id"]),
                        "name": names[leg["user_id"]],
                        "odds": format_entered(leg["odds_format"], Decimal(leg["odds_value"])),
                    }
                )
            )
        return [read_off(GameOut, g, pick_count=counts[g.id], picks=on[g.id]) for g in shown], more


def record_out(record: records.Record) -> RecordOut:
    """The API's view of a record (its fields and rates, read off the record)."""
    return RecordOut.model_validate(record, from_attributes=True)


def pick_out(pick: Pick, legs: Sequence[Leg], name: str) -> PickOut:
    return read_off(
        PickOut,
        pick,
        user_id=str(pick.user_id),
        name=name,
        legs=[
            read_off(LegOut, leg, odds=format_entered(leg.odds_format, leg.odds_value))
            for leg in legs
        ],
    )


async def newest_legs(guild_id: int, game_id: int) -> list[dict[str, Any]]:
    """The ``PICKS_PER_GAME`` newest legs of the server's picks on a game, with their picks'
    fields."""
    return await (
        Leg.filter(game_id=game_id, pick__guild_id=guild_id)
        .order_by("-pick_id")
        .limit(PICKS_PER_GAME)
        .values(
            "game_id",
            "selection",
            "market",
            "line",
            "odds_format",
            "odds_value",
            "result",
            "pick_id",
            user_id="pick__user_id",
            kind="pick__kind",
            stake="pick__stake",
            pick_status="pick__status",
        )
    )
