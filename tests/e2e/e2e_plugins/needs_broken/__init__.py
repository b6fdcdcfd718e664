"""A plugin that depends on the broken one (tests only)."""

from core.plugin import Plugin

plugin = Plugin(name="needs_broken", version="0.0.1", depends_on=("broken",))
