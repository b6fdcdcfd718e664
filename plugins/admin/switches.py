"""Per-guild plugin switches: stored in the database, cached, applied by the pipeline.

:class:`Switches` is registered with the App's hooks while the admin plugin is loaded; its
``dbsbm_command_check`` refuses commands, buttons and modals of a plugin a guild turned off.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.events import Denial, InteractionInfo
from core.hookspecs import hookimpl
from core.plugin import PluginContext
from core.recovery import UserError
from plugins.admin.models import GuildPluginSwitch

HOOKS_NAME = "admin.switches"


def switches_of(ctx: PluginContext) -> Switches:
    """The App's :class:`Switches` (registered by the admin plugin's setup)."""
    found = ctx.app.pm.get_plugin(HOOKS_NAME)
    if not isinstance(found, Switches):
        raise UserError("The admin plugin is still starting; try again in a moment.")
    return found


class Switches:
    """Reads and changes which plugins are off in which guild."""

    def __init__(self, ctx: PluginContext, always_on: list[str]) -> None:
        self.ctx = ctx
        self.always_on = frozenset([*always_on, ctx.name])
        self.cache = ctx.cache("switches")

    async def disabled(self, guild_id: int) -> list[str]:
        """The plugins turned off in ``guild_id`` (cached)."""

        async def load() -> list[str]:
            rows = GuildPluginSwitch.filter(guild_id=guild_id).order_by("plugin")
            return list(await rows.values_list("plugin", flat=True))  # type: ignore[arg-type]

        return await self.cache.get_or_set(str(guild_id), load)

    def switchable(self) -> list[str]:
        """Loaded plugins that have commands and may be turned off per guild."""
        records = self.ctx.app.plugins.records
        return sorted(
            name
            for name in self.ctx.app.plugins.loaded()
            if name not in self.always_on and records[name].commands
        )

    async def set(self, guild_id: int, plugin: str, enabled: bool, by: int) -> bool:
        """Turn ``plugin`` on or off in ``guild_id``; false when it already was so."""
        async with in_transaction():
            if enabled:
                changed = bool(
                    await GuildPluginSwitch.filter(guild_id=guild_id, plugin=plugin).delete()
                )
            else:
                try:
                    _, changed = await GuildPluginSwitch.get_or_create(
                        guild_id=guild_id, plugin=plugin, defaults={"changed_by": by}
                    )
                except IntegrityError:  # another process inserted it first
                    changed = False
        await self.cache.delete(str(guild_id))
        return changed

    async def switch(self, guild_id: int, plugin: str, enabled: bool, by: int) -> str:
        """What ``/admin plugins plugin enabled`` and the dashboard's switches do: refuse a
        plugin that cannot be switched (:class:`UserError`), turn it on or off, report the admin
        action ``plugin.switched`` when that changed anything; the sentence that says so."""
        if plugin not in self.switchable():
            choices = ", ".join(self.switchable()) or "none"
            raise UserError(f"`{plugin}` cannot be switched here. Choose one of: {choices}.")
        changed = await self.set(guild_id, plugin, enabled, by)
        state = "on" if enabled else "off"
        if not changed:
            return f"The {plugin} commands were already {state} in this server."
        await self.ctx.action(
            "plugin.switched",
            user_id=by,
            guild_id=guild_id,
            admin=True,
            target=plugin,
            data={"enabled": enabled},
        )
        return f"The {plugin} commands are now {state} in this server."

    @hookimpl
    async def dbsbm_command_check(self, info: InteractionInfo) -> Denial | None:
        """Refuse interactions of a plugin the guild turned off (owners included)."""
        if info.guild_id is None or info.plugin is None or info.plugin in self.always_on:
            return None
        if info.plugin in await self.disabled(info.guild_id):
            return Denial(
                f"The {info.plugin} commands are turned off in this server. "
                f"A server admin can turn them on with /admin plugins plugin:{info.plugin}.",
                reason=f"plugin {info.plugin} is off in this guild",
            )
        return None
