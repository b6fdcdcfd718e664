"""A tiny plugin for the audit tests: commands that succeed, fail, refuse and report actions."""

from __future__ import annotations

import disnake
from disnake.ext import commands

from core.plugin import Plugin, PluginContext
from core.recovery import UserError
from core.validation import units


def build_commands(ctx: PluginContext) -> list[commands.InvokableSlashCommand]:
    @commands.slash_command(name="probe", description="Audit test commands.")
    async def probe(inter: disnake.ApplicationCommandInteraction) -> None:
        """Group."""

    @probe.sub_command(name="ok", description="Succeeds.")
    async def ok(
        inter: disnake.ApplicationCommandInteraction, note: str = "", api_token: str = ""
    ) -> None:
        await inter.response.send_message("done", ephemeral=True)

    @probe.sub_command(name="fail", description="Raises an unexpected error.")
    async def fail(inter: disnake.ApplicationCommandInteraction) -> None:
        raise RuntimeError("probe failure")

    @probe.sub_command(name="stake", description="Validates units.")
    async def stake(inter: disnake.ApplicationCommandInteraction, amount: str) -> None:
        value = units(amount)
        await inter.response.send_message(f"staked {value}", ephemeral=True)

    @probe.sub_command(name="grade", description="An admin action.")
    async def grade(inter: disnake.ApplicationCommandInteraction, pick: int) -> None:
        if not inter.permissions.manage_guild:
            raise UserError("Only admins grade.")
        await ctx.action(
            "bet.graded",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            admin=True,
            target=f"pick #{pick}",
            data={"result": "won"},
            interaction_id=inter.id,
        )
        await inter.response.send_message("graded", ephemeral=True)

    return [probe]


async def setup(ctx: PluginContext) -> None:
    for command in build_commands(ctx):
        ctx.add_command(command)


plugin = Plugin(name="probe", version="1.0.0", setup=setup)
