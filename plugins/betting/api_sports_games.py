"""API-Sports' game formats, one parser per sport: a ``response`` entry to a :class:`GameUpdate`.

Each sport is its own API with its own shape, status codes and score fields; what every parser
decides is the same: our status, the score that grades picks, and how a final game ended. The
grading rules per sport (what the stored score includes) are in docs/plugins/betting.md:

=================  ==============  ===================================================
sport              path            graded score
=================  ==============  ===================================================
football           ``/fixtures``   ``score.fulltime``: 90 minutes and stoppage time
american-football  ``/games``      ``scores.*.total``: overtime included
basketball         ``/games``      ``scores.*.total``: overtime included
baseball           ``/games``      ``scores.*.total``: extra innings included
hockey             ``/games``      periods + overtime, the shoot-out one goal to its winner
=================  ==============  ===================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from plugins.betting.games import GameStatus, GameUpdate
from plugins.betting.models import Game
from plugins.betting.settings import Sport

SOURCE = "api-sports"


class Ending(StrEnum):
    """How a final game ended (``Game.ended_in``)."""

    REGULATION = "regulation"
    OVERTIME = "overtime"  # also baseball's extra innings
    SHOOTOUT = "shootout"  # hockey
    EXTRA_TIME = "extra_time"  # football
    PENALTIES = "penalties"  # football


def _codes(**groups: tuple[str, ...]) -> dict[str, GameStatus]:
    """``{short code: status}`` from groups named for our statuses (``live=("Q1", ...)``)."""
    return {code: GameStatus(key) for key, codes in groups.items() for code in codes}


#: Each API's documented ``status.short`` codes. Awarded games and walkovers were not played
#: out: they cancel (picks are void), as suspended and interrupted ones stay live until the
#: feed says how they end.
STATUS_CODES: dict[Sport, dict[str, GameStatus]] = {
    Sport.FOOTBALL: _codes(
        scheduled=("TBD", "NS"),
        live=("1H", "HT", "2H", "ET", "BT", "P", "SUSP", "INT", "LIVE"),
        final=("FT", "AET", "PEN"),
        postponed=("PST",),
        cancelled=("CANC", "ABD", "AWD", "WO"),
    ),
    Sport.AMERICAN_FOOTBALL: _codes(
        scheduled=("NS",),
        live=("Q1", "Q2", "Q3", "Q4", "OT", "HT"),
        final=("FT", "AOT"),
        postponed=("PST", "POST"),
        cancelled=("CANC",),
    ),
    Sport.BASKETBALL: _codes(
        scheduled=("NS",),
        live=("Q1", "Q2", "Q3", "Q4", "OT", "BT", "HT", "SUSP"),
        final=("FT", "AOT"),
        postponed=("POST",),
        cancelled=("CANC", "AWD", "ABD"),
    ),
    Sport.BASEBALL: _codes(
        scheduled=("NS",),
        live=(*(f"IN{n}" for n in range(1, 10)), "INTR"),  # IN10...: live too (not listed)
        final=("FT",),
        postponed=("POST",),
        cancelled=("CANC", "ABD"),
    ),
    Sport.HOCKEY: _codes(
        scheduled=("NS",),
        live=("P1", "P2", "P3", "OT", "PT", "BT", "INTR", "LIVE"),
        final=("FT", "AOT", "AP"),
        postponed=("POST",),
        cancelled=("CANC", "AWD", "ABD"),
    ),
}


def game_status(sport: Sport, status: dict[str, Any]) -> GameStatus:
    """Our status from an API's ``status`` object. ``short`` may be null with ``long`` saying
    "Final/OT" (american-football): a ``long`` starting with "Final" is final. A code not
    documented is live (picks stay closed) until the feed says more."""
    short = status.get("short")
    codes = STATUS_CODES[sport]
    if short in codes:
        return codes[short]
    if str(status.get("long") or "").startswith("Final"):
        return GameStatus.FINAL
    return GameStatus.SCHEDULED if short is None else GameStatus.LIVE


def _overtime_in_long(status: dict[str, Any]) -> bool:
    """ "Final/OT" (a null short code) or "After Over Time"."""
    return "/OT" in str(status.get("long") or "") or status.get("short") == "AOT"


def _clip(text: Any, column: str) -> str:
    """A text from the feed cut to the length of ``Game.<column>``."""
    length = Game._meta.fields_map[column].max_length  # type: ignore[attr-defined]
    return str(text)[:length]


def _optional(text: Any, column: str) -> str | None:
    return None if text in (None, "") else _clip(text, column)


def _start(stamp: Any, iso: Any) -> datetime | None:
    if stamp is not None:
        return datetime.fromtimestamp(int(stamp), UTC)
    if iso:
        return datetime.fromisoformat(str(iso)).astimezone(UTC)
    return None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a parser reads of a game besides its teams: the graded score and the ending (only
    for final games) and the venue when the format has one."""

    status: GameStatus
    home: int | None = None
    """Points the feed shows for the home side (kept by ``_update`` only for final games)."""
    away: int | None = None
    ended_in: Ending | None = None
    venue: str | None = None
    city: str | None = None


def _update(
    sport: Sport,
    item: dict[str, Any],
    league: str,
    game_id: Any,
    starts: datetime | None,
    o: Outcome,
) -> GameUpdate:
    teams = item["teams"]
    final = o.status is GameStatus.FINAL and o.home is not None and o.away is not None
    return GameUpdate(
        source=SOURCE,
        # football keeps plain fixture ids (games stored before other sports were read);
        # the other APIs number their games independently
        external_id=str(game_id) if sport is Sport.FOOTBALL else f"{sport.value}:{game_id}",
        league=league,
        home=_clip(teams["home"]["name"], "home"),
        away=_clip(teams["away"]["name"], "away"),
        starts_at=starts,
        status=o.status,
        home_score=o.home if final else None,
        away_score=o.away if final else None,
        sport=sport.value,
        venue=o.venue,
        city=o.city,
        ended_in=o.ended_in.value if final and o.ended_in else None,
    )


def _score(side: dict[str, Any] | None, key: str) -> int | None:
    value = (side or {}).get(key)
    return None if value is None else int(value)


# --- football (API-Football v3, GET /fixtures) -------------------------------------------------

_FOOTBALL_ENDINGS = {"AET": Ending.EXTRA_TIME, "PEN": Ending.PENALTIES}


def parse_football(item: dict[str, Any], league: str) -> GameUpdate:
    """Graded on ``score.fulltime`` (90 minutes and stoppage time), never extra time or
    penalties; ``goals`` (which includes extra time) only for a game finished in regulation
    whose ``fulltime`` is missing."""
    fixture = item["fixture"]
    status_obj = fixture.get("status") or {}
    status = game_status(Sport.FOOTBALL, status_obj)
    short = str(status_obj.get("short"))
    fulltime = (item.get("score") or {}).get("fulltime") or {}
    home, away = _score(fulltime, "home"), _score(fulltime, "away")
    if (home is None or away is None) and short == "FT":
        home, away = _score(item.get("goals"), "home"), _score(item.get("goals"), "away")
    venue = fixture.get("venue") or {}
    outcome = Outcome(
        status,
        home,
        away,
        _FOOTBALL_ENDINGS.get(short, Ending.REGULATION),
        _optional(venue.get("name"), "venue"),
        _optional(venue.get("city"), "city"),
    )
    starts = _start(fixture.get("timestamp"), fixture.get("date"))
    return _update(Sport.FOOTBALL, item, league, fixture["id"], starts, outcome)


# --- american-football and basketball (quarters; GET /games) ----------------------------------


def _quarters(
    sport: Sport, item: dict[str, Any], status_obj: dict[str, Any], ot_key: str
) -> Outcome:
    """Totals include overtime; a game went to overtime when the feed says so or an
    overtime score is there (0 counts: the other team scored)."""
    scores = item.get("scores") or {}
    home, away = scores.get("home") or {}, scores.get("away") or {}
    overtime = _overtime_in_long(status_obj) or any(s.get(ot_key) is not None for s in (home, away))
    return Outcome(
        game_status(sport, status_obj),
        _score(home, "total"),
        _score(away, "total"),
        Ending.OVERTIME if overtime else Ending.REGULATION,
    )


def parse_american_football(item: dict[str, Any], league: str) -> GameUpdate:
    """``game{id, date{timestamp}, venue{name, city}, status}``, ``scores{home, away}{total,
    overtime}``."""
    game = item["game"]
    status_obj = game.get("status") or {}
    venue = game.get("venue") or {}
    outcome = replace(
        _quarters(Sport.AMERICAN_FOOTBALL, item, status_obj, "overtime"),
        venue=_optional(venue.get("name"), "venue"),
        city=_optional(venue.get("city"), "city"),
    )
    starts = _start((game.get("date") or {}).get("timestamp"), None)
    return _update(Sport.AMERICAN_FOOTBALL, item, league, game["id"], starts, outcome)


def parse_basketball(item: dict[str, Any], league: str) -> GameUpdate:
    """Flat entries: ``id, timestamp, date, status``, ``scores{home, away}{total, over_time}``
    (``over_time`` here); no venue in the format."""
    status_obj = item.get("status") or {}
    outcome = _quarters(Sport.BASKETBALL, item, status_obj, "over_time")
    starts = _start(item.get("timestamp"), item.get("date"))
    return _update(Sport.BASKETBALL, item, league, item["id"], starts, outcome)


# --- baseball (GET /games) ----------------------------------------------------------------------


def parse_baseball(item: dict[str, Any], league: str) -> GameUpdate:
    """``scores{home, away}{hits, errors, innings{"1".."9", extra}, total}``: the total includes
    extra innings (recorded as ending in ``overtime``); no venue in the format."""
    status_obj = item.get("status") or {}
    scores = item.get("scores") or {}
    home, away = scores.get("home") or {}, scores.get("away") or {}
    extra = any((s.get("innings") or {}).get("extra") is not None for s in (home, away))
    outcome = Outcome(
        game_status(Sport.BASEBALL, status_obj),
        _score(home, "total"),
        _score(away, "total"),
        Ending.OVERTIME if extra else Ending.REGULATION,
    )
    starts = _start(item.get("timestamp"), item.get("date"))
    return _update(Sport.BASEBALL, item, league, item["id"], starts, outcome)


# --- hockey (GET /games) ------------------------------------------------------------------------


def _goals(period: Any) -> tuple[int, int] | None:
    """``"2-1"`` as ``(2, 1)`` (home-away); ``None`` when not played or not readable."""
    if not isinstance(period, str):
        return None
    home, sep, away = period.partition("-")
    if not sep or not home.strip().isdecimal() or not away.strip().isdecimal():
        return None
    return int(home), int(away)


def _hockey_score(item: dict[str, Any], ended: Ending) -> tuple[int | None, int | None]:
    """Regulation and overtime goals from ``periods``, plus one goal for the shoot-out's
    winner; ``scores`` when the periods are not all readable."""
    periods = item.get("periods") or {}
    played = [_goals(periods.get(p)) for p in ("first", "second", "third", "overtime")]
    regulation = played[:3]
    if all(g is not None for g in regulation):
        home = sum(g[0] for g in played if g is not None)
        away = sum(g[1] for g in played if g is not None)
        shootout = _goals(periods.get("penalties"))
        if ended is not Ending.SHOOTOUT:
            return home, away
        if shootout is not None and shootout[0] != shootout[1]:
            return (home + 1, away) if shootout[0] > shootout[1] else (home, away + 1)
    scores = item.get("scores") or {}
    return _score(scores, "home"), _score(scores, "away")


_HOCKEY_ENDINGS = {"AOT": Ending.OVERTIME, "AP": Ending.SHOOTOUT}


def parse_hockey(item: dict[str, Any], league: str) -> GameUpdate:
    """``scores{home, away}`` (numbers), ``periods{first, second, third, overtime,
    penalties}`` ("home-away" strings); no venue in the format."""
    status_obj = item.get("status") or {}
    ended = _HOCKEY_ENDINGS.get(str(status_obj.get("short")), Ending.REGULATION)
    home, away = _hockey_score(item, ended)
    outcome = Outcome(game_status(Sport.HOCKEY, status_obj), home, away, ended)
    starts = _start(item.get("timestamp"), item.get("date"))
    return _update(Sport.HOCKEY, item, league, item["id"], starts, outcome)


@dataclass(frozen=True, slots=True)
class Format:
    """Where a sport's API lists games and how to read one."""

    path: str
    parse: Callable[[dict[str, Any], str], GameUpdate]
    """``parse(entry, league)``: one ``response`` entry as an update of the followed league."""


FORMATS: dict[Sport, Format] = {
    Sport.FOOTBALL: Format("/fixtures", parse_football),
    Sport.AMERICAN_FOOTBALL: Format("/games", parse_american_football),
    Sport.BASKETBALL: Format("/games", parse_basketball),
    Sport.BASEBALL: Format("/games", parse_baseball),
    Sport.HOCKEY: Format("/games", parse_hockey),
}
