"""A plugin whose commands declare their own limits (``core.ratelimit.limits.rate_limit``).

``/karma give`` allows 2 per minute per member; ``/karma show`` has no declared limit (the
core's default applies); ``/thanks`` declares 1 per minute on a top-level command.
"""

from __future__ import annotations

import disnake
from disnake.ext import commands

from core.plugin import Plugin, PluginContext
from core.ratelimit.limits import rate_limit


async def setup(ctx: PluginContext) -> None:
    @commands.slash_command(name="karma", description="Karma")
    async def karma(inter: disnake.ApplicationCommandInteraction) -> None:
        pass

    @rate_limit("2/60s")
    @karma.sub_command(name="give", description="Give karma")
    async def give(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.send("given", ephemeral=True)

    @karma.sub_command(name="show", description="Show karma")
    async def show(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.send("shown", ephemeral=True)

    @rate_limit("1/60s")
    @commands.slash_command(name="thanks", description="Thank someone")
    async def thanks(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.send("thanked", ephemeral=True)

    ctx.add_command(karma)
    ctx.add_command(thanks)


plugin = Plugin(name="limited", version="1.0.0", setup=setup)
