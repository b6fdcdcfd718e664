"""Grading: set legs' results, settle their picks, keep every change (pure database work).

Who decides a leg's result:

- the bot, from its game's result: moneyline, spread and total legs from a final score; every
  leg of a cancelled game is void; props wait for a grader;
- a grader, with ``/bet grade``. From then on the leg is the grader's: the bot never changes it
  again (a later score correction leaves it as the grader set it), until a grader grades it again.

A leg is the bot's while the latest :class:`~plugins.betting.models.GradeChange` of it is the
bot's (or it has none). Whenever a game's result changes (:func:`apply_result`), and whenever a
grader grades a leg (:func:`grade`), every leg the bot decides on the picks concerned is brought in
line with its game's result — a leg graded from a score that was then corrected is graded again;
one whose game is no longer final (a final game corrected to cancelled, a cancelled one to final
for a prop) follows — and each pick is settled again from all its legs. So whatever the order of
results, corrections and grades, a pick whose legs are all graded is settled, and its status and
payout follow from its legs. Cancelled picks are never graded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core.recovery import UserError
from plugins.betting.games import GameResult
from plugins.betting.markets import Market, Side, grade_from_score
from plugins.betting.maths import (
    GRADED,
    OddsFormat,
    Result,
    combined_odds,
    odds_fraction,
    parlay_result,
    settle,
)
from plugins.betting.models import Game, GradeChange, Leg, Pick, ResultChange
from plugins.betting.statuses import GameStatus, PickKind

BOT = 0
"""``by`` of changes the bot made."""


@dataclass(frozen=True, slots=True)
class GradeOutcome:
    """What one grading step did to one pick. ``changed``: something was recorded (a leg's
    result, its grader, or the pick's settlement); ``corrected``: a graded result was replaced."""

    pick: Pick
    old_status: str
    old_units: Decimal | None
    corrected: bool
    changed: bool

    @property
    def new_status(self) -> str:
        return self.pick.status


@dataclass(frozen=True, slots=True)
class ResultOutcome:
    """A change of a game's result, as recorded, and the picks it changed."""

    change: ResultChange
    outcomes: list[GradeOutcome]

    @property
    def corrected(self) -> bool:
        """Whether a final or cancelled result was corrected (not the game's first result)."""
        return self.change.old_status in (GameStatus.FINAL, GameStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class _Change:
    leg: Leg
    result: Result
    by: int
    reason: str

    @property
    def auto(self) -> bool:
        return self.by == BOT


def _settle(pick: Pick, legs: Sequence[Leg]) -> tuple[Result, Decimal | None]:
    """A pick's status and payout from its legs."""
    pairs = [
        (Result(leg.result), odds_fraction(OddsFormat(leg.odds_format), leg.odds_value))
        for leg in legs
    ]
    if pick.kind == PickKind.STRAIGHT:
        result, paid = pairs[0]
        full = paid
    else:
        result, paid = parlay_result(pairs)
        full = combined_odds(o for _, o in pairs)
    if result is Result.PENDING:
        return result, None
    return result, settle(result, pick.stake, pick.to_win, full, paid)


async def _locked_pick(conn: BaseDBAsyncClient, pick_id: int, guild_id: int | None) -> Pick:
    """The pick ``pick_id`` (of guild ``guild_id``, if given), locked for the rest of the
    transaction ``conn``."""
    query = (
        Pick.filter(id=pick_id) if guild_id is None else Pick.filter(id=pick_id, guild_id=guild_id)
    )
    pick = await query.using_db(conn).select_for_update().first()
    if pick is None:
        raise UserError(f"There is no pick #{pick_id} in this server.")
    return pick


async def _locked_legs(conn: BaseDBAsyncClient, pick: Pick) -> list[Leg]:
    """The pick's legs in position order, read with a lock (so the latest committed results)."""
    return await Leg.filter(pick_id=pick.id).using_db(conn).select_for_update().order_by("position")


async def _graders_legs(conn: BaseDBAsyncClient, pick: Pick) -> set[int]:
    """Positions of the pick's legs a grader graded last (the bot leaves them alone)."""
    latest: dict[int, bool] = {}
    rows = (
        await GradeChange.filter(pick_id=pick.id, leg_position__not_isnull=True)
        .using_db(conn)
        .order_by("id")
        .values_list("leg_position", "auto")
    )
    for position, auto in rows:
        latest[int(position)] = bool(auto)
    return {position for position, auto in latest.items() if not auto}


def leg_result_from_game(leg: Leg, game: Game) -> Result | None:
    """The result the bot gives ``leg`` from its game, or ``None`` (props, a game not settled)."""
    if game.status == GameStatus.CANCELLED:
        return Result.VOID
    market = Market(leg.market)
    if game.status != GameStatus.FINAL or not market.auto_graded or leg.side is None:
        return None
    if game.home_score is None or game.away_score is None:
        return None
    return grade_from_score(market, Side(leg.side), leg.line, game.home_score, game.away_score)


def _game_reason(game: Game) -> str:
    if game.status == GameStatus.FINAL:
        return f"final score {game.away} {game.away_score} @ {game.home} {game.home_score}"
    return f"game {game.status}"


async def _bot_changes(
    conn: BaseDBAsyncClient, pick: Pick, legs: Sequence[Leg], graders: set[int]
) -> list[_Change]:
    """The legs of ``pick`` the bot decides (not in ``graders``) whose result differs from the
    one their game's result gives (pending when it gives none)."""
    ids = {leg.game_id for leg in legs if leg.position not in graders}
    found = {g.id: g for g in await Game.filter(id__in=ids).using_db(conn)} if ids else {}
    changes = []
    for leg in legs:
        if leg.position in graders:
            continue
        game = found[leg.game_id]
        result = leg_result_from_game(leg, game) or Result.PENDING
        if result.value != leg.result:
            changes.append(_Change(leg, result, BOT, _game_reason(game)))
    return changes


async def _apply(
    conn: BaseDBAsyncClient,
    pick: Pick,
    legs: Sequence[Leg],
    changes: Sequence[_Change],
    by: int,
    reason: str,
) -> GradeOutcome:
    """Record ``changes`` of legs of ``pick`` (locked, with all its ``legs``) and settle the pick
    again from its legs; the pick's own change is recorded as ``by``'s."""
    old_status, old_units = pick.status, pick.result_units
    corrected = False
    for change in changes:
        corrected = corrected or (
            change.leg.result != Result.PENDING and change.leg.result != change.result
        )
        await GradeChange.create(
            pick_id=pick.id,
            leg_position=change.leg.position,
            old=change.leg.result,
            new=change.result.value,
            by=change.by,
            auto=change.auto,
            reason=change.reason,
            using_db=conn,
        )
        if change.leg.result != change.result:
            change.leg.result = change.result.value
            await change.leg.save(using_db=conn, update_fields=["result"])
    status, units = _settle(pick, legs)
    settled_again = status.value != pick.status or units != pick.result_units
    if settled_again:
        if status.value != pick.status:
            await GradeChange.create(
                pick_id=pick.id,
                leg_position=None,
                old=pick.status,
                new=status.value,
                by=by,
                auto=by == BOT,
                reason=reason,
                using_db=conn,
            )
        graded = status is not Result.PENDING
        pick.status = status.value
        pick.result_units = units
        pick.graded_at = datetime.now(UTC) if graded else None
        pick.graded_by = by if graded else None
        await pick.save(
            using_db=conn, update_fields=["status", "result_units", "graded_at", "graded_by"]
        )
    return GradeOutcome(pick, old_status, old_units, corrected, bool(changes) or settled_again)


async def grade(
    pick_id: int,
    guild_id: int,
    result: Result,
    by: int,
    *,
    leg: int | None = None,
    reason: str = "",
) -> GradeOutcome:
    """A grader sets the result of a straight pick, or of leg ``leg`` (1-based) of a parlay; the
    leg is the grader's from then on. The pick's other legs the bot decides are brought in line
    with their games, and the pick is settled again; one transaction. Grading a graded leg again
    is a correction (recorded)."""
    if result not in GRADED:
        raise UserError("A result is won, lost, push or void.")
    async with in_transaction() as conn:
        pick = await _locked_pick(conn, pick_id, guild_id)
        if pick.status == Result.CANCELLED:
            raise UserError(f"Pick #{pick_id} was cancelled; it cannot be graded.")
        legs = await _locked_legs(conn, pick)
        if pick.kind == PickKind.PARLAY and leg is None:
            raise UserError(
                f"Pick #{pick_id} is a parlay: grade one leg at a time (leg 1 to {len(legs)})."
            )
        index = (leg or 1) - 1
        if not 0 <= index < len(legs):
            raise UserError(f"Pick #{pick_id} has legs 1 to {len(legs)}.")
        target = legs[index]
        graders = await _graders_legs(conn, pick)
        changes = []
        if target.result != result or target.position not in graders:
            changes.append(_Change(target, result, by, reason))  # a grade, or taking it over
        changes += await _bot_changes(conn, pick, legs, graders | {target.position})
        return await _apply(conn, pick, legs, changes, by, reason)


async def cancel(pick_id: int, guild_id: int, by: int, reason: str) -> Pick:
    """Mark a pending pick cancelled (kept, paying nothing, left out of every record)."""
    async with in_transaction() as conn:
        pick = await _locked_pick(conn, pick_id, guild_id)
        if pick.status != Result.PENDING:
            raise UserError(
                f"Pick #{pick_id} is {pick.status}; only pending picks can be cancelled "
                "(a grader can correct a result with /bet grade)."
            )
        await GradeChange.create(
            pick_id=pick.id,
            old=pick.status,
            new=Result.CANCELLED.value,
            by=by,
            reason=reason,
            using_db=conn,
        )
        pick.status = Result.CANCELLED.value
        pick.result_units = Decimal("0.00")
        pick.graded_at = datetime.now(UTC)
        pick.graded_by = by
        await pick.save(
            using_db=conn, update_fields=["status", "result_units", "graded_at", "graded_by"]
        )
    return pick


async def auto_grade(game: Game) -> list[GradeOutcome]:
    """Bring every leg on ``game`` that the bot decides in line with the game's result, and
    settle their picks again (cancelled picks aside); return the picks that changed."""
    outcomes = []
    async with in_transaction() as conn:
        rows = (
            await Leg.filter(game_id=game.id)
            .exclude(pick__status=Result.CANCELLED.value)
            .using_db(conn)
            .values("pick_id")
        )
        for pick_id in sorted({int(row["pick_id"]) for row in rows}):  # one lock order for all
            pick = await _locked_pick(conn, pick_id, None)
            if pick.status == Result.CANCELLED:
                continue
            legs = await _locked_legs(conn, pick)
            changes = await _bot_changes(conn, pick, legs, await _graders_legs(conn, pick))
            if changes:
                outcomes.append(await _apply(conn, pick, legs, changes, BOT, _game_reason(game)))
    return outcomes


async def apply_result(game: Game, before: GameResult, by: int) -> ResultOutcome:
    """``game``'s result just changed from ``before`` (see :meth:`GameResult.grades_picks`):
    re-grade its picks and record the change with how many picks it changed; one transaction."""
    async with in_transaction() as conn:
        outcomes = await auto_grade(game)
        after = GameResult.of(game)
        change = await ResultChange.create(
            game_id=game.id,
            **before.columns("old"),
            **after.columns("new"),
            by=by,
            picks_changed=len(outcomes),
            using_db=conn,
        )
    return ResultOutcome(change, outcomes)
