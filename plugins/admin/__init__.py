"""Admin: /reload, plugin status, per-guild plugin switches, config summary, backups."""

from core.plugin import Plugin

plugin = Plugin(
    name="admin",
    version="0.1.0",
    description="Owner and guild-admin commands: reload, plugins, status, config, backups.",
)
