"""The live audit log of one app: the event listeners and the writer they feed.

:class:`AuditRuntime` is registered with the app's hook manager under :data:`RUNTIME_NAME` while
the plugin is loaded (so it lives in the plugin's scope, not in module state); the commands find
it with :func:`runtime_of`. Every listener only builds a record and queues it: no database work
happens on the path of an interaction.
"""

from __future__ import annotations

import time

from core.events import ActionEvent, CommandEvent, SecurityEvent
from core.hookspecs import hookimpl
from core.plugin import PluginContext
from core.recovery import UserError
from plugins.audit import records
from plugins.audit.settings import AuditSettings
from plugins.audit.writer import AuditWriter

RUNTIME_NAME = "audit.runtime"


class AuditRuntime:
    """Listens to the core's events and queues one audit record per event."""

    def __init__(self, ctx: PluginContext, settings: AuditSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.limit = settings.text_limit
        self.writer = AuditWriter(settings, on_overflow=self._report_overflow)

    async def _report_overflow(self, dropped: int) -> None:
        await self.ctx.security_event(
            "audit_overflow",
            detail=f"{dropped} audit entries were dropped because the audit queue was full",
            owner_only=True,
            data={"dropped": dropped, "queue_size": self.settings.queue_size},
        )

    @hookimpl
    def dbsbm_command_completed(self, event: CommandEvent) -> None:
        """A command's record, completed or failed alike (the outcome tells them apart)."""
        self.writer.submit(records.from_command(event, self.limit))

    dbsbm_command_failed = dbsbm_command_completed

    @hookimpl
    def dbsbm_security_event(self, event: SecurityEvent) -> None:
        self.writer.submit(records.from_security(event, self.limit))

    @hookimpl
    def dbsbm_action(self, event: ActionEvent) -> None:
        self.writer.submit(records.from_action(event, self.limit))

    @hookimpl
    def dbsbm_plugin_loaded(self, name: str, version: str) -> None:
        self.writer.submit(
            records.from_plugin_event("loaded", time.time(), name=name, version=version)
        )

    @hookimpl
    def dbsbm_plugin_unloaded(self, name: str) -> None:
        self.writer.submit(records.from_plugin_event("unloaded", time.time(), name=name))

    @hookimpl
    def dbsbm_plugin_reloaded(
        self, name: str, ok: bool, duration: float, error: str | None
    ) -> None:
        self.writer.submit(
            records.from_plugin_event(
                "reloaded", time.time(), name=name, ok=ok, duration=round(duration, 4), error=error
            )
        )


def runtime_of(ctx: PluginContext) -> AuditRuntime:
    """The loaded plugin's runtime (a clear refusal while it is starting or stopping)."""
    runtime = ctx.app.pm.get_plugin(RUNTIME_NAME)
    if not isinstance(runtime, AuditRuntime):
        raise UserError("The audit log is starting or stopping. Try again in a moment.")
    return runtime
