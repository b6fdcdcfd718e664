"""The audit plugin end to end: members act through the local Discord, admins read the log."""

from __future__ import annotations

import csv
import io
import re

from audit_support import AuditWorld, WorldFactory

from core.events import SecurityEvent
from core.hooks import emit
from core.testing.events import EventRecorder
from plugins.audit.models import AuditEntry, AuditSession


async def search_text(world: AuditWorld, actor_name: str = "alice", **options: object) -> str:
    actor = getattr(world, actor_name)
    reply = await (await actor.slash("audit", "search", **options)).wait_reply()
    assert reply.ephemeral and reply.message is not None
    embed = reply.message.embeds[0]
    return f"{embed.title}\n{embed.description}".replace("\\", "")  # markdown escapes


async def test_commands_admin_actions_and_security_events_are_recorded(
    audit_world: AuditWorld,
) -> None:
    alice, bob = audit_world.alice, audit_world.bob
    await (await alice.slash("probe", "ok", note="n" * 400, api_token="hunter2")).wait_reply()
    failed = await (await alice.slash("probe", "fail")).wait_reply()
    error_id = re.search(r"`([A-Z2-7]{8})`", failed.data["content"])
    assert error_id is not None
    await (await alice.slash("probe", "stake", amount="1.005")).wait_reply()
    await (await alice.slash("probe", "grade", pick=7)).wait_reply()
    refused = await (await bob.slash("audit", "search")).wait_reply()
    assert "Manage Server" in refused.data["content"]

    await audit_world.runtime.writer.flush()
    ok = await AuditEntry.get(command="probe ok")
    assert ok.outcome == "ok" and ok.user_id == alice.member.user.id
    assert ok.guild_id == audit_world.discord.guild.id and ok.channel_id == alice.channel.id
    assert "hunter2" not in ok.options and '"api_token":"***"' in ok.options
    assert '"note":"' + "n" * 199 + "…" in ok.options and ok.latency_us is not None
    crashed = await AuditEntry.get(command="probe fail")
    assert (crashed.outcome, crashed.error_id) == ("failed", error_id.group(1))
    assert (await AuditEntry.get(command="probe stake")).outcome == "rejected"
    graded = await AuditEntry.get(action="bet.graded")
    assert (graded.category, graded.target) == ("admin", "pick #7")
    kinds = set(await AuditEntry.filter(category="security").values_list("action", flat=True))
    assert {"validation_rejected", "permission_refused"} <= kinds
    refusal = await AuditEntry.get(action="permission_refused")
    assert refusal.user_id == bob.member.user.id

    page = await search_text(audit_world)
    for expected in ("/probe fail", error_id.group(1), "bet.graded", "validation_rejected"):
        assert expected in page
    only_security = await search_text(audit_world, action="security")
    assert "permission_refused" in only_security and "/probe ok" not in only_security
    only_bob = await search_text(audit_world, member=bob.member)
    assert "permission_refused" in only_bob and "bet.graded" not in only_bob
    failures = await search_text(audit_world, outcome="failed")
    assert "/probe fail" in failures and "/probe ok" not in failures


async def test_one_guilds_admins_never_see_another_guilds_entries(
    audit_world: AuditWorld,
) -> None:
    alice, carol = audit_world.alice, audit_world.carol
    await (await carol.slash("probe", "ok", note="carol-secret")).wait_reply()
    await (await alice.slash("probe", "ok", note="alice-note")).wait_reply()
    await emit(
        audit_world.app.pm.hook.dbsbm_security_event,
        event=SecurityEvent(
            kind="owner_alert", guild_id=audit_world.discord.guild.id, owner_only=True
        ),
    )
    alice_page = await search_text(audit_world)
    assert "alice-note" in alice_page and "carol-secret" not in alice_page
    assert "owner_alert" not in alice_page
    carol_page = await search_text(audit_world, "carol")
    assert "carol-secret" in carol_page and "alice-note" not in carol_page
    assert "owner_alert" in await search_text(audit_world, "owner")

    refused = await (await carol.slash("audit", "search", scope="global")).wait_reply()
    assert "bot owner" in refused.data["content"]
    alice_search = await (await alice.slash("audit", "search")).wait_reply()
    assert alice_search.message is not None
    forged = await (await carol.click(alice_search.message, "Export CSV")).wait_reply()
    assert "another member" in forged.data["content"] and not forged.data.get("attachments")
    await audit_world.runtime.writer.flush()
    refused_rows = AuditEntry.filter(action="permission_refused")
    refusals = await refused_rows.values_list("guild_id", "detail")
    other_guild = audit_world.discord.world.guild("Other Guild").id
    assert any(g == other_guild and "another member" in d for g, d in refusals)


async def test_search_pages_and_exports_csv(audit_world_at: WorldFactory) -> None:
    async with audit_world_at(page_size=2) as world:
        for i in range(5):
            await (await world.alice.slash("probe", "ok", note=f"n{i}")).wait_reply()
        response = await world.alice.slash("audit", "search", command="probe")
        reply = await response.wait_reply()
        assert reply.message is not None
        first = reply.message.embeds[0]
        assert "Page 1 of 3" in (first.footer or "") and "n4" in (first.description or "")
        older = await world.alice.click(reply.message, "Older")
        update = await older.wait_reply()
        assert update.type == 7
        page_two = update.data["embeds"][0]
        assert "Page 2 of 3" in page_two["footer"]["text"] and "n2" in page_two["description"]
        export = await (await world.alice.click(reply.message, "Export CSV")).wait_reply()
        assert export.message is not None and export.ephemeral
        (file,) = export.message.files
        rows = list(csv.DictReader(io.StringIO(file.data.decode())))
        assert [r["command"] for r in rows] == ["probe ok"] * 5
        assert rows[0]["options"] == '{"note":"n4"}' and rows[0]["hash"]
        await world.runtime.writer.flush()
        assert await AuditEntry.filter(action="audit.exported", category="admin").count() == 1


async def test_sessions_are_listed_per_member(audit_world: AuditWorld) -> None:
    for _ in range(3):
        await (await audit_world.bob.slash("probe", "ok")).wait_reply()
    reply = await (
        await audit_world.alice.slash("audit", "sessions", member=audit_world.bob.member)
    ).wait_reply()
    assert reply.message is not None
    assert "3 commands" in (reply.message.embeds[0].description or "")
    session = await AuditSession.get(user_id=audit_world.bob.member.user.id)
    assert session.command_count == 3


async def test_verify_names_an_entry_edited_in_the_database(audit_world: AuditWorld) -> None:
    for i in range(4):
        await (await audit_world.alice.slash("probe", "ok", note=f"n{i}")).wait_reply()
    intact = await (await audit_world.alice.slash("audit", "verify")).wait_reply()
    assert "intact" in intact.data["content"]
    victim = await AuditEntry.filter(command="probe ok").order_by("seq").offset(1).first()
    assert victim is not None
    conn = audit_world.app.db.connection
    await conn.execute_query("UPDATE audit_entry SET outcome = 'failed' WHERE id = ?", [victim.id])
    broken = await (await audit_world.alice.slash("audit", "verify")).wait_reply()
    assert f"entry #{victim.id} (seq {victim.seq})" in broken.data["content"]
    assert "changed" in broken.data["content"]


async def test_unload_flushes_the_queue_after_the_listeners_are_gone(
    audit_world_at: WorldFactory,
) -> None:
    async with audit_world_at(flush_interval=60) as world:
        writer = world.runtime.writer
        events = EventRecorder.attach(world.app)
        for i in range(3):
            response = await world.alice.slash("probe", "ok", note=f"n{i}")
            # the event comes after the reply; the recorder runs after audit's listener
            await events.wait(lambda e, r=response: bool(events.of_interaction(r.interaction_id)))
        assert writer.pending >= 3
        await world.app.plugins.unload("audit")
        assert world.app.pm.get_plugin("audit.runtime") is None
        assert writer.pending == 0
        assert await AuditEntry.filter(command="probe ok").count() == 3
        await (await world.alice.slash("probe", "ok", note="after")).wait_reply()
        assert writer.pending == 0
