"""Who may read the audit log: Manage Server (or the bot owner) for a server's own log, the bot
owner alone for the ``global`` chain and every server's log at once.

Every refusal goes through :meth:`~core.plugin.PluginContext.refuse` (a ``permission_refused``
security event, and the member's message).
"""

from __future__ import annotations

from disnake.interactions import Interaction

from core.plugin import PluginContext
from core.recovery import UserError

NEEDS_MANAGE_SERVER = "You need the Manage Server permission to read this server's audit log."
GLOBAL_IS_THE_OWNERS = "Only the bot owner can read entries without a server."


async def require_admin(ctx: PluginContext, inter: Interaction, what: str) -> bool:
    """Refuse members without Manage Server; return whether the invoker is a bot owner."""
    if inter.guild_id is None:
        raise UserError("Use this in a server: each server has its own audit log.")
    owner = ctx.is_owner(inter.author.id)
    if owner or inter.permissions.manage_guild:
        return owner
    await ctx.refuse(inter, NEEDS_MANAGE_SERVER, f"{what} needs Manage Server")


async def require_owner(
    ctx: PluginContext, inter: Interaction, owner: bool, message: str, detail: str
) -> None:
    """Refuse (``message`` to the member, ``detail`` in the event) unless ``owner``."""
    if not owner:
        await ctx.refuse(inter, message, detail)
