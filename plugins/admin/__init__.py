"""Admin: /reload, plugin status, per-guild plugin switches, config summary, backups; on the
dashboard, plugin status with reload buttons and the guild's switches.

See docs/plugins/admin.md.
"""

from __future__ import annotations

from core.plugin import Plugin, PluginContext
from plugins.admin.commands import build_commands
from plugins.admin.settings import AdminSettings
from plugins.admin.switches import Switches
from plugins.admin.web import AdminWeb


async def setup(ctx: PluginContext) -> None:
    """Add the commands and dashboard pages; apply the per-guild plugin switches to every
    interaction while the plugin is loaded."""
    for command in build_commands(ctx):
        ctx.add_command(command)
    settings = ctx.settings if isinstance(ctx.settings, AdminSettings) else AdminSettings()
    ctx.add_hooks(Switches(ctx, settings.always_on), "switches")
    dashboard = AdminWeb(ctx)
    for page in dashboard.pages():
        ctx.add_page(page)
    for endpoint in dashboard.endpoints():
        ctx.add_endpoint(endpoint)


plugin = Plugin(
    name="admin",
    version="0.1.0",
    description="Owner and guild-admin commands: reload, plugins, status, config, backups.",
)
