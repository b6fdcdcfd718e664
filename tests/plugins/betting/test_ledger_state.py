"""The ledger proof (issue 14, item 10): random sequences of everything that moves units.

A hypothesis state machine places straight picks and parlays, cancels picks, grades and corrects
legs by hand, and posts game results and corrections (``/game result`` for manual games, schedule
updates for a source's game) through the betting service of a running App (real plugin context,
real cache) on SQLite, PostgreSQL and MariaDB. It keeps its own model — each game's result and
each leg a grader graded — and after every step checks, from the rows:

- every leg's result is the one the rules give: the grader's when a grader graded it, else its
  game's (``grade_from_score`` from a final score, void for a cancelled game, pending otherwise);
- every pick's status and payout follow from its legs and stake (recomputed with
  :mod:`plugins.betting.maths`), so a pick whose legs are all graded is settled;
- each member's units (and won/lost/push/void) equal the sum over their settled picks of those
  recomputed payouts, and ``record()`` and ``standings()`` — through the cache — say the same;
- no step raises anything but a refusal (``UserError`` / ``ValidationError``), and a refusal
  happens exactly when the rules say (cancelling a pick that is not pending, grading a cancelled
  pick, placing on a settled game or beyond the guild's limits).

Each example runs in a guild of its own, so examples share the database but not their picks, and
starts with four games, a parlay on all of them and a straight pick. Up to 40 examples of 15
steps per database (about 20 s for the three). Run against the behaviour before issue 14 (a
correction re-grading nothing; a lost parlay's other legs never graded) it fails within the
first examples on every database.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path
from typing import ClassVar, TypeVar

import pytest
from betting_support import running
from db_backends import BACKENDS, fresh_database  # type: ignore[import-not-found]
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.recovery import UserError
from core.validation import ValidationError
from plugins.betting import games
from plugins.betting.games import GameStatus, GameUpdate
from plugins.betting.legs import LegSpec
from plugins.betting.markets import Market, Side, grade_from_score
from plugins.betting.maths import (
    OddsFormat,
    Result,
    StakeMode,
    combined_odds,
    odds_fraction,
    parlay_result,
    settle,
    stake_and_win,
)
from plugins.betting.models import Game, Leg, Pick, ResultChange
from plugins.betting.picks import PickOrder
from plugins.betting.records import Metric, Period
from plugins.betting.service import Betting
from plugins.betting.statuses import PickKind

T = TypeVar("T")
REFUSALS = (UserError, ValidationError)
MEMBERS = (11, 12, 13)
GRADER = 99
SOURCE = "ledger-test"
guild_ids = itertools.count(7_000_000)
interaction_ids = itertools.count(8_000_000)
external_ids = itertools.count(1)

SELECTIONS = st.one_of(
    st.tuples(st.just(Market.MONEYLINE), st.sampled_from([Side.HOME, Side.AWAY]), st.none()),
    st.tuples(
        st.just(Market.SPREAD),
        st.sampled_from([Side.HOME, Side.AWAY]),
        st.sampled_from([D("-1.5"), D("-1"), D("0.5"), D("3")]),
    ),
    st.tuples(
        st.just(Market.TOTAL),
        st.sampled_from([Side.OVER, Side.UNDER]),
        st.sampled_from([D("0.5"), D("3"), D("4.5")]),
    ),
    st.tuples(st.just(Market.PROP), st.none(), st.just(D("1.5"))),
)
ODDS = st.sampled_from([D(-110), D(100), D(150), D(-250), D(-100), D(1000), D(-10000)])
UNITS = st.sampled_from([D("0.50"), D("1"), D("2.35"), D("10")])
SCORES = st.integers(min_value=0, max_value=4)
GRADES = st.sampled_from([Result.WON, Result.LOST, Result.PUSH, Result.VOID])
GAME = st.integers(min_value=0, max_value=3)  # an index into Ledger.games
PARLAY_LEGS = st.lists(
    st.tuples(GAME, SELECTIONS, ODDS), min_size=2, max_size=4, unique_by=lambda leg: leg[0]
)
Picked = list[tuple[int, tuple[Market, Side | None, D | None], D]]


@dataclass
class ModelLeg:
    game: int  # index into Ledger.games
    market: Market
    side: Side | None
    line: D | None
    odds: Fraction


@dataclass
class ModelPick:
    id: int
    user: int
    kind: str
    stake: D
    to_win: D
    legs: list[ModelLeg]
    cancelled: list[Result] | None = None  # cancelled: its legs' results then (kept for good)
    graded: dict[int, Result] = field(default_factory=dict)  # position: a grader's result


@dataclass
class ModelGame:
    id: int
    manual: bool
    result: tuple[str, int | None, int | None] = ("scheduled", None, None)
    changes: int = 0  # result changes that grade picks (rows of betting_result_change)


def settlement(kind: str, stake: D, to_win: D, legs: list[tuple[Result, Fraction]]) -> D | None:
    """A pick's payout from its legs' results and odds (``None`` while pending), from scratch."""
    if kind == "straight":
        [(result, odds)] = legs
        full = paid = odds
    else:
        result, paid = parlay_result(legs)
        full = combined_odds(o for _, o in legs)
    return None if result is Result.PENDING else settle(result, stake, to_win, full, paid)


def status_of(kind: str, legs: list[tuple[Result, Fraction]]) -> Result:
    return legs[0][0] if kind == "straight" else parlay_result(legs)[0]


class Ledger(RuleBasedStateMachine):
    """Bound to a running App by :func:`test_the_ledger_holds` (its loop, its service)."""

    loop: ClassVar[asyncio.AbstractEventLoop]
    betting: ClassVar[Betting]

    def __init__(self) -> None:
        super().__init__()
        self.guild = next(guild_ids)
        self.games: list[ModelGame] = []
        self.picks: list[ModelPick] = []
        self.externals: dict[int, str] = {}  # a source's game: its external id

    def run(self, work: Awaitable[T]) -> T:
        """Run ``work`` on the App's loop (the machine runs in a thread of its own)."""

        async def wrapped() -> T:
            return await work

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout=60)

    def call(self, work: Awaitable[T]) -> T | None:
        """:meth:`run`; ``None`` when ``work`` was refused (a member-facing error)."""
        try:
            return self.run(work)
        except REFUSALS:
            return None

    # --- the model's view ----------------------------------------------------------------

    def expected_leg(self, pick: ModelPick, position: int) -> Result:
        if pick.cancelled is not None:
            return pick.cancelled[position - 1]
        if position in pick.graded:
            return pick.graded[position]
        leg = pick.legs[position - 1]
        status, home, away = self.games[leg.game].result
        if status == GameStatus.CANCELLED:
            return Result.VOID
        if status == GameStatus.FINAL and leg.market is not Market.PROP:
            assert leg.side is not None and home is not None and away is not None
            return grade_from_score(leg.market, leg.side, leg.line, home, away)
        return Result.PENDING

    def expected_status(self, pick: ModelPick) -> str:
        if pick.cancelled is not None:
            return "cancelled"
        legs = [(self.expected_leg(pick, i), leg.odds) for i, leg in enumerate(pick.legs, start=1)]
        return status_of(pick.kind, legs).value

    # --- set-up ----------------------------------------------------------------------------

    @initialize(
        sides=st.lists(st.sampled_from([Side.HOME, Side.AWAY]), min_size=4, max_size=4),
        odds=st.lists(st.sampled_from([D(-110), D(100), D(150)]), min_size=4, max_size=4),
        straight=st.tuples(GAME, SELECTIONS, ODDS),
        units=UNITS,
    )
    def set_up(
        self,
        sides: list[Side],
        odds: list[D],
        straight: tuple[int, tuple[Market, Side | None, D | None], D],
        units: D,
    ) -> None:
        """Four games (three of the guild's, one of a source), a moneyline parlay on all four
        and a straight pick (hypothesis enables a subset of the rules in each example: every
        example then has picks to grade, cancel and settle, in any order of results)."""
        self.add_games()
        self.place(
            MEMBERS[0],
            [
                (i, (Market.MONEYLINE, side, None), o)
                for i, (side, o) in enumerate(zip(sides, odds, strict=True))
            ],
            units,
        )
        self.place(MEMBERS[1], [straight], units)

    def add_games(self) -> None:
        start = datetime.now(UTC) + timedelta(days=1)
        for home, away in (("Twins", "Bears"), ("Giants", "Tigers"), ("Lions", "Eagles")):
            game = self.run(games.add_manual(self.guild, "KBO", home, away, start, GRADER))
            self.games.append(ModelGame(game.id, manual=True))
        update = self.update(f"{next(external_ids)}-{self.guild}", GameStatus.SCHEDULED)
        self.run(self.betting.apply_updates([update]))
        source = self.run(Game.get(source=SOURCE, external_id=update.external_id))
        self.games.append(ModelGame(source.id, manual=False))
        self.externals[len(self.games) - 1] = update.external_id

    def update(
        self, external_id: str, status: GameStatus, home: int | None = None, away: int | None = None
    ) -> GameUpdate:
        return GameUpdate(
            source=SOURCE,
            external_id=external_id,
            league="MLB",
            home="Yankees",
            away="Red Sox",
            starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=1),
            status=status,
            home_score=home,
            away_score=away,
        )

    # --- placing and cancelling ------------------------------------------------------------

    async def _place(self, user: int, picked: Picked, units: D) -> tuple[Pick, list[Leg]]:
        specs = []
        for index, (market, side, line), odds in picked:
            game = await Game.get(id=self.games[index].id)
            selection = {
                Side.HOME: game.home,
                Side.AWAY: game.away,
                Side.OVER: "Over",
                Side.UNDER: "Under",
                None: "Player hits over",
            }[side]
            specs.append(
                LegSpec(
                    game.id,
                    game.league,
                    game.matchup,
                    market,
                    side,
                    selection,
                    line,
                    OddsFormat.AMERICAN,
                    odds,
                )
            )
        order = PickOrder(
            guild_id=self.guild,
            user_id=user,
            interaction_id=next(interaction_ids),
            kind=PickKind.STRAIGHT if len(specs) == 1 else PickKind.PARLAY,
            legs=specs,
            amount=units,
        )
        return await self.betting.place(order, await self.betting.config(self.guild))

    def place(
        self,
        user: int,
        picked: Picked,
        units: D,
    ) -> None:
        open_games = all(self.games[i].result[0] == "scheduled" for i, _, _ in picked)
        placed = self.call(self._place(user, picked, units))
        if placed is None:
            return  # refused: a settled game, or beyond the guild's limits
        assert open_games, "a pick was placed on a settled game"
        pick, legs = placed
        model_legs = [
            ModelLeg(i, market, side, line, odds_fraction(OddsFormat.AMERICAN, odds))
            for i, (market, side, line), odds in picked
        ]
        odds = combined_odds(leg.odds for leg in model_legs)
        assert (pick.stake, pick.to_win) == stake_and_win(StakeMode.RISK, units, odds)
        assert [leg.position for leg in legs] == list(range(1, len(picked) + 1))
        kind = "straight" if len(picked) == 1 else "parlay"
        self.picks.append(ModelPick(pick.id, user, kind, pick.stake, pick.to_win, model_legs))

    @rule(
        user=st.sampled_from(MEMBERS),
        game=GAME,
        selection=SELECTIONS,
        odds=ODDS,
        units=UNITS,
    )
    def place_straight(
        self,
        user: int,
        game: int,
        selection: tuple[Market, Side | None, D | None],
        odds: D,
        units: D,
    ) -> None:
        self.place(user, [(game, selection, odds)], units)

    @rule(user=st.sampled_from(MEMBERS), legs=PARLAY_LEGS, units=UNITS)
    def place_parlay(
        self,
        user: int,
        legs: Picked,
        units: D,
    ) -> None:
        self.place(user, legs, units)

    @precondition(lambda self: bool(self.picks))
    @rule(data=st.data(), by_author=st.booleans())
    def cancel(self, data: st.DataObject, by_author: bool) -> None:
        pick = data.draw(st.sampled_from(self.picks))
        by = pick.user if by_author else GRADER
        pending = self.expected_status(pick) == "pending"
        done = self.call(self.betting.cancel(pick.id, self.guild, by, admin=not by_author))
        assert (done is not None) == pending, f"cancel of a {self.expected_status(pick)} pick"
        if done is not None:
            pick.cancelled = [self.expected_leg(pick, i) for i in range(1, len(pick.legs) + 1)]

    # --- grading by hand -------------------------------------------------------------------

    def grade_leg(self, pick: ModelPick, position: int, result: Result) -> None:
        leg = position if pick.kind == "parlay" else None
        done = self.call(self.betting.grade(pick.id, self.guild, result, GRADER, leg=leg))
        assert (done is None) == (pick.cancelled is not None), "grading refused (or not) wrongly"
        if done is not None:
            pick.graded[position] = result

    @precondition(lambda self: bool(self.picks))
    @rule(data=st.data(), result=GRADES)
    def grade(self, data: st.DataObject, result: Result) -> None:
        pick = data.draw(st.sampled_from(self.picks))
        position = data.draw(st.integers(min_value=1, max_value=len(pick.legs)))
        self.grade_leg(pick, position, result)

    def graded_legs(self) -> list[tuple[ModelPick, int]]:
        return [
            (pick, position)
            for pick in self.picks
            for position in range(1, len(pick.legs) + 1)
            if pick.cancelled is None and self.expected_leg(pick, position) is not Result.PENDING
        ]

    @precondition(lambda self: bool(self.graded_legs()))
    @rule(data=st.data(), result=GRADES)
    def correct(self, data: st.DataObject, result: Result) -> None:
        """Grade again a leg that has a result (the bot's or a grader's)."""
        pick, position = data.draw(st.sampled_from(self.graded_legs()))
        self.grade_leg(pick, position, result)

    # --- game results ----------------------------------------------------------------------

    def post_result(self, index: int, status: GameStatus, home: int, away: int) -> None:
        game = self.games[index]
        final = status is GameStatus.FINAL
        scores: tuple[int | None, int | None] = (home, away) if final else (None, None)
        after = (status.value, *scores)
        settled = (GameStatus.FINAL, GameStatus.CANCELLED)
        grades = after != game.result and (status in settled or game.result[0] in settled)
        if game.manual:
            row = self.run(Game.get(id=game.id))
            self.run(self.betting.settle_game(row, status, scores[0], scores[1], GRADER))
        else:
            update = self.update(self.externals[index], status, *scores)
            self.run(self.betting.apply_updates([update]))
        game.result = after
        game.changes += grades

    @rule(
        game=GAME,
        status=st.sampled_from([GameStatus.FINAL, GameStatus.FINAL, GameStatus.CANCELLED]),
        home=SCORES,
        away=SCORES,
    )
    def game_result(self, game: int, status: GameStatus, home: int, away: int) -> None:
        self.post_result(game, status, home, away)

    @precondition(lambda self: any(g.result[0] != "scheduled" for g in self.games))
    @rule(data=st.data(), home=SCORES, away=SCORES, cancel=st.booleans())
    def correct_result(self, data: st.DataObject, home: int, away: int, cancel: bool) -> None:
        """Change the result of a game that has one (a new score, or final <-> cancelled)."""
        settled = [i for i, g in enumerate(self.games) if g.result[0] != "scheduled"]
        index = data.draw(st.sampled_from(settled))
        status = GameStatus.CANCELLED if cancel else GameStatus.FINAL
        self.post_result(index, status, home, away)

    # --- what must hold after every step -----------------------------------------------------

    @invariant()
    def ledger_holds(self) -> None:
        self.run(self.check())

    async def check(self) -> None:
        picks = {p.id: p for p in await Pick.filter(guild_id=self.guild)}
        legs: dict[int, list[Leg]] = {}
        for leg in await Leg.filter(pick__guild_id=self.guild).order_by("pick_id", "position"):
            legs.setdefault(leg.pick_id, []).append(leg)
        assert set(picks) == {p.id for p in self.picks}
        units = {user: D("0.00") for user in MEMBERS}
        counts = {user: dict.fromkeys(("won", "lost", "push", "void"), 0) for user in MEMBERS}
        for model in self.picks:
            pick, rows = picks[model.id], legs[model.id]
            expected = [model_leg.value for model_leg in map(self._leg_of(model), rows)]
            assert [leg.result for leg in rows] == expected, f"legs of pick #{pick.id}"
            assert pick.status == self.expected_status(model), f"status of pick #{pick.id}"
            if model.cancelled is not None:
                assert pick.result_units == D("0.00")
                continue
            from_rows = [
                (Result(leg.result), odds_fraction(leg.odds_format, leg.odds_value)) for leg in rows
            ]
            status = status_of(pick.kind, from_rows)
            payout = settlement(pick.kind, pick.stake, pick.to_win, from_rows)
            assert (pick.status, pick.result_units) == (status.value, payout), f"pick #{pick.id}"
            if all(result is not Result.PENDING for result, _ in from_rows):
                assert status is not Result.PENDING, f"pick #{pick.id}: all legs graded"
            if payout is not None:
                units[pick.user_id] += payout
                counts[pick.user_id][status.value] += 1
        for user in MEMBERS:
            record = await self.betting.record(self.guild, user, Period.ALL, None)
            got = {"won": record.won, "lost": record.lost, "push": record.push, "void": record.void}
            assert (record.units, got) == (units[user], counts[user]), f"record of {user}"
        board = await self.betting.standings(self.guild, Period.ALL, Metric.UNITS, None)
        ranked = {
            user
            for user in MEMBERS
            if counts[user]["won"] + counts[user]["lost"] + counts[user]["push"] > 0
        }
        assert {s.user_id: s.record.units for s in board} == {u: units[u] for u in ranked}
        assert [s.record.units for s in board] == sorted(
            (s.record.units for s in board), reverse=True
        )
        for game in self.games:
            assert await ResultChange.filter(game_id=game.id).count() == game.changes

    def _leg_of(self, model: ModelPick) -> Callable[[Leg], Result]:
        return lambda leg: self.expected_leg(model, leg.position)


LEDGER_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_ledger_holds(backend: str, tmp_path: Path) -> None:
    async with (
        fresh_database(backend, tmp_path) as url,
        running(tmp_path, database_url=url) as world,
    ):
        ctx = world.app.plugins.records["betting"].ctx
        assert ctx is not None
        ledger = {"loop": asyncio.get_running_loop(), "betting": Betting(ctx)}
        bound = type("BoundLedger", (Ledger,), ledger)
        # the machine runs in a thread; each of its steps runs on the App's loop
        await asyncio.to_thread(run_state_machine_as_test, bound, settings=LEDGER_SETTINGS)
