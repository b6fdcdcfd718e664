"""Who may do what: graders, cappers, guild admins.

``is_*`` / :func:`may_post` answer the question; ``require_*`` refuse a member who may not,
through :meth:`~core.plugin.PluginContext.refuse` (the member's message and the
``permission_refused`` security event whose ``detail`` names ``what`` was refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from disnake.interactions import Interaction

from core.recovery import UserError
from plugins.betting.models import GuildConfig, Pick

if TYPE_CHECKING:
    from core.plugin import PluginContext


def guild_id_of(inter: Interaction) -> int:
    """The interaction's guild; betting commands work in servers only."""
    if inter.guild_id is None:
        raise UserError("Betting commands work in a server, not in direct messages.")
    return inter.guild_id


def _role_ids(inter: Interaction) -> set[int]:
    return {role.id for role in getattr(inter.author, "roles", [])}


def is_manager(inter: Interaction) -> bool:
    """Manage Server (or Administrator) in this guild."""
    return bool(inter.permissions.manage_guild or inter.permissions.administrator)


def is_grader(inter: Interaction, config: GuildConfig) -> bool:
    """The guild's grader role, or Manage Server."""
    if is_manager(inter):
        return True
    return config.grader_role_id is not None and config.grader_role_id in _role_ids(inter)


OWN_PICK = "You cannot grade your own pick in this server; ask another grader."
"""Why a grader may not grade ``pick`` (see :func:`grades_own_pick`)."""


def grades_own_pick(pick: Pick, user_id: int, config: GuildConfig) -> bool:
    """Whether ``user_id`` would grade their own pick where self-grading is off (refused, in
    Discord and on the web alike)."""
    return pick.user_id == user_id and not config.self_grading


def may_post(inter: Interaction, config: GuildConfig) -> bool:
    """The capper role when the guild set one (no role set: everyone), or Manage Server."""
    if config.capper_role_id is None or is_manager(inter):
        return True
    return config.capper_role_id in _role_ids(inter)


async def require_capper(
    ctx: PluginContext, inter: Interaction, config: GuildConfig, what: str
) -> None:
    """Refuse posting a pick (``what``: e.g. ``"/bet parlay"``) to a member who may not."""
    if not may_post(inter, config):
        await ctx.refuse(
            inter,
            "Only members with the capper role may post picks here.",
            f"{what} without the capper role",
        )


async def require_grader(
    ctx: PluginContext, inter: Interaction, config: GuildConfig, what: str, action: str
) -> None:
    """Refuse ``what`` (e.g. ``"/bet grade 5"``) to a member who is no grader; ``action`` says
    what graders may do (``"grade picks"``)."""
    if not is_grader(inter, config):
        await ctx.refuse(
            inter,
            f"Only graders (the grader role or Manage Server) can {action}.",
            f"{what} without the grader role",
        )


async def require_manager(ctx: PluginContext, inter: Interaction, what: str, action: str) -> None:
    """Refuse ``what`` (e.g. ``"/setup"``) to a member without Manage Server; ``action`` says
    what such members may do (``"change the betting set-up"``)."""
    if not is_manager(inter):
        await ctx.refuse(
            inter, f"Only members with Manage Server can {action}.", f"{what} without Manage Server"
        )
