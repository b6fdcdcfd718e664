"""The betting plugin on SQLite, PostgreSQL and MariaDB: migrations applied by the App, then a
pick placed, graded and ranked through the local Discord.

PostgreSQL and MariaDB come from ``DBSBM_TEST_POSTGRES_URL`` / ``DBSBM_TEST_MYSQL_URL`` (skipped
when unset, failing under ``CI=true``)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from betting_support import running
from db_backends import BACKENDS, fresh_database  # type: ignore[import-not-found]
from test_e2e_picks import add_game, straight  # type: ignore[import-not-found]

from plugins.betting.models import GradeChange, Pick


@pytest.mark.parametrize("backend", BACKENDS)
async def test_pick_grade_and_rank_on_each_database(backend: str, tmp_path: Path) -> None:
    async with (
        fresh_database(backend, tmp_path) as url,
        running(tmp_path, database_url=url) as world,
    ):
        game = await add_game()
        placed = await straight(world.bob, game, odds="-115", units="2.30")
        assert "risk 2.30u to win 2.00u" in placed.message.content
        pick = await Pick.get(id=1)
        assert pick.stake == D("2.30")
        graded = await (await world.alice.slash("bet", "grade", id=1, result="won")).wait_reply()
        assert "(2.00u)" in graded.message.content
        board = await (await world.alice.slash("leaderboard")).wait_reply()
        assert "+2.00u" in board.message.embeds[0].description
        assert await GradeChange.filter(pick_id=1).count() == 2
