"""A probe plugin whose commands report picks, use the cache and crash (metrics tests only)."""

from __future__ import annotations

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core.plugin import Plugin, PluginContext


async def setup(ctx: PluginContext) -> None:
    @commands.slash_command(name="pick", description="Picks probe")
    async def pick(inter: ApplicationCommandInteraction) -> None:
        pass

    @pick.sub_command(name="place", description="reports a placed pick")
    async def place(inter: ApplicationCommandInteraction) -> None:
        await ctx.action(
            "bet.placed", user_id=inter.author.id, guild_id=inter.guild_id, data={"kind": "parlay"}
        )
        await inter.response.send_message("placed")

    @pick.sub_command(name="grade", description="reports a graded pick")
    async def grade(inter: ApplicationCommandInteraction, result: str = "win") -> None:
        await ctx.action("bet.graded", guild_id=inter.guild_id, data={"status": result})
        await inter.response.send_message(f"graded {result}")

    @pick.sub_command(name="board", description="reads a cached value")
    async def board(inter: ApplicationCommandInteraction) -> None:
        async def compute() -> str:
            return "Alice leads"

        await inter.response.send_message(await ctx.cache("board").get_or_set("top", compute))

    @pick.sub_command(name="crash", description="raises")
    async def crash(inter: ApplicationCommandInteraction) -> None:
        raise ZeroDivisionError("no picks yet")

    ctx.add_command(pick)


plugin = Plugin(name="picks", version="0.0.1", setup=setup)
