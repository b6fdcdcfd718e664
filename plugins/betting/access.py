"""Who may do what: graders, cappers, guild admins."""

from __future__ import annotations

from disnake.interactions import Interaction

from core.recovery import UserError
from plugins.betting.models import GuildConfig


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


def may_post(inter: Interaction, config: GuildConfig) -> bool:
    """The capper role when the guild set one (no role set: everyone), or Manage Server."""
    if config.capper_role_id is None or is_manager(inter):
        return True
    return config.capper_role_id in _role_ids(inter)
