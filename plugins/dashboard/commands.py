"""``/token``: personal API tokens from Discord, as the dashboard's tokens page makes them.

``/token create name scope`` shows the secret once; ``/token list`` lists the live ones;
``/token revoke id`` ends one. Every reply is ephemeral. A token made in a server carries that
server with the member's permissions there (what ``/users/@me/guilds`` would say), until a login
on the dashboard brings the member's full list.
"""

from __future__ import annotations

from typing import Any

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core import discord_limits
from core.plugin import PluginContext
from core.recovery import UserError
from core.validation import escape_markdown
from plugins.dashboard.models import ApiToken
from plugins.dashboard.tokens import MAX_TOKENS, Tokens, parse_scopes

SCOPES = [
    disnake.OptionChoice("read", "read"),
    disnake.OptionChoice("read and manage the servers you manage", "read manage"),
]


def guild_snapshot(inter: ApplicationCommandInteraction) -> list[dict[str, Any]]:
    """The interaction's server as Discord's ``/users/@me/guilds`` lists it to the member (none
    in a direct message)."""
    member = inter.author
    if inter.guild_id is None or not isinstance(member, disnake.Member):
        return []
    return [
        {
            "id": str(inter.guild_id),
            "name": member.guild.name,
            "permissions": str(member.guild_permissions.value),
            "owner": member.guild.owner_id == member.id,
        }
    ]


def token_line(token: ApiToken) -> str:
    """``#3 **phone** · read · made <t:…:d> · used <t:…:R>``."""
    used = f"used <t:{int(token.used_at.timestamp())}:R>" if token.used_at else "never used"
    made = f"made <t:{int(token.created_at.timestamp())}:d>"
    return f"`#{token.id}` **{escape_markdown(token.name)}** · {token.scopes} · {made} · {used}"


def build(ctx: PluginContext, tokens: Tokens) -> commands.InvokableSlashCommand:
    @commands.slash_command(
        name="token",
        description="Your personal tokens for the bot's API.",
        contexts=disnake.InteractionContextTypes(guild=True, bot_dm=True),
    )
    async def token(inter: ApplicationCommandInteraction) -> None:
        """The group; its sub-commands do the work."""

    @token.sub_command(name="create", description="Make an API token (shown only once).")
    async def create(
        inter: ApplicationCommandInteraction,
        name: str = commands.Param(description="What the token is for, e.g. phone", max_length=64),
        scope: str = commands.Param("read", choices=SCOPES, description="What it may do"),
    ) -> None:
        scopes = parse_scopes(scope.split())
        made, secret = await tokens.create(inter.author.id, name, scopes, guild_snapshot(inter))
        await ctx.action(
            "token.created",
            user_id=inter.author.id,
            target=f"token:{made.id}",
            data={"scopes": made.scopes},
        )
        await inter.response.send_message(
            f"Your new token `#{made.id}` **{escape_markdown(made.name)}** ({made.scopes}). "
            f"Copy it now: it is shown only this once.\n```\n{secret}\n```"
            "Send it as `Authorization: Bearer <token>`; `/token revoke` ends it.",
            ephemeral=True,
        )

    @token.sub_command(name="list", description="Your live API tokens.")
    async def list_tokens(inter: ApplicationCommandInteraction) -> None:
        listed = await tokens.of_user(inter.author.id)
        if not listed:
            text = "You have no API tokens. Make one with `/token create`."
        else:
            head = f"Your API tokens ({len(listed)} of at most {MAX_TOKENS}):"
            text = head + "\n" + "\n".join(token_line(t) for t in listed)
        await inter.response.send_message(
            discord_limits.fit_text(text, discord_limits.CONTENT), ephemeral=True
        )

    @token.sub_command(name="revoke", description="End one of your API tokens.")
    async def revoke(
        inter: ApplicationCommandInteraction,
        number: int = commands.Param(
            name="id", description="The token's number, from /token list", ge=1, le=2**31 - 1
        ),
    ) -> None:
        if not await tokens.revoke(inter.author.id, number):
            raise UserError(f"Token #{number} is not one of yours, or it is revoked already.")
        await ctx.action("token.revoked", user_id=inter.author.id, target=str(number))
        await inter.response.send_message(
            f"Token #{number} is revoked: programs that use it are refused from now on.",
            ephemeral=True,
        )

    return token
