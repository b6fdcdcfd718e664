"""The kinds and statuses the betting tables store, as string enums (the columns hold their
values; a value read from the database compares equal to its member).

The status of a pick and the result of a leg are a :class:`~plugins.betting.maths.Result`.
"""

from __future__ import annotations

from enum import StrEnum


class GameStatus(StrEnum):
    """Where a game stands; picks on it are taken until it starts, while it is scheduled or
    postponed (see :func:`plugins.betting.games.is_open`)."""

    SCHEDULED = "scheduled"
    LIVE = "live"  # started, not settled
    FINAL = "final"  # settled: its score grades the picks on it
    POSTPONED = "postponed"  # to a later start, or to a date not known yet
    CANCELLED = "cancelled"  # settled: every leg on it is void


class PickKind(StrEnum):
    STRAIGHT = "straight"  # one leg
    PARLAY = "parlay"  # 2 to 12 legs on different games

    @property
    def parlay(self) -> bool:
        """For templates, which cannot name the members (``{% if p.kind.parlay %}``)."""
        return self is PickKind.PARLAY


class DraftStatus(StrEnum):
    """A pick being built by the guided flow (``/bet new``) or the parlay builder."""

    OPEN = "open"  # legs may still be added
    PLACED = "placed"  # its pick is stored (the draft's pick_id)
    CANCELLED = "cancelled"  # dropped by its author: nothing was placed
