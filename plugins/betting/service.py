"""The plugin's service: domain operations with caching, events and bet slips.

One :class:`Betting` object per plugin context (made in ``setup``); command handlers close over
it. It reports actions (``bet.placed``, ``bet.graded``, ``bet.corrected``, ``bet.cancelled``,
``game.added``, ``game.result``, ``game.corrected``, ``setup.changed``) and invalidates the
guild's cached stats and leaderboards whenever a pick is graded, corrected or cancelled, its
cached lists (picks, games, its home's summary) also when a pick is placed, and every cached
games list whenever a game changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import disnake
from tortoise.transactions import in_transaction

from core.recovery import backoff_delay
from plugins.betting import games, grading, picks, records, setup_change
from plugins.betting.api_sports import ApiSportsError
from plugins.betting.games import GameUpdate, ScheduleSource
from plugins.betting.grading import GradeOutcome
from plugins.betting.limits import Limits
from plugins.betting.maths import OddsFormat, Result, StakeMode
from plugins.betting.models import Game, GuildConfig, Leg, Pick
from plugins.betting.settings import BettingSettings
from plugins.betting.setup_change import SetupChange
from plugins.betting.slips import slip_embed

if TYPE_CHECKING:
    from core.plugin import PluginContext


CONFIG_FIELDS = tuple(GuildConfig._meta.fields_map)
"""The columns of a guild's set-up kept in the ``betting.config`` cache."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def guild_tag(guild_id: int) -> str:
    return f"guild:{guild_id}"


GAMES_TAG = "games"
"""The tag of every cached games list (a game's score or status changes it in any guild)."""


class Betting:
    """Picks, grades, records and schedules for one loaded plugin."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        settings = ctx.settings
        self.settings = settings if isinstance(settings, BettingSettings) else BettingSettings()
        self.stats_cache = ctx.cache("stats")
        self.board_cache = ctx.cache("leaderboard")
        self.lists_cache = ctx.cache("lists")
        self.config_cache = ctx.cache("config")
        self._defaults: dict[int, GuildConfig] = {}

    # --- guild set-up ----------------------------------------------------------------------

    async def config(self, guild_id: int) -> GuildConfig:
        """The guild's set-up (through the cache: every pick reads it), or the defaults when
        ``/setup`` never ran. A snapshot to read: change it with :meth:`change_config`."""

        async def stored() -> dict[str, Any]:
            found = await GuildConfig.filter(guild_id=guild_id).first()
            return {} if found is None else {f: getattr(found, f) for f in CONFIG_FIELDS}

        fields = await self.config_cache.get_or_set(str(guild_id), stored)
        if fields:
            return GuildConfig(**fields)
        default = self._defaults.get(guild_id)
        if default is None:  # built once per guild: every pick of a guild without a row reads it
            default = self._defaults[guild_id] = self._default_config(guild_id)
        return default

    def _default_config(self, guild_id: int) -> GuildConfig:
        return GuildConfig(
            guild_id=guild_id,
            min_units=self.settings.default_min_units,
            max_units=self.settings.default_max_units,
            max_odds=self.settings.default_max_odds,
            max_payout=self.settings.default_max_payout,
        )

    async def change_config(self, guild_id: int, change: SetupChange, by: int) -> GuildConfig:
        """Change the guild's set-up (``/setup``, the dashboard, the API: see
        :mod:`plugins.betting.setup_change`), store it, drop its cached copy and report it;
        return it. Raises :class:`~core.validation.ValidationError` (nothing stored then)."""
        config = await GuildConfig.filter(guild_id=guild_id).first()
        config = config or self._default_config(guild_id)
        changed = setup_change.apply(config, change)
        config.updated_by = by
        await config.save()
        await self.config_cache.delete(str(config.guild_id))
        await self.ctx.action(
            "setup.changed", user_id=by, guild_id=config.guild_id, admin=True, data=changed
        )
        return config

    # --- picks -----------------------------------------------------------------------------

    async def place(self, order: picks.PickOrder, config: GuildConfig) -> tuple[Pick, list[Leg]]:
        """Place a pick (see :func:`plugins.betting.picks.place`) in the guild's stake mode and
        within its limits (``config``), and report it; return the pick and its legs. A retry of
        an interaction whose pick is stored already (its first attempt's commit went through,
        its answer did not) returns that pick."""
        try:
            pick, stored = await picks.place(
                order,
                stake_mode=StakeMode(config.stake_mode),
                limits=Limits.of(config),
                now=utcnow(),
            )
        except picks.AlreadyPlaced as placed:  # reported now: the first attempt ended at commit
            pick, stored = placed.pick, placed.legs
        await self.lists_cache.invalidate_tag(guild_tag(order.guild_id))  # records: graded only
        await self.ctx.action(
            "bet.placed",
            user_id=order.user_id,
            guild_id=order.guild_id,
            target=f"pick:{pick.id}",
            amount=pick.stake,
            interaction_id=order.interaction_id,
            data={"kind": pick.kind, "legs": len(order.legs), "league": pick.league},
        )
        return pick, stored

    async def grade(
        self, pick_id: int, guild_id: int, result: Result, by: int, *, leg: int | None = None
    ) -> GradeOutcome:
        """A grader grades a pick or one leg of a parlay (see :func:`grading.grade`)."""
        outcome = await grading.grade(pick_id, guild_id, result, by, leg=leg)
        if outcome.changed:
            await self.invalidate(guild_id)
            await self._report_grade(outcome, by, {"result": result.value, "leg": leg})
        return outcome

    async def _report_grade(self, outcome: GradeOutcome, by: int, data: dict[str, Any]) -> None:
        """Report a changed pick (``bet.corrected`` when a graded result was replaced, else
        ``bet.graded``; ``by`` 0 is the bot) and show its new result on its slip."""
        pick = outcome.pick
        await self.ctx.action(
            "bet.corrected" if outcome.corrected else "bet.graded",
            user_id=by or None,
            guild_id=pick.guild_id,
            target=f"pick:{pick.id}",
            admin=by != grading.BOT,
            amount=pick.result_units,
            data={
                **data,
                "auto": by == grading.BOT,
                "old_status": outcome.old_status,
                "status": outcome.new_status,
                "old_units": None if outcome.old_units is None else str(outcome.old_units),
                "author": pick.user_id,
            },
        )
        await self.refresh_slip(pick)

    async def cancel(self, pick_id: int, guild_id: int, by: int, admin: bool) -> Pick:
        pick = await grading.cancel(pick_id, guild_id, by, "cancelled by a grader" if admin else "")
        await self.invalidate(guild_id)
        await self.ctx.action(
            "bet.cancelled", user_id=by, guild_id=guild_id, target=f"pick:{pick_id}", admin=admin
        )
        await self.refresh_slip(pick)
        return pick

    async def invalidate(self, guild_id: int) -> None:
        """Drop the guild's cached stats, leaderboards and lists (after a grade, a correction,
        a cancellation or a new game of its own; a new pick drops only the lists: records count
        graded picks)."""
        await self.stats_cache.invalidate_tag(guild_tag(guild_id))
        await self.board_cache.invalidate_tag(guild_tag(guild_id))
        await self.lists_cache.invalidate_tag(guild_tag(guild_id))

    # --- bet slips -------------------------------------------------------------------------

    async def post_slip(self, pick: Pick, legs: Sequence[Leg], config: GuildConfig) -> str:
        """Post the bet slip in the guild's picks channel; return where it went (for the
        author's confirmation), or why it could not be posted."""
        if config.picks_channel_id is None:
            return "No picks channel is set up (an admin can set one with /setup)."
        if pick.message_id is not None:  # a retry of the same interaction: posted already
            return f"Posted in <#{pick.channel_id}>."
        channel = self.ctx.bot.get_channel(config.picks_channel_id)
        if not isinstance(channel, disnake.TextChannel | disnake.Thread):
            return "The picks channel is gone; ask an admin to run /setup again."
        embed = slip_embed(pick, legs, OddsFormat(config.odds_format))
        try:
            message = await channel.send(embed=embed)
        except disnake.HTTPException as exc:
            self.ctx.log.warning("cannot post slip of pick {}: {}", pick.id, exc)
            if exc.status == 429 or exc.status >= 500:
                return f"I could not post the slip in {channel.mention}: Discord is busy."
            return f"I could not post the slip in {channel.mention} (check my permissions)."
        try:
            await picks.set_slip(pick, channel.id, message.id)
        except Exception as exc:  # the pick is stored and its slip posted: the command stands
            self.ctx.log.warning(
                "pick {}: could not remember its slip message {} ({!r}); it will not be "
                "updated when graded",
                pick.id,
                message.id,
                exc,
            )
        return f"Posted in {channel.mention}."

    async def refresh_slip(self, pick: Pick) -> None:
        """Show the new result on the posted slip (best effort: the record is what counts)."""
        if pick.channel_id is None or pick.message_id is None:
            return
        channel = self.ctx.bot.get_channel(pick.channel_id)
        if not isinstance(channel, disnake.TextChannel | disnake.Thread):
            return
        config = await self.config(pick.guild_id)
        legs = await Leg.filter(pick_id=pick.id).order_by("position")
        try:
            await channel.get_partial_message(pick.message_id).edit(
                embed=slip_embed(pick, legs, OddsFormat(config.odds_format))
            )
        except disnake.HTTPException as exc:
            self.ctx.log.info("slip of pick {} not updated: {}", pick.id, exc)

    # --- records ---------------------------------------------------------------------------

    async def record(
        self, guild_id: int, user_id: int, period: records.Period, league: str | None
    ) -> records.Record:
        """A member's record, through the cache (invalidated by every grade)."""

        async def compute() -> dict[str, Any]:
            rows = await records.load_rows(
                guild_id, user_id=user_id, period=period, league=league, now=utcnow()
            )
            return records.compute(rows).to_json()

        key = f"{guild_id}:{user_id}:{period}:{league or ''}"
        data = await self.stats_cache.get_or_set(key, compute, tags=(guild_tag(guild_id),))
        return records.Record.from_json(data)

    async def standings(
        self, guild_id: int, period: records.Period, metric: records.Metric, league: str | None
    ) -> list[records.Standing]:
        """The guild's leaderboard, through the cache (invalidated by every grade)."""

        async def compute() -> list[dict[str, Any]]:
            rows = await records.load_rows(guild_id, period=period, league=league, now=utcnow())
            ranked = records.rank(rows, metric, self.settings.leaderboard_min_picks)
            return [
                {"rank": s.rank, "user_id": s.user_id, "record": s.record.to_json()} for s in ranked
            ]

        key = f"{guild_id}:{period}:{metric}:{league or ''}"
        data = await self.board_cache.get_or_set(key, compute, tags=(guild_tag(guild_id),))
        return [
            records.Standing(d["rank"], d["user_id"], records.Record.from_json(d["record"]))
            for d in data
        ]

    # --- games -----------------------------------------------------------------------------

    async def add_game(
        self, guild_id: int, league: str, home: str, away: str, starts_at: datetime, by: int
    ) -> Game:
        """A game a grader adds by hand (``/game add``)."""
        game = await games.add_manual(guild_id, league, home, away, starts_at, by)
        await self.invalidate(guild_id)
        return game

    async def apply_updates(self, updates: Sequence[GameUpdate]) -> list[GradeOutcome]:
        """Store a source's game updates; re-grade the picks of each game whose result changed
        (each game's update and its grades are one transaction); return the picks changed."""
        outcomes: list[GradeOutcome] = []
        for update in updates:
            async with in_transaction():
                game, before = await games.upsert(update)
                result = await grading.apply_result(game, before, grading.BOT) if before else None
            if result is not None:
                await self._report_result(game, result, None)
                outcomes.extend(result.outcomes)
        if updates:
            await self.lists_cache.invalidate_tag(GAMES_TAG)
        return outcomes

    async def settle_game(
        self,
        game: Game,
        status: games.GameStatus,
        home: int | None,
        away: int | None,
        by: int,
        *,
        override: bool = False,
    ) -> grading.ResultOutcome | None:
        """Record a manual game's result (or a correction of it) and re-grade its picks, in one
        transaction; ``None`` when the game already had that result (nothing changed).
        ``override``: an admin skipped the time check (reported)."""
        async with in_transaction():
            before = await games.set_result(game, status, home, away)
            result = await grading.apply_result(game, before, by) if before else None
        if result is not None:
            await self._report_result(game, result, by, override=override)
        await self.lists_cache.invalidate_tag(GAMES_TAG)
        return result

    async def _report_result(
        self, game: Game, result: grading.ResultOutcome, by: int | None, *, override: bool = False
    ) -> None:
        """Report a game's result (``game.result``) or its correction (``game.corrected``), then
        each pick it changed; drop the cached records of the guilds concerned."""
        change = result.change
        await self.ctx.action(
            "game.corrected" if result.corrected else "game.result",
            user_id=by,
            guild_id=game.guild_id,
            target=f"game:{game.id}",
            admin=by is not None,
            data={
                "override": override,
                "old_status": change.old_status,
                "old_home": change.old_home,
                "old_away": change.old_away,
                "status": change.new_status,
                "home": change.new_home,
                "away": change.new_away,
                "picks_changed": change.picks_changed,
            },
        )
        for guild_id in sorted({o.pick.guild_id for o in result.outcomes}):
            await self.invalidate(guild_id)
        for outcome in result.outcomes:
            await self._report_grade(outcome, grading.BOT, {"game": game.id})

    async def sync_forever(self, source: ScheduleSource) -> None:
        """Poll ``source`` every ``sync_interval`` seconds; back off (doubling, up to
        ``max_backoff``) while it fails. Runs as the plugin's background task."""
        api = self.settings.api_sports
        failures = 0
        while True:
            try:
                outcomes = await self.apply_updates(await source.fetch())
                failures = 0
                self.ctx.log.info("{} sync done: {} picks changed", source.name, len(outcomes))
                delay = api.sync_interval
            except asyncio.CancelledError:
                raise
            except ApiSportsError as exc:
                failures += 1
                delay = api.max_backoff if exc.quota_exhausted else self._backoff(failures)
                self.ctx.log.warning(
                    "{} sync refused: {}; next try in {:.0f}s", source.name, exc, delay
                )
            except Exception as exc:
                failures += 1
                delay = self._backoff(failures)
                self.ctx.log.opt(exception=exc).warning(
                    "{} sync failed; next try in {:.0f}s", source.name, delay
                )
            await asyncio.sleep(delay)

    def _backoff(self, failures: int) -> float:
        api = self.settings.api_sports
        return max(backoff_delay(failures, api.sync_interval / 4, api.max_backoff), 1.0)
