"""The admin plugin's table: per-guild plugin switches."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class GuildPluginSwitch(Model):
    """A plugin whose commands a guild's admins turned off (a row exists only while it is off)."""

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField()
    plugin = fields.CharField(max_length=64)
    changed_by = fields.BigIntField()
    changed_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "admin_guild_plugin_switch"
        unique_together = (("guild_id", "plugin"),)
