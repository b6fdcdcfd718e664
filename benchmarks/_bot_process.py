"""The bots of ``benchmarks/betting.py``, and the bot process that runs one of them.

    python benchmarks/_bot_process.py KIND DATABASE_URL DATA_DIR PLUGINS ENDPOINT_JSON

The bot process connects to a local Discord running in another process (the benchmark's), over
loopback, as a deployed bot reaches Discord over the network. It talks to its parent in lines
on stdin/stdout: once its commands are synced it prints ``BENCH {"game": <id>}`` (the game to
bet on, which it created); each ``cpu`` line it reads is answered with
``BENCH {"cpu": <seconds>, "rss": <MiB>}`` (this process's CPU time so far and its resident
memory); it stops at end of input.

The benchmark reads it when the bot is ready, after the warm-up and after the measured load.
With ``DBSBM_BENCH_PROFILE=<file>`` in its environment, it profiles itself (cProfile) between
the second and the third ``cpu`` line (the measured load) and writes the stats to that file
(``{kind}`` in its name: the bot's kind, so that each bot of a run keeps its own).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORDINARY = "bare"
"""The bare bot as disnake is installed the ordinary way: without its optional orjson speed-up,
on asyncio's own loop. ``bare-fast`` is the same bot with the framework's speed-ups (orjson,
uvloop), so the framework's own overhead stays visible."""
if __name__ == "__main__" and sys.argv[1:2] == [ORDINARY]:
    sys.modules["orjson"] = None  # type: ignore[assignment]  # disnake then uses json

import disnake  # noqa: E402
from disnake.ext import commands  # noqa: E402
from disnake.interactions import ApplicationCommandInteraction  # noqa: E402
from loguru import logger  # noqa: E402
from tortoise import Tortoise  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from core.database import AppSpec  # noqa: E402
from core.loop import run  # noqa: E402
from core.migrations import upgrade  # noqa: E402
from core.testing.client import DiscordEndpoint, bot_kwargs, connect_bot  # noqa: E402
from core.testing.harness import run_app  # noqa: E402
from plugins.betting.maths import OddsFormat  # noqa: E402
from plugins.betting.models import Game, Leg, Pick  # noqa: E402
from plugins.betting.slips import slip_embed  # noqa: E402

BETTING = AppSpec("betting", ["plugins.betting.models"], ROOT / "migrations")
MEASURED = 2
"""The ``cpu`` line that starts the measured load (the first comes when the bot is ready)."""
PREFIX = "BENCH "
"""Marks this process's protocol lines on stdout (anything else there is ignored)."""
SETTINGS_ENV = "DBSBM_BENCH_SETTINGS"
"""Environment variable: JSON of more settings for the framework (e.g. a cluster's shard)."""


def bare_bot(endpoint: DiscordEndpoint) -> commands.InteractionBot:
    """The baseline: the same queries, insert and reply, no framework."""
    bot = commands.InteractionBot(**bot_kwargs(endpoint))

    @bot.slash_command(name="bet")
    async def bet(inter: ApplicationCommandInteraction) -> None:
        """Bets."""

    @bet.sub_command()
    async def straight(
        inter: ApplicationCommandInteraction,
        league: str,
        game: str,
        market: str,
        selection: str,
        odds: str,
        units: str,
    ) -> None:
        """A straight pick."""
        found = await Game.get(id=int(game))
        american = Decimal(odds)
        stake = Decimal(units).quantize(Decimal("0.01"))
        to_win = (stake * 100 / -american if american < 0 else stake * american / 100).quantize(
            Decimal("0.01")
        )
        async with in_transaction() as conn:
            pick = await Pick.create(
                guild_id=inter.guild_id, user_id=inter.author.id, interaction_id=inter.id,
                kind="straight", league=league, stake=stake, to_win=to_win, stake_mode="risk",
                odds_decimal=Decimal("1.9091"), using_db=conn,
            )  # fmt: skip
            leg = await Leg.create(
                pick_id=pick.id, position=1, game_id=found.id, league=league,
                matchup=found.matchup, market=market, side="home", selection=selection,
                odds_format="american", odds_value=american, using_db=conn,
            )  # fmt: skip
        await inter.response.send_message(
            f"Pick #{pick.id} placed: risk {stake}u to win {to_win}u. "
            "No picks channel is set up (an admin can set one with /setup).",
            embed=slip_embed(pick, [leg], OddsFormat.AMERICAN),
            ephemeral=True,
            allowed_mentions=disnake.AllowedMentions.none(),
        )

    return bot


@asynccontextmanager
async def bare(
    endpoint: DiscordEndpoint, url: str, data_dir: Path, plugins: list[str]
) -> AsyncIterator[None]:
    """The bare bot on a migrated database, Tortoise set up the ordinary way (its URL and
    asyncpg's pool defaults); ``plugins`` is for the framework only."""
    await upgrade(url, [BETTING])
    await Tortoise.init(db_url=url, modules={BETTING.label: BETTING.models})
    try:
        async with connect_bot(bare_bot(endpoint), endpoint):
            yield
    finally:
        await Tortoise.close_connections()


@asynccontextmanager
async def framework(
    endpoint: DiscordEndpoint, url: str, data_dir: Path, plugins: list[str]
) -> AsyncIterator[None]:
    """An App with the betting plugin and ``plugins``, rate limits out of the way."""
    settings = {
        "web": {"enabled": False},
        "ratelimit": {"default": "1000000/60s", "commands": {}},
        "logging": {"level": "WARNING"},
        **json.loads(os.environ.get(SETTINGS_ENV) or "{}"),
    }
    async with run_app(
        endpoint, data_dir, plugins=["betting", *plugins], settings=settings, database_url=url
    ):
        yield


Runner = Callable[[DiscordEndpoint, str, Path, list[str]], AbstractAsyncContextManager[None]]
BOTS: dict[str, Runner] = {ORDINARY: bare, "bare-fast": bare, "framework": framework}


@asynccontextmanager
async def bot_session(
    kind: str, endpoint: DiscordEndpoint, url: str, data_dir: Path, plugins: list[str]
) -> AsyncIterator[int]:
    """Run the ``kind`` bot until exit; yields the id of the game to bet on, once it is ready
    (the processes of a cluster, started one after the other, find the first one's game)."""
    async with BOTS[kind](endpoint, url, data_dir, plugins):
        game, _ = await Game.get_or_create(
            source="bench", external_id="1",
            defaults={"league": "NFL", "home": "Chiefs", "away": "Bills",
                      "starts_at": datetime.now(UTC) + timedelta(days=1)},
        )  # fmt: skip
        yield game.id


def reading() -> dict[str, float]:
    """This process's CPU time so far (s) and resident memory (MiB)."""
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return {"cpu": time.process_time(), "rss": rss}


def _say(message: dict[str, float]) -> None:
    print(PREFIX + json.dumps(message), flush=True)


async def serve(kind: str, url: str, data_dir: Path, plugins: list[str], endpoint: str) -> None:
    async with bot_session(
        kind, DiscordEndpoint(**json.loads(endpoint)), url, data_dir, plugins
    ) as game:
        _say({"game": game})
        profile_to = os.environ.get("DBSBM_BENCH_PROFILE", "").replace("{kind}", kind)
        profiler = cProfile.Profile() if profile_to else None
        readings = 0
        while line := await asyncio.to_thread(sys.stdin.readline):
            if line.strip() == "cpu":
                readings += 1
                if profiler is not None and readings == MEASURED + 1:
                    profiler.disable()
                    profiler.dump_stats(profile_to)
                _say(reading())
                if profiler is not None and readings == MEASURED:
                    profiler.enable()


def main() -> None:
    kind, url, data_dir, plugins, endpoint = sys.argv[1:]
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")
    session = serve(kind, url, Path(data_dir), [p for p in plugins.split(",") if p], endpoint)
    asyncio.run(session) if kind == ORDINARY else run(session)


if __name__ == "__main__":
    main()
