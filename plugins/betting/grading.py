"""Grading: set a leg's result, settle the pick, keep every change (pure database work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core.recovery import UserError
from plugins.betting.games import GameStatus
from plugins.betting.markets import Market, Side, grade_from_score
from plugins.betting.maths import (
    OddsFormat,
    Result,
    combined_odds,
    odds_fraction,
    parlay_result,
    settle,
)
from plugins.betting.models import Game, GradeChange, Leg, Pick

BOT = 0
"""``by`` of changes the bot made."""
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class GradeOutcome:
    """What a grade changed. ``corrected`` is true when a graded result was replaced."""

    pick: Pick
    old_status: str
    new_status: str
    corrected: bool
    changed: bool


def _settle(pick: Pick, legs: list[Leg]) -> tuple[Result, Decimal | None]:
    pairs = [
        (Result(leg.result), odds_fraction(OddsFormat(leg.odds_format), leg.odds_value))
        for leg in legs
    ]
    if pick.kind == "straight":
        result, paid = pairs[0]
        full = paid
    else:
        result, paid = parlay_result(pairs)
        full = combined_odds(o for _, o in pairs)
    if result is Result.PENDING:
        return result, None
    return result, settle(result, pick.stake, pick.to_win, full, paid)


async def _locked_pick(conn: BaseDBAsyncClient, pick_id: int, guild_id: int) -> Pick:
    """The guild's pick ``pick_id``, locked for the rest of the transaction ``conn``."""
    pick = (
        await Pick.filter(id=pick_id, guild_id=guild_id).using_db(conn).select_for_update().first()
    )
    if pick is None:
        raise UserError(f"There is no pick #{pick_id} in this server.")
    return pick


async def grade(
    pick_id: int,
    guild_id: int,
    result: Result,
    by: int,
    *,
    leg: int | None = None,
    auto: bool = False,
    reason: str = "",
) -> GradeOutcome:
    """Set the result of a straight pick, or of leg ``leg`` (1-based) of a parlay, and settle
    the pick; one transaction. Grading a graded pick again is a correction (recorded)."""
    if result is Result.PENDING:
        raise UserError("A result is won, lost, push or void.")
    async with in_transaction() as conn:
        pick = await _locked_pick(conn, pick_id, guild_id)
        if pick.status == CANCELLED:
            raise UserError(f"Pick #{pick_id} was cancelled; it cannot be graded.")
        legs = await Leg.filter(pick_id=pick.id).using_db(conn).order_by("position")
        if pick.kind == "parlay" and leg is None:
            raise UserError(
                f"Pick #{pick_id} is a parlay: grade one leg at a time (leg 1 to {len(legs)})."
            )
        index = (leg or 1) - 1
        if not 0 <= index < len(legs):
            raise UserError(f"Pick #{pick_id} has legs 1 to {len(legs)}.")
        target = legs[index]
        old_status = pick.status
        corrected = target.result != Result.PENDING
        changed = target.result != result
        if changed:
            await GradeChange.create(
                pick_id=pick.id,
                leg_position=target.position,
                old=target.result,
                new=result.value,
                by=by,
                auto=auto,
                reason=reason,
                using_db=conn,
            )
            target.result = result.value
            await target.save(using_db=conn, update_fields=["result"])
        status, units = _settle(pick, legs)
        if status.value != pick.status or units != pick.result_units:
            if status.value != pick.status:
                await GradeChange.create(
                    pick_id=pick.id,
                    leg_position=None,
                    old=pick.status,
                    new=status.value,
                    by=by,
                    auto=auto,
                    reason=reason,
                    using_db=conn,
                )
            pick.status = status.value
            pick.result_units = units
            pick.graded_at = datetime.now(UTC) if status is not Result.PENDING else None
            pick.graded_by = by if status is not Result.PENDING else None
            await pick.save(
                using_db=conn, update_fields=["status", "result_units", "graded_at", "graded_by"]
            )
    return GradeOutcome(pick, old_status, pick.status, corrected and changed, changed)


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
            pick_id=pick.id, old=pick.status, new=CANCELLED, by=by, reason=reason, using_db=conn
        )
        pick.status = CANCELLED
        pick.result_units = Decimal("0.00")
        pick.graded_at = datetime.now(UTC)
        pick.graded_by = by
        await pick.save(
            using_db=conn, update_fields=["status", "result_units", "graded_at", "graded_by"]
        )
    return pick


def leg_result_from_game(leg: Leg, game: Game) -> Result | None:
    """The result the bot gives ``leg`` from its settled game, or ``None`` (props, no score)."""
    if game.status == GameStatus.CANCELLED:
        return Result.VOID
    market = Market(leg.market)
    if game.status != GameStatus.FINAL or not market.auto_graded or leg.side is None:
        return None
    if game.home_score is None or game.away_score is None:
        return None
    return grade_from_score(market, Side(leg.side), leg.line, game.home_score, game.away_score)


async def auto_grade(game: Game) -> list[GradeOutcome]:
    """Grade every pending leg on a final (or cancelled) game that the bot can grade."""
    legs = await Leg.filter(game_id=game.id, result=Result.PENDING, pick__status=Result.PENDING)
    outcomes = []
    for leg in legs:
        result = leg_result_from_game(leg, game)
        if result is None:
            continue
        pick = await Pick.get(id=leg.pick_id)
        outcomes.append(
            await grade(
                pick.id,
                pick.guild_id,
                result,
                BOT,
                leg=leg.position,
                auto=True,
                reason=f"final score {game.away} {game.away_score} @ {game.home} {game.home_score}"
                if game.status == GameStatus.FINAL
                else "game cancelled",
            )
        )
    return outcomes
