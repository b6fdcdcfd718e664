"""A plugin that exercises every registration kind and every pipeline outcome (tests only)."""

from __future__ import annotations

import asyncio

import disnake
from aiohttp import web
from disnake.ext import commands
from loguru import logger

from core.plugin import Plugin, PluginContext
from core.recovery import UserError
from core.validation import ValidationError

calls: dict[str, int] = {}


def probe_command() -> commands.InvokableSlashCommand:
    @commands.slash_command(name="probe", description="Pipeline probe")
    async def probe(inter: disnake.ApplicationCommandInteraction) -> None:
        pass

    @probe.sub_command(name="ok", description="answers")
    async def ok(inter: disnake.ApplicationCommandInteraction, text: str = "pong") -> None:
        calls["ok"] = calls.get("ok", 0) + 1
        logger.info("probe ok handler ran")
        await inter.response.send_message(text)

    @probe.sub_command(name="invalid", description="raises a validation error")
    async def invalid(inter: disnake.ApplicationCommandInteraction) -> None:
        raise ValidationError("odds", "American odds must be at most -100 or at least +100", 0)

    @probe.sub_command(name="refuse", description="raises a user error")
    async def refuse(inter: disnake.ApplicationCommandInteraction) -> None:
        raise UserError("That game has already started.")

    @probe.sub_command(name="crash", description="raises")
    async def crash(inter: disnake.ApplicationCommandInteraction) -> None:
        raise RuntimeError("secret internal detail")

    @probe.sub_command(name="button", description="sends a button")
    async def button(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message(
            "press it",
            components=[disnake.ui.Button(label="Press", custom_id="probe:pressed")],
        )

    return probe


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"probe": True})


async def setup(ctx: PluginContext) -> None:
    ctx.add_command(probe_command())
    ctx.add_routes([web.get("/probe", hello)])

    async def on_pressed(inter: disnake.MessageInteraction, rest: str) -> None:
        await inter.response.edit_message(content=f"pressed {rest}", components=[])

    async def on_guild_join(guild: disnake.Guild) -> None:
        pass

    ctx.add_component("probe", on_pressed)
    ctx.add_listener("guild_join", on_guild_join)
    ctx.create_task(asyncio.Event().wait(), name="idle")
    ctx.cache("scratch")


plugin = Plugin(name="probe", version="0.0.1", setup=setup)
