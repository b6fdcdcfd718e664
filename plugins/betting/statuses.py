"""The kinds and statuses the betting tables store, as string enums (the columns hold their
values; a value read from the database compares equal to its member).

A leg's result is :class:`~plugins.betting.maths.Result`; a pick's status is that result once it
is graded, or :attr:`PickStatus.CANCELLED`.
"""

from __future__ import annotations

from enum import StrEnum


class GameStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    FINAL = "final"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class PickKind(StrEnum):
    """A pick of one leg, or a parlay of 2 to 12."""

    STRAIGHT = "straight"
    PARLAY = "parlay"


class PickStatus(StrEnum):
    """Pending until graded; then its legs' settled result; or cancelled (pays nothing)."""

    PENDING = "pending"
    WON = "won"
    LOST = "lost"
    PUSH = "push"
    VOID = "void"
    CANCELLED = "cancelled"


class DraftStatus(StrEnum):
    """A draft of the guided flow or the parlay builder: open until placed or cancelled."""

    OPEN = "open"
    PLACED = "placed"
    CANCELLED = "cancelled"
