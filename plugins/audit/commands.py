"""``/audit search``, ``/audit verify`` and ``/audit sessions``, and the search page buttons.

Everything here needs Manage Server (or the bot owner) and shows only the invoker's own server;
owner-only entries (operator-level security events) and the ``global`` chain are the owner's.
Page and export buttons carry the id of a saved :class:`AuditSearch`, so they work after a
restart, and only for the member who ran the search.
"""

from __future__ import annotations

import io
import math
import time
from datetime import UTC, datetime

import disnake
from disnake.ext import commands
from disnake.interactions import (
    ApplicationCommandInteraction,
    Interaction,
    MessageInteraction,
    ModalInteraction,
)

from core import discord_limits
from core.events import Outcome
from core.plugin import ComponentHandler, PluginContext
from core.recovery import UserError
from core.validation import escape_markdown
from plugins.audit import search as audit_search
from plugins.audit.chain import verify
from plugins.audit.models import AuditSearch, AuditSession
from plugins.audit.records import to_micros
from plugins.audit.runtime import runtime_of
from plugins.audit.search import Filters

PREFIX = "audit"
OUTCOMES = [o.value for o in Outcome if o is not Outcome.DUPLICATE]
SESSIONS_SHOWN = 10
NEEDS_MANAGE_SERVER = "You need the Manage Server permission to read this server's audit log."


async def require_admin(ctx: PluginContext, inter: Interaction, what: str) -> bool:
    """Refuse (and report) members without Manage Server; return whether the invoker is owner."""
    if inter.guild_id is None:
        raise UserError("Use this in a server: each server has its own audit log.")
    owner = ctx.is_owner(inter.author.id)
    if owner or inter.permissions.manage_guild:
        return owner
    await ctx.security_event(
        "permission_refused",
        user_id=inter.author.id,
        guild_id=inter.guild_id,
        detail=f"{what} needs Manage Server",
    )
    raise UserError(NEEDS_MANAGE_SERVER)


async def render_page(
    ctx: PluginContext, saved: AuditSearch, page: int, owner: bool
) -> tuple[disnake.Embed, list[disnake.ui.Button]]:
    """The embed and buttons of ``page`` (clamped to the pages that exist) of a saved search."""
    settings = runtime_of(ctx).settings
    filters = Filters.from_json(saved.filters)
    qs = audit_search.query(filters, include_owner_only=owner)
    total = await qs.count()
    pages = max(1, math.ceil(total / settings.page_size))
    page = min(max(page, 0), pages - 1)
    entries = await qs.offset(page * settings.page_size).limit(settings.page_size)
    embed = audit_search.page_embed(list(entries), filters, page, pages, total)
    buttons = [
        disnake.ui.Button(
            label="Newer", custom_id=f"{PREFIX}:page:{saved.id}:{page - 1}", disabled=page == 0
        ),
        disnake.ui.Button(
            label="Older",
            custom_id=f"{PREFIX}:page:{saved.id}:{page + 1}",
            disabled=page >= pages - 1,
        ),
        disnake.ui.Button(
            label="Export CSV",
            custom_id=f"{PREFIX}:csv:{saved.id}",
            style=disnake.ButtonStyle.secondary,
            disabled=total == 0,
        ),
    ]
    return embed, buttons


async def saved_search(
    ctx: PluginContext, inter: MessageInteraction, search_id: str
) -> tuple[AuditSearch, bool]:
    """The invoker's saved search (refused for anyone else), and whether they are the owner."""
    owner = await require_admin(ctx, inter, "the audit search buttons")
    saved = await AuditSearch.get_or_none(id=int(search_id)) if search_id.isdecimal() else None
    if saved is None:
        raise UserError("This search has expired. Run /audit search again.")
    if saved.user_id != inter.author.id or saved.guild_id != inter.guild_id:
        await ctx.security_event(
            "permission_refused",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            detail=f"pressed the buttons of another member's audit search #{saved.id}",
        )
        raise UserError("These buttons belong to another member's search. Run /audit search.")
    if Filters.from_json(saved.filters).guild_id is None and not owner:
        raise UserError("Only the bot owner can read entries without a server.")
    return saved, owner


def build_component_handler(ctx: PluginContext) -> ComponentHandler:
    """The handler of ``audit:page:<search>:<page>`` and ``audit:csv:<search>`` buttons."""

    async def on_component(inter: MessageInteraction | ModalInteraction, rest: str) -> None:
        if not isinstance(inter, MessageInteraction):
            raise UserError("This form is not part of the audit log.")
        kind, _, args = rest.partition(":")
        if kind == "page":
            search_id, _, page = args.partition(":")
            saved, owner = await saved_search(ctx, inter, search_id)
            number = int(page) if page.lstrip("-").isdecimal() else 0
            embed, buttons = await render_page(ctx, saved, number, owner)
            await inter.response.edit_message(embed=embed, components=buttons)
        elif kind == "csv":
            saved, owner = await saved_search(ctx, inter, args)
            limit = runtime_of(ctx).settings.export_limit
            filters = Filters.from_json(saved.filters)
            entries = list(await audit_search.query(filters, include_owner_only=owner).limit(limit))
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            file = disnake.File(io.BytesIO(audit_search.to_csv(entries)), f"audit-{stamp}.csv")
            note = f"{len(entries)} entries" + (
                f" (the newest {limit}; narrow the filters for older ones)"
                if len(entries) == limit
                else ""
            )
            await inter.response.send_message(note, file=file, ephemeral=True)
            await ctx.action(
                "audit.exported",
                user_id=inter.author.id,
                guild_id=inter.guild_id,
                admin=True,
                target=f"search #{saved.id}",
                data={"rows": len(entries)},
            )
        else:
            raise UserError("This button is from an older version of the audit log.")

    return on_component


def build_commands(ctx: PluginContext) -> list[commands.InvokableSlashCommand]:
    """The ``/audit`` command group, closing over the plugin's context."""

    @commands.slash_command(
        name="audit",
        description="Read this server's audit log.",
        default_member_permissions=disnake.Permissions(manage_guild=True),
        contexts=disnake.InteractionContextTypes(guild=True),
    )
    async def audit(inter: ApplicationCommandInteraction) -> None:
        """The group; its sub-commands do the work."""

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
        outcome: str | None = commands.Param(None, choices=OUTCOMES, description="How it ended"),
        since: str | None = commands.Param(
            None, description="From: 2026-11-29, 2026-11-29T18:30 (UTC) or 24h, 7d ago"
        ),
        until: str | None = commands.Param(None, description="Until: same forms as since"),
        scope: str = commands.Param(
            "server",
            choices=["server", "global"],
            description="global: entries without a server (bot owner only)",
        ),
    ) -> None:
        owner = await require_admin(ctx, inter, "/audit search")
        if scope == "global" and not owner:
            await ctx.security_event(
                "permission_refused",
                user_id=inter.author.id,
                guild_id=inter.guild_id,
                detail="/audit search scope:global is for the bot owner",
            )
            raise UserError("Only the bot owner can read entries without a server.")
        filters = Filters(
            guild_id=None if scope == "global" else inter.guild_id,
            user_id=member.id if member is not None else None,
            action=action.strip() if action else None,
            command=command.strip() if command else None,
            outcome=outcome,
            since=audit_search.parse_when(since, "since") if since else None,
            until=audit_search.parse_when(until, "until") if until else None,
        )
        if (
            filters.since is not None
            and filters.until is not None
            and filters.since > filters.until
        ):
            raise UserError("`since` is after `until`: swap them or widen the range.")
        await runtime_of(ctx).writer.flush()
        saved = await AuditSearch.create(
            guild_id=inter.guild_id,
            user_id=inter.author.id,
            filters=filters.to_json(),
            created_ts=to_micros(time.time()),
        )
        embed, buttons = await render_page(ctx, saved, 0, owner)
        await inter.response.send_message(embed=embed, components=buttons, ephemeral=True)

    @audit.sub_command(name="verify", description="Check that this server's audit log is intact.")
    async def verify_command(
        inter: ApplicationCommandInteraction,
        everything: bool = commands.Param(
            False, description="Every server's log and the global one (bot owner only)"
        ),
    ) -> None:
        owner = await require_admin(ctx, inter, "/audit verify")
        if everything and not owner:
            raise UserError("Only the bot owner can verify every server's log.")
        await runtime_of(ctx).writer.flush()
        reports = await verify(None if everything else inter.guild_id)
        broken = [r for r in reports if not r.ok]
        for report in broken:
            await ctx.security_event(
                "audit_chain_broken",
                user_id=inter.author.id,
                guild_id=inter.guild_id,
                detail=report.describe(),
            )
        lines = [r.describe() for r in (broken or reports)]
        head = (
            "The audit log was changed after it was written:"
            if broken
            else "The audit log is intact:"
        )
        body = "\n".join(f"- {line}" for line in lines[:20]) or "- no entries yet"
        text = discord_limits.fit_text(f"{head}\n{body}", discord_limits.CONTENT)
        await inter.response.send_message(text, ephemeral=True)

    @audit.sub_command(name="sessions", description="A member's recent sessions in this server.")
    async def sessions(
        inter: ApplicationCommandInteraction,
        member: disnake.User = commands.Param(description="Whose sessions"),
    ) -> None:
        await require_admin(ctx, inter, "/audit sessions")
        await runtime_of(ctx).writer.flush()
        rows = await (
            AuditSession.filter(user_id=member.id, guild_id=inter.guild_id)
            .order_by("-ended_ts")
            .limit(SESSIONS_SHOWN)
        )
        lines = [
            f"<t:{s.started_ts // 1_000_000}:f> → <t:{s.ended_ts // 1_000_000}:t> "
            f"({(s.ended_ts - s.started_ts) // 60_000_000} min): {s.command_count} "
            f"command{'' if s.command_count == 1 else 's'}"
            for s in rows
        ]
        embed = disnake.Embed(
            title=f"Sessions of {escape_markdown(member.display_name)}",
            description="\n".join(lines) or "No activity recorded in this server.",
            colour=disnake.Colour.blurple(),
        )
        gap = runtime_of(ctx).settings.session_gap / 60
        embed.set_footer(text=f"A session ends after {gap:g} idle minutes")
        await inter.response.send_message(embed=discord_limits.fit(embed), ephemeral=True)

    return [audit]
