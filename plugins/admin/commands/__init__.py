"""The admin plugin's slash commands, a module each, named for the command.

Owner only: ``/reload`` (:mod:`.reload`), ``/plugins`` (:mod:`.plugins`), ``/status``
(:mod:`.status`), ``/config`` (:mod:`.config`), ``/backup`` (:mod:`.backup`). Guild admins
(Manage Server): ``/admin plugins`` (:mod:`.admin`). Who may run them is decided in
:mod:`plugins.admin.access`; every refusal goes through :meth:`~core.plugin.PluginContext.refuse`.
"""

from __future__ import annotations

from disnake.ext import commands

from core.plugin import PluginContext
from plugins.admin.commands import admin, backup, config, plugins, reload, status

MODULES = (reload, plugins, status, config, backup, admin)


def build_commands(ctx: PluginContext) -> list[commands.InvokableSlashCommand]:
    """Every admin command, each closing over the plugin's context."""
    return [module.build(ctx) for module in MODULES]
