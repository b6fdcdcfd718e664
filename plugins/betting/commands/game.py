"""``/game add`` and ``/game result``: manual games for leagues without a schedule source."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction
from tortoise.expressions import Q

from core import discord_limits
from core.validation import ValidationError
from plugins.betting import access, games, inputs
from plugins.betting.commands.shared import GUILD_ONLY, league_choices
from plugins.betting.flow import game_label
from plugins.betting.models import Game
from plugins.betting.service import Betting, utcnow
from plugins.betting.statuses import GameStatus

OVERRIDE = "override the time check"
"""What only members with Manage Server may do with ``override:True``."""


async def game_choices(
    inter: ApplicationCommandInteraction, typed: str
) -> list[disnake.OptionChoice]:
    """The server's games whose teams match what was typed, newest first (final ones too, to
    correct them)."""
    if inter.guild_id is None:
        return []
    query = Game.filter(guild_id=inter.guild_id)
    if text := typed.strip():
        query = query.filter(Q(home__icontains=text) | Q(away__icontains=text))
    found = await query.order_by("-id").limit(25)
    return discord_limits.choices(
        {f"#{g.id} {game_label(g)}{_settled(g)}": str(g.id) for g in found}
    )


def _settled(game: Game) -> str:
    """`` · final 20-24`` / `` · cancelled`` for a settled game in a list, else nothing."""
    result = games.GameResult.of(game)
    return f" · {result.describe()}" if result.settled else ""


def build(betting: Betting) -> commands.InvokableSlashCommand:
    """``/game add|result``."""

    @commands.slash_command(contexts=GUILD_ONLY)
    async def game(inter: ApplicationCommandInteraction) -> None:
        """Manual games for leagues without a schedule source (graders)."""

    async def grader_guild(inter: ApplicationCommandInteraction, what: str) -> int:
        """The guild of a grader's ``/game`` command (others are refused)."""
        guild_id = access.guild_id_of(inter)
        config = await betting.config(guild_id)
        await access.require_grader(betting.ctx, inter, config, what, "manage games")
        return guild_id

    @game.sub_command(name="add")
    async def game_add(
        inter: ApplicationCommandInteraction,
        league: str,
        home: str,
        away: str,
        starts: str = commands.Param(max_length=16),
        override: bool = False,
    ) -> None:
        """Add a game by hand.

        Parameters
        ----------
        league: The league
        home: The home team
        away: The away team
        starts: Start time in UTC: YYYY-MM-DD HH:MM (in the future)
        override: Admins (Manage Server): add it although its start is in the past
        """
        guild_id = await grader_guild(inter, "/game add")
        when = inputs.start_time(starts)
        if override:
            await access.require_manager(betting.ctx, inter, "/game add override:True", OVERRIDE)
        else:
            games.check_start(when, utcnow())
        added = await betting.add_game(guild_id, league, home, away, when, inter.author.id)
        await betting.ctx.action(
            "game.added",
            user_id=inter.author.id,
            guild_id=guild_id,
            target=f"game:{added.id}",
            admin=True,
            data={"league": added.league, "matchup": added.matchup, "override": override},
        )
        await inter.send(
            f"Game #{added.id} added: {added.league} · {added.matchup} "
            f"at {when:%Y-%m-%d %H:%M} UTC.",
            ephemeral=True,
        )

    game_add.autocomplete("league")(league_choices(betting.settings))

    @game.sub_command(name="result")
    async def game_result(
        inter: ApplicationCommandInteraction,
        game: str,
        home_score: int = commands.Param(default=None, ge=0, le=10_000),
        away_score: int = commands.Param(default=None, ge=0, le=10_000),
        status: str = commands.Param(
            default=GameStatus.FINAL.value, choices=[s.value for s in games.SETTLED]
        ),
        override: bool = False,
    ) -> None:
        """Record or correct a manual game's result; the bot grades its picks from it.

        Parameters
        ----------
        game: The game (pick from the list)
        home_score: The home team's final score
        away_score: The away team's final score
        status: final, or cancelled (voids the game's picks)
        override: Admins (Manage Server): record a final score before the game's start
        """
        guild_id = await grader_guild(inter, "/game result")
        target = await games.find(guild_id, int(game)) if game.strip().isdecimal() else None
        if target is None or target.guild_id != guild_id:
            raise ValidationError("game", "unknown game: pick one of this server's games", game)
        chosen = GameStatus(status)
        if override:
            await access.require_manager(betting.ctx, inter, "/game result override:True", OVERRIDE)
        else:
            games.check_result_time(target, chosen, utcnow())
        result = await betting.settle_game(
            target, chosen, home_score, away_score, inter.author.id, override=override
        )
        now = games.GameResult.of(target).describe()
        if result is None:
            text = f"{target.matchup} is already {now}: nothing changed."
        else:
            change = result.change
            was = games.GameResult(change.old_status, change.old_home, change.old_away)
            what = f"corrected from {was.describe()} to {now}" if result.corrected else now
            text = f"{target.matchup}: {what}. {change.picks_changed} pick(s) changed."
        await inter.send(text, ephemeral=True)

    game_result.autocomplete("game")(game_choices)
    return game
