"""``/audit search``: this server's entries (or the ``global`` chain's, for the bot owner) by
member, action, command, outcome and time, newest first, a page at a time."""

from __future__ import annotations

import time
from enum import StrEnum

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core.plugin import PluginContext
from plugins.audit.commands.access import GLOBAL_IS_THE_OWNERS, require_admin, require_owner
from plugins.audit.commands.buttons import render_page
from plugins.audit.models import AuditSearch
from plugins.audit.records import to_micros
from plugins.audit.runtime import runtime_of
from plugins.audit.search import OUTCOMES, parse_filters


class Scope(StrEnum):
    """Whose entries: this server's, or those without a server (the bot owner's)."""

    SERVER = "server"
    GLOBAL = "global"


def add(audit: commands.InvokableSlashCommand, ctx: PluginContext) -> None:
    """Add ``/audit search`` to the ``/audit`` group."""

    @audit.sub_command(name="search", description="Search this server's audit log.")
    async def search(
        inter: ApplicationCommandInteraction,
        member: disnake.User | None = commands.Param(None, description="Only this member"),
        action: str | None = commands.Param(
            None,
            description="A category (command, admin, action, security) or an action's start",
            max_length=100,
        ),
        command: str | None = commands.Param(
            None, description="A command's name or its start, e.g. bet", max_length=100
        ),
        outcome: str | None = commands.Param(
            None, choices=list(OUTCOMES), description="How it ended"
        ),
        since: str | None = commands.Param(
            None, description="From: 2026-11-29, 2026-11-29T18:30 (UTC) or 24h, 7d ago"
        ),
        until: str | None = commands.Param(None, description="Until: same forms as since"),
        scope: str = commands.Param(
            Scope.SERVER.value,
            choices=[s.value for s in Scope],
            description="global: entries without a server (bot owner only)",
        ),
    ) -> None:
        owner = await require_admin(ctx, inter, "/audit search")
        everywhere = Scope(scope) is Scope.GLOBAL
        if everywhere:
            detail = "/audit search scope:global is for the bot owner"
            await require_owner(ctx, inter, owner, GLOBAL_IS_THE_OWNERS, detail)
        filters = parse_filters(
            None if everywhere else inter.guild_id,
            member=str(member.id) if member is not None else None,
            action=action,
            command=command,
            outcome=outcome,
            since=since,
            until=until,
        )
        await runtime_of(ctx).writer.flush()
        saved = await AuditSearch.create(
            guild_id=inter.guild_id,
            user_id=inter.author.id,
            filters=filters.to_json(),
            created_ts=to_micros(time.time()),
        )
        embed, buttons = await render_page(ctx, saved, 0, owner)
        await inter.response.send_message(embed=embed, components=buttons, ephemeral=True)
