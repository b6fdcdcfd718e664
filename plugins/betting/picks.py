"""Placing picks: checks that need the database, then one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.recovery import UserError
from core.rows import insert_with_children
from core.validation import ValidationError
from plugins.betting import games
from plugins.betting.legs import LegSpec
from plugins.betting.limits import Limits
from plugins.betting.maths import StakeMode, combined_odds, round_half_up
from plugins.betting.models import Draft, Game, Leg, Pick
from plugins.betting.statuses import DraftStatus, PickKind

MIN_PARLAY_LEGS = 2
MAX_PARLAY_LEGS = 12
MIXED = "mixed"


def check_leg_count(kind: PickKind, count: int) -> None:
    """A straight pick has one leg; a parlay 2 to 12."""
    if kind == PickKind.STRAIGHT and count != 1:
        raise ValidationError("legs", "a straight pick has exactly one selection", count)
    if kind == PickKind.PARLAY and not MIN_PARLAY_LEGS <= count <= MAX_PARLAY_LEGS:
        rule = f"a parlay has {MIN_PARLAY_LEGS} to {MAX_PARLAY_LEGS} legs"
        raise ValidationError("legs", rule, count)


@dataclass(frozen=True, slots=True)
class PickOrder:
    """What a member asks to place, however they ask (``/bet straight``, a draft, the API).

    ``manual_game`` is an unsaved game for a manual matchup (the leg with ``game_id`` 0 refers
    to it); it is created in the same transaction as the pick. ``checked`` are games the caller
    has just read and found open in this interaction (``/bet straight``): they are not read
    again (a read is not a lock, so reading them again would only narrow a race of
    milliseconds, not close it). ``draft_id`` is the draft being confirmed; it is marked placed
    in the same transaction (a second confirmation fails).
    """

    guild_id: int
    user_id: int
    interaction_id: int
    kind: PickKind
    legs: Sequence[LegSpec]
    amount: Decimal
    note: str | None = None
    manual_game: Game | None = None
    draft_id: int | None = None
    checked: Sequence[Game] = ()


async def place(
    order: PickOrder, *, stake_mode: StakeMode, limits: Limits, now: datetime
) -> tuple[Pick, list[Leg]]:
    """Store a pick and its legs all or none, after checking every game is still open at
    ``now`` (one statement on PostgreSQL when the caller read every game and nothing else is
    written with them, else one transaction); return both (the legs as stored, in position
    order, for the reply and the slip).

    The order's ``amount`` in ``stake_mode`` and the legs' combined odds must be within the
    guild's ``limits`` (checked here, for every way of placing a pick: the units of a draft were
    checked against the set-up of when it was made). The interaction id is unique, so a second
    delivery of the same interaction (e.g. from another process) cannot write a second pick.
    """
    kind, legs = order.kind, order.legs
    guild_id, interaction_id, manual_game = order.guild_id, order.interaction_id, order.manual_game
    check_leg_count(kind, len(legs))
    if len({leg.game_id for leg in legs}) != len(legs) and kind == PickKind.PARLAY:
        raise ValidationError("legs", "a parlay may have only one leg per game")
    odds = combined_odds(leg.odds for leg in legs)
    stake, to_win = limits.terms(stake_mode, limits.amount(order.amount, stake_mode), odds)
    leagues = {leg.league for leg in legs}
    pick = Pick(
        guild_id=guild_id,
        user_id=order.user_id,
        interaction_id=interaction_id,
        kind=PickKind(kind).value,
        league=leagues.pop() if len(leagues) == 1 else MIXED,
        stake=stake,
        to_win=to_win,
        stake_mode=stake_mode.value,
        odds_decimal=round_half_up(odds, 4),
        note=order.note,
    )
    found = {g.id: g for g in order.checked}
    alone = manual_game is None and order.draft_id is None  # nothing else written with it
    try:
        if alone and all(leg.game_id in found for leg in legs):
            _require_open(legs, found, now)
            stored = _leg_rows(legs)
            await insert_with_children(pick, stored, "pick_id")  # one statement on PostgreSQL
            return pick, stored
        async with in_transaction() as conn:
            if manual_game is not None:
                await manual_game.save(using_db=conn)
                found[manual_game.id] = manual_game
                legs = [
                    replace(leg, game_id=manual_game.id) if not leg.game_id else leg for leg in legs
                ]
            if missing := [leg.game_id for leg in legs if leg.game_id not in found]:
                rows = await Game.filter(id__in=missing).using_db(conn)
                found.update((g.id, g) for g in rows if games.is_visible(g, guild_id))
            _require_open(legs, found, now)
            stored = _leg_rows(legs)
            await insert_with_children(pick, stored, "pick_id", using_db=conn)
            if order.draft_id is not None:
                claimed = (
                    await Draft.filter(id=order.draft_id, status=DraftStatus.OPEN.value)
                    .using_db(conn)
                    .update(status=DraftStatus.PLACED.value, pick_id=pick.id)
                )
                if not claimed:
                    raise UserError("This draft was already placed or cancelled.")
    except IntegrityError:
        existing = await Pick.filter(interaction_id=interaction_id).first()
        if existing is None:
            raise
        legs_of = await Leg.filter(pick_id=existing.id).order_by("position")
        raise AlreadyPlaced(existing, legs_of) from None
    return pick, stored


def _require_open(legs: Sequence[LegSpec], found: dict[int, Game], now: datetime) -> None:
    """Every leg's game is among ``found`` (the games this guild sees) and open at ``now``."""
    for leg in legs:
        game = found.get(leg.game_id)
        if game is None:
            raise ValidationError("game", "unknown game: pick one from the list", leg.game_id)
        games.require_open(game, now)


def _leg_rows(legs: Sequence[LegSpec]) -> list[Leg]:
    """The legs as new rows, numbered from 1 (their pick is set when it is stored)."""
    return [
        Leg(
            position=i,
            game_id=leg.game_id,
            league=leg.league,
            matchup=leg.matchup,
            market=leg.market.value,
            side=leg.side.value if leg.side else None,
            selection=leg.selection,
            line=leg.line,
            odds_format=leg.odds_format.value,
            odds_value=leg.odds_value,
        )
        for i, leg in enumerate(legs, start=1)
    ]


class AlreadyPlaced(Exception):
    """This interaction's pick is stored already: an earlier attempt's commit went through
    although its answer was lost (a cut connection), or the interaction was delivered twice."""

    def __init__(self, pick: Pick, legs: list[Leg]) -> None:
        super().__init__(f"pick #{pick.id} is stored already")
        self.pick = pick
        self.legs = legs


async def set_slip(pick: Pick, channel_id: int, message_id: int) -> None:
    """Remember where the pick's bet slip was posted (to update it when graded)."""
    pick.channel_id, pick.message_id = channel_id, message_id
    await pick.save(update_fields=["channel_id", "message_id"])


async def load(pick_id: int, guild_id: int) -> tuple[Pick, list[Leg]]:
    pick = await Pick.filter(id=pick_id, guild_id=guild_id).first()
    if pick is None:
        raise UserError(f"There is no pick #{pick_id} in this server.")
    legs = await Leg.filter(pick_id=pick.id).order_by("position")
    return pick, legs


async def has_started(legs: Sequence[Leg], now: datetime) -> bool:
    """Whether any leg's game is no longer open."""
    ids = [leg.game_id for leg in legs]
    return any(not games.is_open(g, now) for g in await Game.filter(id__in=ids))
