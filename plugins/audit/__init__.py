"""Audit: who did what, when; security events; a tamper-evident log."""

from core.plugin import Plugin

plugin = Plugin(
    name="audit",
    version="0.1.0",
    description="Who did what, when: a searchable, tamper-evident audit log.",
)
