"""Every refusal of the audit commands tells the member why and reports a ``permission_refused``
event naming what was refused; each sub-command lives in the module named for it and works
built from that module alone."""

from __future__ import annotations

import disnake
from audit_support import AuditWorld
from disnake.ext import commands

from core.events import SecurityEvent
from core.plugin import PluginContext
from core.testing.events import EventRecorder
from plugins.audit.commands import SUB_COMMANDS, build_commands
from plugins.audit.commands import audit_verify as verify_module
from plugins.audit.models import AuditSearch


def refusals(recorder: EventRecorder) -> list[tuple[int | None, str, bool]]:
    return [
        (e.user_id, e.detail, e.owner_only)
        for e in recorder.events
        if isinstance(e, SecurityEvent) and e.kind == "permission_refused"
    ]


def audit_ctx(world: AuditWorld) -> PluginContext:
    ctx = world.app.plugins.records["audit"].ctx
    assert ctx is not None
    return ctx


def bare_group() -> commands.InvokableSlashCommand:
    """An ``/audit`` group declared like the plugin's, without sub-commands."""

    @commands.slash_command(
        name="audit",
        description="Read this server's audit log.",
        default_member_permissions=disnake.Permissions(manage_guild=True),
        contexts=disnake.InteractionContextTypes(guild=True),
    )
    async def audit(inter: disnake.ApplicationCommandInteraction) -> None:
        """The group."""

    return audit


async def test_owner_only_reads_are_refused_to_server_admins_and_reported(
    audit_world: AuditWorld,
) -> None:
    recorder = EventRecorder.attach(audit_world.app)
    alice, carol = audit_world.alice, audit_world.carol
    verify_all = await (await alice.slash("audit", "verify", everything=True)).wait_reply()
    assert verify_all.ephemeral and verify_all.message is not None
    assert verify_all.message.content == "Only the bot owner can verify every server's log."
    global_search = await (await carol.slash("audit", "search", scope="global")).wait_reply()
    assert global_search.message is not None
    assert global_search.message.content == (
        "Only the bot owner can read entries without a server."
    )
    assert not await AuditSearch.exists()
    assert refusals(recorder) == [
        (alice.member.id, "/audit verify everything is for the bot owner", False),
        (carol.member.id, "/audit search scope:global is for the bot owner", False),
    ]
    owners = await (await audit_world.owner.slash("audit", "verify", everything=True)).wait_reply()
    assert owners.message is not None and owners.message.content.startswith("The audit log is")
    assert len(refusals(recorder)) == 2


async def test_members_without_manage_server_are_refused_every_sub_command(
    audit_world: AuditWorld,
) -> None:
    recorder = EventRecorder.attach(audit_world.app)
    bob = audit_world.bob
    for path, options in (
        (("audit", "search"), {}),
        (("audit", "verify"), {}),
        (("audit", "sessions"), {"member": bob.member}),
    ):
        reply = await (await bob.slash(*path, **options)).wait_reply()
        assert reply.message is not None
        assert reply.message.content == (
            "You need the Manage Server permission to read this server's audit log."
        )
    assert refusals(recorder) == [
        (bob.member.id, f"/audit {name} needs Manage Server", False)
        for name in ("search", "verify", "sessions")
    ]


async def test_each_sub_command_is_added_by_the_module_named_for_it(
    audit_world: AuditWorld,
) -> None:
    ctx = audit_ctx(audit_world)
    (built,) = build_commands(ctx)
    registered = audit_world.app.bot.get_slash_command("audit")
    assert registered is not None and built.body.to_dict() == registered.body.to_dict()
    for module in SUB_COMMANDS:
        group = bare_group()
        module.add(group, ctx)
        assert [f"audit_{name}" for name in group.children] == [module.__name__.rsplit(".")[-1]]


async def test_verify_built_alone_serves_the_server(audit_world: AuditWorld) -> None:
    group = bare_group()
    verify_module.add(group, audit_ctx(audit_world))
    audit_world.app.bot.remove_slash_command("audit")
    audit_world.app.bot.add_slash_command(group)
    recorder = EventRecorder.attach(audit_world.app)
    refused = await (await audit_world.bob.slash("audit", "verify")).wait_reply()
    assert refused.message is not None and "Manage Server" in refused.message.content
    intact = await (await audit_world.alice.slash("audit", "verify")).wait_reply()
    assert intact.message is not None
    assert intact.message.content.startswith("The audit log is intact:")
    assert refusals(recorder) == [
        (audit_world.bob.member.id, "/audit verify needs Manage Server", False)
    ]
