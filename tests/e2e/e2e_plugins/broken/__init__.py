"""A plugin whose setup fails (tests only)."""

from core.plugin import Plugin, PluginContext


async def setup(ctx: PluginContext) -> None:
    raise RuntimeError("the broken plugin cannot start")


plugin = Plugin(name="broken", version="0.0.1", setup=setup)
