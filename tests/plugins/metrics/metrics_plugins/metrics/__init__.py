"""The real metrics plugin, in the metrics tests' plugin folder beside the picks probe."""

from plugins.metrics import plugin

__all__ = ["plugin"]
