"""The buttons of an ``/audit search`` page: ``audit:page:<search>:<page>`` (Newer, Older) and
``audit:csv:<search>`` (Export CSV).

They carry the id of a saved :class:`~plugins.audit.models.AuditSearch`, so they work after a
restart, and only for the member who ran the search.
"""

from __future__ import annotations

import io
import math
from enum import StrEnum

import disnake
from disnake.interactions import MessageInteraction, ModalInteraction

from core.plugin import ComponentHandler, PluginContext
from core.recovery import UserError
from plugins.audit import search as audit_search
from plugins.audit.commands.access import GLOBAL_IS_THE_OWNERS, require_admin, require_owner
from plugins.audit.export import export
from plugins.audit.models import AuditSearch
from plugins.audit.runtime import runtime_of
from plugins.audit.search import Filters

PREFIX = "audit"


class Button(StrEnum):
    """What a button of a search page does (the part of its custom id after :data:`PREFIX`)."""

    PAGE = "page"
    CSV = "csv"


def custom_id(button: Button, search_id: int, *args: int) -> str:
    return ":".join([PREFIX, button, str(search_id), *map(str, args)])


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
            label="Newer", custom_id=custom_id(Button.PAGE, saved.id, page - 1), disabled=page == 0
        ),
        disnake.ui.Button(
            label="Older",
            custom_id=custom_id(Button.PAGE, saved.id, page + 1),
            disabled=page >= pages - 1,
        ),
        disnake.ui.Button(
            label="Export CSV",
            custom_id=custom_id(Button.CSV, saved.id),
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
        await ctx.refuse(
            inter,
            "These buttons belong to another member's search. Run /audit search.",
            f"pressed the buttons of another member's audit search #{saved.id}",
        )
    if Filters.from_json(saved.filters).guild_id is None:
        detail = f"the buttons of audit search #{saved.id} (scope:global) are for the bot owner"
        await require_owner(ctx, inter, owner, GLOBAL_IS_THE_OWNERS, detail)
    return saved, owner


async def show_page(ctx: PluginContext, inter: MessageInteraction, args: str) -> None:
    """``<search>:<page>``: the page replaces the message's embed and buttons."""
    search_id, _, page = args.partition(":")
    saved, owner = await saved_search(ctx, inter, search_id)
    number = int(page) if page.lstrip("-").isdecimal() else 0
    embed, buttons = await render_page(ctx, saved, number, owner)
    await inter.response.edit_message(embed=embed, components=buttons)


async def export_csv(ctx: PluginContext, inter: MessageInteraction, search_id: str) -> None:
    """The search's entries (up to ``export_limit``) as a CSV file, to the member alone."""
    saved, owner = await saved_search(ctx, inter, search_id)
    made = await export(
        ctx,
        Filters.from_json(saved.filters),
        owner=owner,
        user_id=inter.author.id,
        guild_id=inter.guild_id,
        target=f"search #{saved.id}",
    )
    file = disnake.File(io.BytesIO(made.data), made.filename)
    await inter.response.send_message(made.note, file=file, ephemeral=True)


def build_component_handler(ctx: PluginContext) -> ComponentHandler:
    """The handler of every ``audit:`` button."""

    async def on_component(inter: MessageInteraction | ModalInteraction, rest: str) -> None:
        if not isinstance(inter, MessageInteraction):
            raise UserError("This form is not part of the audit log.")
        kind, _, args = rest.partition(":")
        if kind == Button.PAGE:
            await show_page(ctx, inter, args)
        elif kind == Button.CSV:
            await export_csv(ctx, inter, args)
        else:
            raise UserError("This button is from an older version of the audit log.")

    return on_component
