"""The bot with the betting and dashboard plugins on the local Discord, for the tests of the
betting pages and API: ``site`` is a :class:`~betting_support.BetWorld` whose web server serves
the dashboard (Alice: Manage Server, Bob: a plain member, Gina: the Graders role, Cody: the
Cappers role), and :func:`browser` opens a :class:`~core.testing.visitor.Visitor` on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal as D
from pathlib import Path

import pytest
from betting_support import BetWorld, Probe

from core.events import SecurityEvent
from core.hookspecs import hookimpl
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor, allow_login, dashboard_settings
from plugins.betting.models import Game, Leg, Pick


class SecurityLog:
    """The security events the App reported."""

    def __init__(self) -> None:
        self.events: list[SecurityEvent] = []

    @hookimpl
    def dbsbm_security_event(self, event: SecurityEvent) -> None:
        self.events.append(event)

    def kinds(self) -> list[tuple[str, str]]:
        return [(e.kind, e.detail or "") for e in self.events]


@asynccontextmanager
async def serving(
    data_dir: Path, database_url: str | None = None, *, guilds: Sequence[str] = ()
) -> AsyncIterator[BetWorld]:
    """The bot with the betting and dashboard plugins, on ``database_url`` (default: a fresh
    SQLite file); ``guilds``: more servers beside "Test Guild" (the bot's owner owns them;
    each has a #general)."""
    async with LocalDiscord() as discord:
        for name in guilds:
            discord.add_guild(name).add_channel("general")
        guild = discord.guild
        guild.add_member("Gina", roles=[guild.add_role("Graders")])
        guild.add_member("Cody", roles=[guild.add_role("Cappers")])
        settings = {
            "ratelimit": {"default": "10000/60s", "commands": {}},
            "plugins": {
                "dashboard": {**dashboard_settings(discord), "api_rate": "10000/1m"},
                "betting": {"leaderboard_min_picks": 1},
            },
        }
        async with run_app(
            discord,
            data_dir,
            plugins=["dashboard", "betting"],
            settings=settings,
            database_url=database_url,
        ) as app:
            assert app.plugins.is_loaded("betting"), app.plugins.records["betting"].error
            assert app.plugins.is_loaded("dashboard"), app.plugins.records["dashboard"].error
            allow_login(discord, app.web.url)
            probe = Probe()
            app.pm.register(probe, name="betting-web-probe")
            yield BetWorld(
                discord,
                app,
                discord.member("Alice"),
                discord.member("Bob"),
                discord.member("Gina"),
                discord.member("Cody"),
                probe,
            )
        # Discord's published API description leaves out its OAuth2 endpoints
        violations = [v for v in discord.spec_violations if not v.path.startswith("/oauth2/")]
        assert not violations, violations


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BetWorld]:
    async with serving(tmp_path) as world:
        yield world


@pytest.fixture
def security(site: BetWorld) -> SecurityLog:
    log = SecurityLog()
    site.app.pm.register(log, name="betting-web-security")
    return log


async def make_picks(guild_id: int, user_id: int, game: Game, count: int) -> list[int]:
    """``count`` pending straight picks of 1 unit at -110 on ``game``, stored directly (the
    tests of lists need many); their ids, oldest first."""
    ids = []
    for n in range(count):
        pick = await Pick.create(
            guild_id=guild_id,
            user_id=user_id,
            interaction_id=9_000_000 + game.id * 1000 + n,
            kind="straight",
            league=game.league,
            stake=D("1.00"),
            to_win=D("0.91"),
            stake_mode="risk",
            odds_decimal=D("1.9091"),
        )
        await Leg.create(
            pick_id=pick.id,
            position=1,
            game_id=game.id,
            league=game.league,
            matchup=game.matchup,
            market="moneyline",
            side="home",
            selection=game.home,
            odds_format="american",
            odds_value=D("-110"),
        )
        ids.append(pick.id)
    return ids


def browser(site: BetWorld) -> Visitor:
    return Visitor(site.discord, site.app.web.url)
