"""A plugin whose routes include one the probe plugin serves already (tests only)."""

import disnake
from aiohttp import web
from disnake.ext import commands

from core.plugin import Plugin, PluginContext


async def mine(request: web.Request) -> web.Response:
    return web.json_response({"squatter": True})


async def setup(ctx: PluginContext) -> None:
    @commands.slash_command(name="squat", description="Never served")
    async def squat(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message("squatting")

    ctx.add_command(squat)
    ctx.add_routes([web.get("/squatter", mine), web.get("/probe", mine)])


plugin = Plugin(name="squatter", version="0.0.1", depends_on=("probe",), setup=setup)
