"""The ``/audit`` command group, a module per sub-command, and the search page's buttons.

``/audit search`` (:mod:`.audit_search`), ``/audit verify`` (:mod:`.audit_verify`),
``/audit sessions`` (:mod:`.audit_sessions`); the Newer, Older and Export CSV buttons
(:mod:`.buttons`). Everything needs Manage Server (or the bot owner) and shows only the invoker's
own server; owner-only entries and the ``global`` chain are the owner's (:mod:`.access`).
"""

from __future__ import annotations

import disnake
from disnake.ext import commands
from disnake.interactions import ApplicationCommandInteraction

from core.plugin import PluginContext
from plugins.audit.commands import audit_search, audit_sessions, audit_verify
from plugins.audit.commands.buttons import PREFIX, build_component_handler

__all__ = ["PREFIX", "build_commands", "build_component_handler"]

SUB_COMMANDS = (audit_search, audit_verify, audit_sessions)


def build_commands(ctx: PluginContext) -> list[commands.InvokableSlashCommand]:
    """The ``/audit`` group with its sub-commands, closing over the plugin's context."""

    @commands.slash_command(
        name="audit",
        description="Read this server's audit log.",
        default_member_permissions=disnake.Permissions(manage_guild=True),
        contexts=disnake.InteractionContextTypes(guild=True),
    )
    async def audit(inter: ApplicationCommandInteraction) -> None:
        """The group; its sub-commands do the work."""

    for module in SUB_COMMANDS:
        module.add(audit, ctx)
    return [audit]
