"""The real admin plugin, in the metrics tests' plugin folder beside the picks probe."""

from plugins.admin import plugin

__all__ = ["plugin"]
