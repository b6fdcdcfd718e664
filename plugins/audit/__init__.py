"""Audit: who did what, when; security events; a tamper-evident log.

The plugin listens to the core's events (commands completed or failed, actions, security
events, plugin lifecycle), queues one record per event and writes them in batches in the
background, each hash-chained to the previous entry of its guild. Admins read their own
guild's log with ``/audit search``, ``/audit sessions`` and ``/audit verify``, or on the
dashboard's audit page (with its CSV download and ``/api/v1`` endpoint); operators run
``dbsbm audit verify``. See docs/plugins/audit.md.
"""

from __future__ import annotations

from core.plugin import Plugin, PluginContext
from plugins.audit.commands import PREFIX, build_commands, build_component_handler
from plugins.audit.retention import prune_daily
from plugins.audit.runtime import AuditRuntime
from plugins.audit.settings import AuditSettings
from plugins.audit.web import AuditWeb


async def setup(ctx: PluginContext) -> None:
    """Add the commands and dashboard pages, start the writer and the daily pruning, then start
    listening.

    The scope undoes in reverse, so on unload the listeners go first (nothing new is queued),
    then the pruning and the writer's task stop, and last the queue is flushed.
    """
    settings = ctx.settings if isinstance(ctx.settings, AuditSettings) else AuditSettings()
    for command in build_commands(ctx):
        ctx.add_command(command)
    runtime = AuditRuntime(ctx, settings)
    ctx.on_cleanup("flush the audit queue", runtime.writer.close)
    ctx.create_task(runtime.writer.run(), name="writer")
    ctx.create_task(prune_daily(settings.retention_days), name="retention")
    ctx.add_component(PREFIX, build_component_handler(ctx))
    dashboard = AuditWeb(ctx)
    for page in dashboard.pages():
        ctx.add_page(page)
    for endpoint in dashboard.endpoints():
        ctx.add_endpoint(endpoint)
    ctx.add_hooks(runtime, "runtime")


plugin = Plugin(
    name="audit",
    version="0.1.0",
    description="Who did what, when: a searchable, tamper-evident audit log.",
)
