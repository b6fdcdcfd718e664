"""Commands whose answers Discord refuses (sandbox tests only): ``/oversized embed`` answers
with an embed description over Discord's 4,096 characters; ``/oversized nonce`` posts a message
whose nonce is over Discord's 25 characters, which Discord's OpenAPI description rejects and the
local Discord (which does not check nonces) serves."""

from __future__ import annotations

import disnake
from disnake.ext import commands

from core.plugin import Plugin, PluginContext


async def setup(ctx: PluginContext) -> None:
    @commands.slash_command(name="oversized", description="Answers Discord refuses")
    async def oversized(inter: disnake.ApplicationCommandInteraction) -> None:
        pass

    @oversized.sub_command(name="embed", description="an embed over Discord's limits")
    async def embed(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message(embed=disnake.Embed(description="x" * 4097))

    @oversized.sub_command(name="nonce", description="a message with an over-long nonce")
    async def nonce(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.channel.send("posted", nonce="n" * 26)
        await inter.response.send_message("done")

    ctx.add_command(oversized)


plugin = Plugin(name="oversized", version="0.0.1", setup=setup)
