"""``/setup``: a server's betting set-up (Manage Server)."""

from __future__ import annotations

from decimal import Decimal

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from plugins.betting import access
from plugins.betting.commands.shared import GUILD_ONLY
from plugins.betting.limits import shown_odds, shown_units
from plugins.betting.maths import OddsFormat, StakeMode
from plugins.betting.models import GuildConfig
from plugins.betting.service import Betting
from plugins.betting.setup_change import SetupChange

MANAGE = disnake.Permissions(manage_guild=True)


def build(betting: Betting) -> commands.InvokableSlashCommand:
    """``/setup``."""

    @commands.slash_command(name="setup", contexts=GUILD_ONLY, default_member_permissions=MANAGE)
    async def setup_(
        inter: ApplicationCommandInteraction,
        picks_channel: disnake.TextChannel | None = None,
        grader_role: disnake.Role | None = None,
        capper_role: disnake.Role | None = None,
        everyone_may_post: bool | None = None,
        min_units: str | None = commands.Param(default=None, max_length=12),
        max_units: str | None = commands.Param(default=None, max_length=12),
        self_grading: bool | None = None,
        odds_format: str | None = commands.Param(
            default=None, choices=[f.value for f in OddsFormat]
        ),
        stake_mode: str | None = commands.Param(default=None, choices=[m.value for m in StakeMode]),
        max_odds: str | None = commands.Param(default=None, max_length=12),
        max_payout: str | None = commands.Param(default=None, max_length=16),
    ) -> None:
        """Set up betting in this server (Manage Server). Options left out keep their value.

        Parameters
        ----------
        picks_channel: Where bet slips are posted
        grader_role: Who may grade picks (Manage Server always may)
        capper_role: Who may post picks
        everyone_may_post: True: drop the capper role, everyone may post picks
        min_units: The smallest stake in units
        max_units: The largest stake in units
        self_grading: Whether authors may grade their own picks
        odds_format: american (-110, +150) or decimal (1.91)
        stake_mode: risk: units are the stake; win: units are what the pick wins
        max_odds: The highest combined decimal odds of a pick, 1.01 to 1000000 (1001 is +100000)
        max_payout: The most units one pick may win, 0.01 to 1000000000
        """
        guild_id = access.guild_id_of(inter)
        await access.require_manager(betting.ctx, inter, "/setup", "change the betting set-up")
        change = SetupChange(
            picks_channel_id=picks_channel.id if picks_channel else None,
            grader_role_id=grader_role.id if grader_role else None,
            capper_role_id=capper_role.id if capper_role else None,
            everyone_may_post=everyone_may_post,
            min_units=min_units,
            max_units=max_units,
            self_grading=self_grading,
            odds_format=odds_format,
            stake_mode=stake_mode,
            max_odds=max_odds,
            max_payout=max_payout,
        )
        config = await betting.change_config(guild_id, change, inter.author.id)
        await inter.send("Betting set-up saved.\n" + describe(config), ephemeral=True)

    return setup_


def describe(config: GuildConfig) -> str:
    """The set-up as ``/setup`` shows it after a change (channels and roles as mentions, which
    ping no one)."""
    channel = f"<#{config.picks_channel_id}>" if config.picks_channel_id else "not set"
    grader = f"<@&{config.grader_role_id}>" if config.grader_role_id else "Manage Server only"
    capper = f"<@&{config.capper_role_id}>" if config.capper_role_id else "everyone"
    return "\n".join(
        [
            f"Picks channel: {channel}",
            f"Grader role: {grader}",
            f"Capper role: {capper}",
            f"Units: {config.min_units} to {config.max_units}",
            f"Self-grading: {'allowed' if config.self_grading else 'not allowed'}",
            f"Odds format: {config.odds_format} · Stake mode: {config.stake_mode}",
            f"Per pick: odds up to {shown_odds(Decimal(config.max_odds))}, "
            f"winning at most {shown_units(Decimal(config.max_payout))}",
        ]
    )
