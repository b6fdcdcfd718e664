"""The betting plugin's tables (Tortoise app ``betting``).

Nothing here is ever deleted: picks stay ``pending`` until graded, voided or cancelled, and
every change of a result is kept in :class:`GradeChange`. Discord objects are referred to by id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tortoise import fields
from tortoise.models import Model

from plugins.betting.maths import OddsFormat, Result, StakeMode
from plugins.betting.statuses import DraftStatus, GameStatus


class GuildConfig(Model):
    """A guild's betting set-up (``/setup``). A guild without a row uses the defaults."""

    guild_id = fields.BigIntField(primary_key=True)
    picks_channel_id = fields.BigIntField(null=True)
    grader_role_id = fields.BigIntField(null=True)
    capper_role_id = fields.BigIntField(null=True)
    min_units = fields.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.5"))
    max_units = fields.DecimalField(max_digits=10, decimal_places=2, default=Decimal("10"))
    self_grading = fields.BooleanField(default=False)
    odds_format = fields.CharField(max_length=8, default=OddsFormat.AMERICAN.value)
    stake_mode = fields.CharField(max_length=4, default=StakeMode.RISK.value)
    max_odds = fields.DecimalField(max_digits=12, decimal_places=2, default=Decimal("1001"))
    """The highest combined decimal odds a pick may have (1001: American +100000)."""
    max_payout = fields.DecimalField(max_digits=14, decimal_places=2, default=Decimal("10000"))
    """The most units a pick may win."""
    updated_by = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "betting_guild_config"


class Game(Model):
    """A scheduled game. ``guild_id`` is null for games from a schedule source (every guild
    sees them) and set for games a guild added by hand (``/game add`` or a manual matchup)."""

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField(null=True, db_index=True)
    source = fields.CharField(max_length=16)
    external_id = fields.CharField(max_length=64, null=True)
    league = fields.CharField(max_length=64, db_index=True)
    sport = fields.CharField(max_length=24, null=True)  # an API-Sports sport; null: manual
    home = fields.CharField(max_length=64)
    away = fields.CharField(max_length=64)
    venue = fields.CharField(max_length=128, null=True)
    city = fields.CharField(max_length=64, null=True)
    starts_at = fields.DatetimeField(null=True, db_index=True)
    status = fields.CharField(max_length=16, default=GameStatus.SCHEDULED.value)
    home_score = fields.IntField(null=True)  # the score that grades picks (see docs)
    away_score = fields.IntField(null=True)
    ended_in = fields.CharField(max_length=16, null=True)  # regulation, overtime, shootout...
    created_by = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "betting_game"
        unique_together = (("source", "external_id"),)

    @property
    def matchup(self) -> str:
        return f"{self.away} @ {self.home}"


class Pick(Model):
    """One pick (straight) or parlay; its legs hold what was picked."""

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField(db_index=True)
    user_id = fields.BigIntField(db_index=True)
    interaction_id = fields.BigIntField(unique=True)
    kind = fields.CharField(max_length=8)  # a PickKind
    league = fields.CharField(max_length=64, db_index=True)  # "mixed" for multi-league parlays
    stake = fields.DecimalField(max_digits=12, decimal_places=2)
    to_win = fields.DecimalField(max_digits=14, decimal_places=2)
    stake_mode = fields.CharField(max_length=4)
    odds_decimal = fields.DecimalField(max_digits=16, decimal_places=4)  # combined, for stats
    status = fields.CharField(max_length=10, default=Result.PENDING.value, db_index=True)
    result_units = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    note = fields.CharField(max_length=500, null=True)
    channel_id = fields.BigIntField(null=True)
    message_id = fields.BigIntField(null=True)
    placed_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    graded_at = fields.DatetimeField(null=True)
    graded_by = fields.BigIntField(null=True)  # 0: the bot

    legs: fields.ReverseRelation[Leg]

    class Meta:
        table = "betting_pick"


class Leg(Model):
    """One selection of a pick; a straight pick has exactly one."""

    id = fields.IntField(primary_key=True)
    pick: fields.ForeignKeyRelation[Pick] = fields.ForeignKeyField(
        "betting.Pick", related_name="legs", on_delete=fields.RESTRICT, db_index=True
    )
    position = fields.SmallIntField()
    game: fields.ForeignKeyRelation[Game] = fields.ForeignKeyField(
        "betting.Game", related_name="legs", on_delete=fields.RESTRICT, db_index=True
    )
    league = fields.CharField(max_length=64)
    matchup = fields.CharField(max_length=140)
    market = fields.CharField(max_length=10)
    side = fields.CharField(max_length=5, null=True)  # home/away/over/under; null for props
    selection = fields.CharField(max_length=200)
    line = fields.DecimalField(max_digits=8, decimal_places=2, null=True)
    odds_format = fields.CharField(max_length=8)
    odds_value = fields.DecimalField(max_digits=12, decimal_places=4)
    result = fields.CharField(max_length=8, default=Result.PENDING.value, db_index=True)

    game_id: int
    pick_id: int

    class Meta:
        table = "betting_leg"


class Change(Model):
    """What every kept change has: who made it and when."""

    id = fields.IntField(primary_key=True)
    by = fields.BigIntField()  # 0: the bot (a grader, a schedule source)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True


class GradeChange(Change):
    """Every change of a pick's or leg's result: first grades, corrections, cancellations."""

    pick: fields.ForeignKeyRelation[Pick] = fields.ForeignKeyField(
        "betting.Pick", related_name="changes", on_delete=fields.RESTRICT
    )
    leg_position = fields.SmallIntField(null=True)  # null: the pick as a whole
    old = fields.CharField(max_length=10)
    new = fields.CharField(max_length=10)
    auto = fields.BooleanField(default=False)
    reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "betting_grade_change"


class ResultChange(Change):
    """Every change of a game's result: the first final score and each correction after it."""

    game: fields.ForeignKeyRelation[Game] = fields.ForeignKeyField(
        "betting.Game", related_name="result_changes", on_delete=fields.RESTRICT
    )
    old_status = fields.CharField(max_length=16)
    new_status = fields.CharField(max_length=16)
    old_home = fields.IntField(null=True)
    old_away = fields.IntField(null=True)
    new_home = fields.IntField(null=True)
    new_away = fields.IntField(null=True)
    picks_changed = fields.IntField(default=0)

    game_id: int

    class Meta:
        table = "betting_result_change"


class Draft(Model):
    """A pick being built by the guided flow or the parlay builder, until confirmed.

    ``legs`` holds JSON objects with the fields of :class:`Leg` (numbers as strings).
    """

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField()
    user_id = fields.BigIntField(db_index=True)
    kind = fields.CharField(max_length=8)  # a PickKind
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    note = fields.CharField(max_length=500, null=True)
    legs: Any = fields.JSONField(default=list)
    status = fields.CharField(max_length=10, default=DraftStatus.OPEN.value)
    pick_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "betting_draft"
