"""What the weather plugin needs of a game schedule, declared on its side.

The betting plugin offers its schedule as the service ``betting.schedule`` (see
``docs/API_REFERENCE.md``, services); this module says what of it the weather plugin uses, as
protocols, so no module of the betting plugin is ever imported here. While betting is not
loaded, ``ctx.service(SERVICE)`` is ``None`` and ``/weather`` offers places only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

SERVICE = "betting.schedule"


class Game(Protocol):
    """One scheduled game (``starts_at`` aware, in UTC; ``venue``/``city`` may be unknown)."""

    @property
    def id(self) -> int: ...
    @property
    def league(self) -> str: ...
    @property
    def home(self) -> str: ...
    @property
    def away(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def venue(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...


class Schedule(Protocol):
    """The calls of ``betting.schedule`` that ``/weather`` makes."""

    async def leagues(self, guild_id: int | None, start: datetime, end: datetime) -> list[str]:
        """Leagues with a scheduled game starting between ``start`` and ``end``, by name."""
        ...

    async def games(
        self, guild_id: int | None, league: str, start: datetime, end: datetime, limit: int
    ) -> Sequence[Game]:
        """The league's scheduled games in that window, soonest first."""
        ...

    async def game(self, guild_id: int | None, game_id: int) -> Game | None:
        """A game the guild can see, or ``None``."""
        ...


def place(game: Game) -> str:
    """Where to ask WeatherAPI about: "venue, city" as far as they are known, otherwise the
    home team's name."""
    return ", ".join(part for part in (game.venue, game.city) if part) or game.home
