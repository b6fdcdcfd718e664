"""The betting API's answers and bodies (the OpenAPI document's schemas are made from them).

Discord ids are strings (they do not fit a JavaScript number); units and odds are decimals,
written as strings so that no digit is lost.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from plugins.betting.maths import GRADED, OddsFormat, Result, StakeMode
from plugins.betting.records import Period
from plugins.betting.statuses import GameStatus, PickKind

Snowflake = str
"""A Discord id, as a string of digits."""


class RecordOut(BaseModel):
    """A capper's record over some graded picks (as ``/stats`` shows it)."""

    won: int
    lost: int
    push: int
    void: int
    """Void picks: counted apart, left out of every rate."""
    units: Decimal
    """Units won (negative: lost)."""
    risked: Decimal
    win_rate: Decimal | None
    """Won / (won + lost) in percent; ``null`` before any decided pick."""
    roi: Decimal | None
    """Units won / units risked in percent."""
    average_odds: Decimal | None
    """The mean decimal odds of picks with action."""
    streak: str
    """``W3``, ``L1``, or empty."""
    best_win: Decimal | None
    best_win_pick: int | None


class StandingOut(BaseModel):
    """One row of the leaderboard."""

    rank: int
    user_id: Snowflake
    name: str
    record: RecordOut


class SeriesPoint(BaseModel):
    """Cumulative units after a graded pick."""

    at: datetime
    units: Decimal


class SummaryOut(BaseModel):
    """A server's betting at a glance (its dashboard home)."""

    open_picks: int
    top: list[StandingOut]
    """The top cappers of all time by units."""
    recent: list[PickOut]
    """The latest graded picks."""


class CapperOut(BaseModel):
    """A capper's profile: the record of a period and its units over time."""

    user_id: Snowflake
    name: str
    period: Period
    league: str | None
    record: RecordOut
    series: list[SeriesPoint]
    """Cumulative units after each graded pick, oldest first; beyond 250 picks, 250 evenly
    spaced points (the first and the last among them)."""


class LegOut(BaseModel):
    position: int
    game_id: int
    league: str
    matchup: str
    market: str
    selection: str
    line: Decimal | None
    odds: str
    """As the capper entered them (``-110``, ``1.91``)."""
    result: Result


class PickOut(BaseModel):
    """A pick (straight or parlay) with its legs."""

    id: int
    user_id: Snowflake
    name: str
    kind: PickKind
    league: str
    stake: Decimal
    to_win: Decimal
    odds_decimal: Decimal
    """The combined decimal odds."""
    status: Result
    result_units: Decimal | None
    note: str | None
    placed_at: datetime
    graded_at: datetime | None
    legs: list[LegOut]

    @property
    def pending(self) -> bool:
        return self.status is Result.PENDING


class GamePickOut(BaseModel):
    """A pick's leg on a game."""

    pick_id: int
    user_id: Snowflake
    name: str
    kind: PickKind
    selection: str
    market: str
    line: Decimal | None
    odds: str
    stake: Decimal
    result: Result
    """The leg's result."""
    pick_status: Result


class GameOut(BaseModel):
    """A game the server's cappers picked (or added), with its score and the picks on it."""

    id: int
    league: str
    home: str
    away: str
    starts_at: datetime | None
    status: GameStatus
    home_score: int | None
    away_score: int | None
    pick_count: int
    """How many picks of the server are on the game."""
    picks: list[GamePickOut]
    """The newest of them (at most 10)."""

    @property
    def has_final_score(self) -> bool:
        """Whether the game is final with its score known (the page shows the score)."""
        return self.status is GameStatus.FINAL and self.home_score is not None


class SettingsOut(BaseModel):
    """The server's betting set-up (``/setup``)."""

    picks_channel_id: Snowflake | None
    grader_role_id: Snowflake | None
    capper_role_id: Snowflake | None
    """``null``: everyone may post picks."""
    min_units: Decimal
    max_units: Decimal
    self_grading: bool
    odds_format: OddsFormat
    stake_mode: StakeMode
    max_odds: Decimal
    max_payout: Decimal


class SettingsPatch(BaseModel):
    """What to change of the set-up; fields left out keep their value (as ``/setup``'s options).
    Numbers are text, checked as ``/setup`` checks them."""

    model_config = ConfigDict(extra="forbid")

    picks_channel_id: Snowflake | None = Field(default=None, max_length=20)
    """A text channel of the server."""
    grader_role_id: Snowflake | None = Field(default=None, max_length=20)
    capper_role_id: Snowflake | None = Field(default=None, max_length=20)
    everyone_may_post: bool | None = None
    """``true`` drops the capper role."""
    min_units: str | None = Field(default=None, max_length=12)
    max_units: str | None = Field(default=None, max_length=12)
    self_grading: bool | None = None
    odds_format: str | None = Field(default=None, max_length=12)
    """``american`` or ``decimal``."""
    stake_mode: str | None = Field(default=None, max_length=12)
    """``risk`` or ``win``."""
    max_odds: str | None = Field(default=None, max_length=12)
    max_payout: str | None = Field(default=None, max_length=16)


def _grade(value: object, handler: ValidatorFunctionWrapHandler) -> Result:
    """A grade's result; a refusal names the values a client sends, not the members' reprs."""
    try:
        result: Result = handler(value)
    except ValidationError:
        *first, last = (repr(str(r)) for r in GRADED)
        message = f"Input should be {', '.join(first)} or {last}"
        raise PydanticCustomError("literal_error", message) from None
    return result


Grade = Annotated[Literal[Result.WON, Result.LOST, Result.PUSH, Result.VOID], WrapValidator(_grade)]
"""One of :data:`~plugins.betting.maths.GRADED` (the OpenAPI document lists their values)."""


class GradeBody(BaseModel):
    """A grade, as ``/bet grade`` takes it."""

    model_config = ConfigDict(extra="forbid")

    result: Grade
    leg: int | None = Field(default=None, ge=1, le=12)
    """For a parlay: the leg's number."""


class GradeOut(BaseModel):
    """What a grade did: the pick now, and whether it replaced a graded result."""

    pick: PickOut
    corrected: bool
    changed: bool
    """Whether anything was recorded (grading again with the same result records nothing)."""
    old_status: Result
