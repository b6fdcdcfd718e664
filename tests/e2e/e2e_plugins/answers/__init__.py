"""Slow commands, private and public, that answer or fail after the pipeline's automatic defer
(tests of :mod:`core.responder` only).

``/answers private|public how:<...>`` waits until the test sets :data:`release` (so the pipeline
defers first), then answers as ``how`` says. ``/answers race`` answers at the very moment the
pipeline defers.
"""

from __future__ import annotations

import asyncio

import disnake
from disnake.ext import commands

from core.pipeline import AUTO_DEFER_AFTER
from core.plugin import Plugin, PluginContext
from core.recovery import UserError

release = asyncio.Event()
HOW = ["private", "public", "refuse", "crash"]


async def _answer(inter: disnake.ApplicationCommandInteraction, how: str) -> None:
    await release.wait()
    if how == "refuse":
        raise UserError("Only you may see this refusal.")
    if how == "crash":
        raise RuntimeError("internal")
    await inter.send(f"a {how} answer", ephemeral=how == "private")


async def setup(ctx: PluginContext) -> None:
    @commands.slash_command(name="answers", description="Slow answers")
    async def answers(inter: disnake.ApplicationCommandInteraction) -> None:
        pass

    @answers.sub_command(name="private", description="a private command")
    async def private(
        inter: disnake.ApplicationCommandInteraction,
        how: str = commands.Param(choices=HOW),
    ) -> None:
        await _answer(inter, how)

    @answers.sub_command(name="public", description="a public command", extras={"public": True})
    async def public(
        inter: disnake.ApplicationCommandInteraction,
        how: str = commands.Param(choices=HOW),
    ) -> None:
        await _answer(inter, how)

    @answers.sub_command(name="race", description="answers when the pipeline defers")
    async def race(inter: disnake.ApplicationCommandInteraction) -> None:
        loop = asyncio.get_running_loop()
        received = getattr(inter.response, "received", loop.time())
        await asyncio.sleep(received + AUTO_DEFER_AFTER - loop.time())
        await inter.send("stored", ephemeral=True)

    ctx.add_command(answers)


plugin = Plugin(name="answers", version="0.0.1", setup=setup)
