"""Who may do what: a :class:`~core.pages.Viewer` from Discord's answers, and the one check of
a page's or an endpoint's :class:`~core.pages.Access` that both use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import disnake

from core.pages import Access, Endpoint, GuildAccess, Page, Scope, Viewer, WebError, WebRequest
from core.plugin import PluginContext


def guild_access(guilds: Iterable[dict[str, Any]], shared: set[int]) -> dict[int, GuildAccess]:
    """The guilds of Discord's ``/users/@me/guilds`` answer that the bot is in too."""
    found: dict[int, GuildAccess] = {}
    for guild in guilds:
        try:
            guild_id, permissions = int(guild["id"]), int(guild.get("permissions") or 0)
        except (KeyError, TypeError, ValueError):
            continue
        if guild_id in shared:
            name = str(guild.get("name") or guild_id)
            rights = disnake.Permissions(permissions)
            manages = bool(guild.get("owner")) or rights.administrator or rights.manage_guild
            found[guild_id] = GuildAccess(guild_id, name, manages)
    return found


def viewer(
    ctx: PluginContext,
    user_id: int,
    name: str,
    guilds: Iterable[dict[str, Any]],
    scopes: frozenset[Scope] = frozenset(Scope),
) -> Viewer:
    shared = {guild.id for guild in ctx.bot.guilds}
    return Viewer(user_id, name, guild_access(guilds, shared), ctx.is_owner(user_id), scopes)


async def check(ctx: PluginContext, item: Page | Endpoint, req: WebRequest) -> None:
    """Raise :class:`WebError` (401 without a login, 403 when refused, 404 for a guild the bot
    does not share) unless ``req`` may use ``item``; a 403 is reported as a security event
    (:meth:`~core.plugin.PluginContext.refuse_request`)."""
    if item.access is Access.PUBLIC:
        return
    who = req.viewer
    if who is None:
        raise WebError(401, "Log in with Discord to see this.")
    if isinstance(item, Endpoint) and item.scope not in who.scopes:
        await ctx.refuse_request(req, f"the token lacks the {item.scope} scope")
    guild_id = req.guild_id
    if guild_id is not None and ctx.bot.get_guild(guild_id) is None:
        raise WebError(404, "The bot is not in that server.")
    if item.access is Access.OWNER:
        if not who.owner:
            await ctx.refuse_request(req, "only the bot's owner may")
        return
    if guild_id is None:
        return
    if not who.member_of(guild_id):
        await ctx.refuse_request(req, "you are not a member of that server")
    if item.access is Access.MANAGER and not who.manages(guild_id):
        if item.grants is None or not await item.grants(req):
            await ctx.refuse_request(req, "it needs Manage Server in that server")
