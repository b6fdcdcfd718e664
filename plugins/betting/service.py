"""The plugin's service: domain operations with caching, events and bet slips.

One :class:`Betting` object per plugin context (made in ``setup``); command handlers close over
it. It reports actions (``bet.placed``, ``bet.graded``, ``bet.corrected``, ``bet.cancelled``,
``game.added``, ``game.result``, ``setup.changed``) and invalidates the guild's cached stats and
leaderboards whenever a pick is placed, graded, corrected or cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import disnake
from tortoise.transactions import in_transaction

from core.recovery import backoff_delay
from plugins.betting import games, grading, picks, records
from plugins.betting.api_sports import ApiSportsError
from plugins.betting.games import GameUpdate, ScheduleSource
from plugins.betting.grading import GradeOutcome
from plugins.betting.legs import LegSpec
from plugins.betting.maths import OddsFormat, Result, StakeMode
from plugins.betting.models import Game, GuildConfig, Leg, Pick
from plugins.betting.settings import BettingSettings
from plugins.betting.slips import slip_embed

if TYPE_CHECKING:
    from core.plugin import PluginContext


CONFIG_FIELDS = tuple(GuildConfig._meta.fields_map)
"""The columns of a guild's set-up kept in the ``betting.config`` cache."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def guild_tag(guild_id: int) -> str:
    return f"guild:{guild_id}"


class Betting:
    """Picks, grades, records and schedules for one loaded plugin."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        settings = ctx.settings
        self.settings = settings if isinstance(settings, BettingSettings) else BettingSettings()
        self.stats_cache = ctx.cache("stats")
        self.board_cache = ctx.cache("leaderboard")
        self.config_cache = ctx.cache("config")
        self._defaults: dict[int, GuildConfig] = {}

    # --- guild set-up ----------------------------------------------------------------------

    async def config(self, guild_id: int) -> GuildConfig:
        """The guild's set-up (through the cache: every pick reads it), or the defaults when
        ``/setup`` never ran. A snapshot to read: edit the one :meth:`load_config` returns."""

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

    async def load_config(self, guild_id: int) -> GuildConfig:
        """The guild's stored set-up (or unsaved defaults) from the database, to edit and pass
        to :meth:`save_config`."""
        found = await GuildConfig.filter(guild_id=guild_id).first()
        return found or self._default_config(guild_id)

    def _default_config(self, guild_id: int) -> GuildConfig:
        return GuildConfig(
            guild_id=guild_id,
            min_units=self.settings.default_min_units,
            max_units=self.settings.default_max_units,
            max_odds=self.settings.default_max_odds,
            max_payout=self.settings.default_max_payout,
        )

    async def save_config(self, config: GuildConfig, by: int, changed: dict[str, Any]) -> None:
        config.updated_by = by
        await config.save()
        await self.config_cache.delete(str(config.guild_id))
        await self.ctx.action(
            "setup.changed", user_id=by, guild_id=config.guild_id, admin=True, data=changed
        )

    # --- picks -----------------------------------------------------------------------------

    async def place(
        self,
        *,
        guild_id: int,
        user_id: int,
        interaction_id: int,
        kind: str,
        legs: Sequence[LegSpec],
        amount: Decimal,
        stake_mode: StakeMode,
        note: str | None,
        manual_game: Game | None = None,
        draft_id: int | None = None,
        checked: Sequence[Game] = (),
    ) -> tuple[Pick, list[Leg]]:
        """Place a pick (see :func:`plugins.betting.picks.place`) and report it; return the
        pick and its legs. A retry of an interaction whose pick is stored already (its first
        attempt's commit went through, its answer did not) returns that pick."""
        try:
            pick, stored = await picks.place(
                guild_id=guild_id,
                user_id=user_id,
                interaction_id=interaction_id,
                kind=kind,
                legs=legs,
                amount=amount,
                stake_mode=stake_mode,
                note=note,
                now=utcnow(),
                manual_game=manual_game,
                draft_id=draft_id,
                checked=checked,
            )
        except picks.AlreadyPlaced as placed:  # reported now: the first attempt ended at commit
            pick, stored = placed.pick, placed.legs
        await self.invalidate(guild_id)
        await self.ctx.action(
            "bet.placed",
            user_id=user_id,
            guild_id=guild_id,
            target=f"pick:{pick.id}",
            amount=pick.stake,
            interaction_id=interaction_id,
            data={"kind": kind, "legs": len(legs), "league": pick.league},
        )
        return pick, stored

    async def grade(
        self,
        pick_id: int,
        guild_id: int,
        result: Result,
        by: int,
        *,
        leg: int | None = None,
        auto: bool = False,
        reason: str = "",
    ) -> GradeOutcome:
        outcome = await grading.grade(
            pick_id, guild_id, result, by, leg=leg, auto=auto, reason=reason
        )
        if outcome.changed:
            await self.invalidate(guild_id)
            kind = "bet.corrected" if outcome.corrected else "bet.graded"
            await self.ctx.action(
                kind,
                user_id=by or None,
                guild_id=guild_id,
                target=f"pick:{pick_id}",
                admin=not auto,
                amount=outcome.pick.result_units,
                data={
                    "result": result.value,
                    "leg": leg,
                    "auto": auto,
                    "old_status": outcome.old_status,
                    "status": outcome.new_status,
                    "author": outcome.pick.user_id,
                },
            )
            await self.refresh_slip(outcome.pick)
        return outcome

    async def cancel(self, pick_id: int, guild_id: int, by: int, admin: bool) -> Pick:
        pick = await grading.cancel(pick_id, guild_id, by, "cancelled by a grader" if admin else "")
        await self.invalidate(guild_id)
        await self.ctx.action(
            "bet.cancelled", user_id=by, guild_id=guild_id, target=f"pick:{pick_id}", admin=admin
        )
        await self.refresh_slip(pick)
        return pick

    async def invalidate(self, guild_id: int) -> None:
        """Drop the guild's cached stats and leaderboards (after any change of its picks)."""
        await self.stats_cache.invalidate_tag(guild_tag(guild_id))
        await self.board_cache.invalidate_tag(guild_tag(guild_id))

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
            message = await channel.send(
                embed=embed, allowed_mentions=disnake.AllowedMentions.none()
            )
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

    async def apply_updates(self, updates: Sequence[GameUpdate]) -> list[GradeOutcome]:
        """Store a source's game updates; grade pending picks of games that just settled
        (each game's update and its grades are one transaction)."""
        outcomes: list[GradeOutcome] = []
        for update in updates:
            async with in_transaction():
                game, settled = await games.upsert(update)
                graded = await grading.auto_grade(game) if settled else []
            await self._report_auto(game, graded)
            outcomes.extend(graded)
        return outcomes

    async def settle_game(
        self, game: Game, status: games.GameStatus, home: int | None, away: int | None, by: int
    ) -> list[GradeOutcome]:
        """Record a manual game's result and grade its picks, in one transaction."""
        async with in_transaction():
            settled = await games.set_result(game, status, home, away)
            graded = await grading.auto_grade(game) if settled else []
        await self.ctx.action(
            "game.result",
            user_id=by,
            guild_id=game.guild_id,
            target=f"game:{game.id}",
            admin=True,
            data={"status": status.value, "home": home, "away": away, "graded": len(graded)},
        )
        await self._report_auto(game, graded)
        return graded

    async def _report_auto(self, game: Game, outcomes: Sequence[GradeOutcome]) -> None:
        for outcome in outcomes:
            guild_id = outcome.pick.guild_id
            await self.invalidate(guild_id)
            await self.ctx.action(
                "bet.graded",
                guild_id=guild_id,
                target=f"pick:{outcome.pick.id}",
                amount=outcome.pick.result_units,
                data={"auto": True, "status": outcome.new_status, "game": game.id},
            )
            await self.refresh_slip(outcome.pick)

    async def sync_forever(self, source: ScheduleSource) -> None:
        """Poll ``source`` every ``sync_interval`` seconds; back off (doubling, up to
        ``max_backoff``) while it fails. Runs as the plugin's background task."""
        api = self.settings.api_sports
        failures = 0
        while True:
            try:
                outcomes = await self.apply_updates(await source.fetch())
                failures = 0
                self.ctx.log.info("{} sync done: {} picks graded", source.name, len(outcomes))
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
