"""The audit plugin end to end: members act through the local Discord, admins read the log."""

from __future__ import annotations

from conftest import AuditWorld

from plugins.audit.models import AuditEntry


async def test_smoke(audit_world: AuditWorld) -> None:
    reply = await (await audit_world.alice.slash("probe", "ok", note="hello")).wait_reply()
    assert reply.message is not None and reply.message.content == "done"
    await audit_world.runtime.writer.flush()
    entries = await AuditEntry.filter(category="command")
    print([(e.command, e.options, e.outcome) for e in entries])
    assert entries
