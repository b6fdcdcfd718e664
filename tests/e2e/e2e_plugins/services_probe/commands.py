"""The ``/svc`` commands: one per service the end-to-end tests drive through the pipeline."""

from __future__ import annotations

from typing import Any

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction
from tortoise.transactions import in_transaction

from core import validation
from core.plugin import PluginContext
from core.recovery import UserError

from .models import Counter, Stake

INVALIDATIONS = ("key", "namespace", "tag")


class ProbeTransient(Exception):
    """A failure that goes away when tried again (the plugin's recovery hook retries it)."""


def namespace(ctx: PluginContext, guild_id: int | None) -> Any:
    """The guild's own cache namespace (one per guild keeps tests on a shared Redis apart)."""
    if guild_id is None:
        raise UserError("Use this command in a server.")
    return ctx.cache(f"g{guild_id}")


def build_commands(ctx: PluginContext) -> list[commands.InvokableSlashCommand]:
    """The ``/svc`` command tree, closing over ``ctx`` (fresh objects on every load)."""
    attempts: dict[int, int] = {}  # interaction id -> handler runs, for /svc flaky

    @commands.slash_command(name="svc", description="Core services probe")
    async def svc(inter: ApplicationCommandInteraction) -> None:
        pass

    @svc.sub_command(name="bump", description="Raise a counter in the database")
    async def bump(inter: ApplicationCommandInteraction, name: str) -> None:
        guild_id = inter.guild_id or 0
        async with in_transaction():
            counter, _ = await Counter.get_or_create(guild_id=guild_id, name=name)
            counter.value += 1
            await counter.save(update_fields=["value"])
        await inter.response.send_message(f"{name}={counter.value}")

    @svc.sub_command(name="show", description="A counter, as the cache serves it")
    async def show(inter: ApplicationCommandInteraction, name: str, tag: str = "all") -> None:
        guild_id = inter.guild_id or 0

        async def load() -> int:
            counter = await Counter.get_or_none(guild_id=guild_id, name=name)
            return counter.value if counter is not None else 0

        value = await namespace(ctx, inter.guild_id).get_or_set(name, load, tags=[tag])
        await inter.response.send_message(f"{name}={value}")

    @svc.sub_command(name="forget", description="Invalidate the cache by key, namespace or tag")
    async def forget(
        inter: ApplicationCommandInteraction,
        what: str = commands.Param(choices=list(INVALIDATIONS)),
        arg: str = "",
    ) -> None:
        ns = namespace(ctx, inter.guild_id)
        if what == "key":
            await ns.delete(arg)
        elif what == "tag":
            await ns.invalidate_tag(arg)
        else:
            await ns.clear()
        await inter.response.send_message(f"forgot {what} {arg}".rstrip(), ephemeral=True)

    @svc.sub_command(name="limited", description="A command with its own rate limit")
    async def limited(inter: ApplicationCommandInteraction) -> None:
        await inter.response.send_message("limited ok")

    @svc.sub_command_group(name="admin", description="A group sharing one rate limit")
    async def admin(inter: ApplicationCommandInteraction) -> None:
        pass

    @admin.sub_command(name="one", description="First command of the group")
    async def admin_one(inter: ApplicationCommandInteraction) -> None:
        await inter.response.send_message("admin one ok")

    @admin.sub_command(name="two", description="Second command of the group")
    async def admin_two(inter: ApplicationCommandInteraction) -> None:
        await inter.response.send_message("admin two ok")

    @svc.sub_command(name="flaky", description="Fail transiently, then succeed")
    async def flaky(inter: ApplicationCommandInteraction, failures: int) -> None:
        attempt = attempts[inter.id] = attempts.get(inter.id, 0) + 1
        if attempt <= failures:
            raise ProbeTransient(f"transient failure {attempt} of {failures}")
        del attempts[inter.id]
        await inter.response.send_message(f"succeeded on attempt {attempt}")

    @svc.sub_command(name="stake", description="Record a validated stake")
    async def stake(inter: ApplicationCommandInteraction, units: str) -> None:
        amount = validation.units(units, minimum=1, maximum=100)
        async with in_transaction():
            await Stake.create(guild_id=inter.guild_id or 0, user_id=inter.author.id, units=amount)
        await inter.response.send_message(f"staked {amount} units")

    return [svc]
