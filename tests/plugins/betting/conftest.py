"""Fixtures of the betting plugin's tests.

``betting_db``: a fresh SQLite database with the betting tables (domain tests).
``games_factory``: makes games in that database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.database import AppSpec, Database
from plugins.betting.models import Game

BETTING_APP = AppSpec("betting", ["plugins.betting.models"])


@pytest.fixture
async def betting_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite://{tmp_path / 'betting.sqlite3'}", retries=0)
    await db.connect([BETTING_APP])
    try:
        await db.context.generate_schemas()
        yield db
    finally:
        await db.close()


GameFactory = Callable[..., Awaitable[Game]]


@pytest.fixture
def make_game(betting_db: Database) -> GameFactory:
    counter = iter(range(1, 10_000))

    async def make(
        league: str = "NFL",
        home: str = "Chiefs",
        away: str = "Bills",
        starts_in: timedelta | None = timedelta(hours=2),
        **fields: Any,
    ) -> Game:
        starts = None if starts_in is None else datetime.now(UTC) + starts_in
        return await Game.create(
            source="test",
            external_id=str(next(counter)),
            league=league,
            home=home,
            away=away,
            starts_at=starts,
            **fields,
        )

    return make
