"""``/audit verify [everything]``: check that this server's hash chain (or, for the bot owner,
every chain) is intact; a broken one is also reported as an ``audit_chain_broken`` event."""

from __future__ import annotations

from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.plugin import PluginContext
from plugins.audit.chain import ChainReport, verify
from plugins.audit.commands.access import require_admin, require_owner
from plugins.audit.runtime import runtime_of

REPORTS_SHOWN = 20


def verify_text(reports: list[ChainReport]) -> str:
    """The broken chains (or, when none is, every chain), a line each."""
    broken = [r for r in reports if not r.ok]
    head = (
        "The audit log was changed after it was written:" if broken else "The audit log is intact:"
    )
    lines = [r.describe() for r in (broken or reports)][:REPORTS_SHOWN]
    body = "\n".join(f"- {line}" for line in lines) or "- no entries yet"
    return discord_limits.fit_text(f"{head}\n{body}", discord_limits.CONTENT)


def add(audit: commands.InvokableSlashCommand, ctx: PluginContext) -> None:
    """Add ``/audit verify`` to the ``/audit`` group."""

    @audit.sub_command(name="verify", description="Check that this server's audit log is intact.")
    async def verify_command(
        inter: ApplicationCommandInteraction,
        everything: bool = commands.Param(
            False, description="Every server's log and the global one (bot owner only)"
        ),
    ) -> None:
        owner = await require_admin(ctx, inter, "/audit verify")
        if everything:
            await require_owner(
                ctx,
                inter,
                owner,
                "Only the bot owner can verify every server's log.",
                "/audit verify everything is for the bot owner",
            )
        await runtime_of(ctx).writer.flush()
        reports = await verify(None if everything else inter.guild_id)
        for report in reports:
            if not report.ok:
                await ctx.security_event(
                    "audit_chain_broken",
                    user_id=inter.author.id,
                    guild_id=inter.guild_id,
                    detail=report.describe(),
                )
        await inter.response.send_message(verify_text(reports), ephemeral=True)
