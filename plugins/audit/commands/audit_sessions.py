"""``/audit sessions member``: a member's recent sessions (runs of activity) in this server."""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.plugin import PluginContext
from core.validation import escape_markdown
from plugins.audit.commands.access import require_admin
from plugins.audit.models import AuditSession
from plugins.audit.runtime import runtime_of

SESSIONS_SHOWN = 10


def session_line(session: AuditSession) -> str:
    """When it started and ended, how long it lasted, how many commands it held."""
    minutes = (session.ended_ts - session.started_ts) // 60_000_000
    count = session.command_count
    return (
        f"<t:{session.started_ts // 1_000_000}:f> → <t:{session.ended_ts // 1_000_000}:t> "
        f"({minutes} min): {count} command{'' if count == 1 else 's'}"
    )


def add(audit: commands.InvokableSlashCommand, ctx: PluginContext) -> None:
    """Add ``/audit sessions`` to the ``/audit`` group."""

    @audit.sub_command(name="sessions", description="A member's recent sessions in this server.")
    async def sessions(
        inter: ApplicationCommandInteraction,
        member: disnake.User = commands.Param(description="Whose sessions"),
    ) -> None:
        await require_admin(ctx, inter, "/audit sessions")
        runtime = runtime_of(ctx)
        await runtime.writer.flush()
        rows = await (
            AuditSession.filter(user_id=member.id, guild_id=inter.guild_id)
            .order_by("-ended_ts")
            .limit(SESSIONS_SHOWN)
        )
        embed = disnake.Embed(
            title=f"Sessions of {escape_markdown(member.display_name)}",
            description="\n".join(session_line(s) for s in rows)
            or "No activity recorded in this server.",
            colour=disnake.Colour.blurple(),
        )
        gap = runtime.settings.session_gap / 60
        embed.set_footer(text=f"A session ends after {gap:g} idle minutes")
        await inter.response.send_message(embed=discord_limits.fit(embed), ephemeral=True)
