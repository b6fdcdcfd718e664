"""Each admin command lives in the module named for it and works built from that module alone;
every refusal tells the member why and reports what was refused."""

from __future__ import annotations

from types import ModuleType

import pytest

from core.app import App
from core.discord_limits import CONTENT
from core.plugin import PluginContext
from core.testing.driver import Actor
from core.testing.events import EventRecorder
from plugins.admin.commands import MODULES
from plugins.admin.commands import admin as admin_module
from plugins.admin.commands.admin import LIST_HEAD, LIST_HINT, switch_listing
from plugins.admin.models import GuildPluginSwitch

pytestmark = pytest.mark.dbsbm(plugins=["admin", "audit"])


def admin_ctx(app: App) -> PluginContext:
    ctx = app.plugins.records["admin"].ctx
    assert ctx is not None
    return ctx


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
async def test_each_command_is_built_by_the_module_named_for_it(
    dbsbm: App, module: ModuleType
) -> None:
    alone = module.build(admin_ctx(dbsbm))
    assert alone.name == module.__name__.rsplit(".", 1)[-1]
    registered = dbsbm.bot.get_slash_command(alone.name)
    assert registered is not None and registered is not alone
    assert alone.body.to_dict() == registered.body.to_dict()


async def test_admin_plugins_built_alone_refuses_and_switches(
    dbsbm: App, alice: Actor, bob: Actor, dbsbm_events: EventRecorder
) -> None:
    """``/admin`` from its module alone: Bob (no Manage Server) is refused with the reason in
    the security event; Alice switches audit off."""
    dbsbm.bot.remove_slash_command("admin")
    dbsbm.bot.add_slash_command(admin_module.build(admin_ctx(dbsbm)))
    refused = await (
        await bob.slash("admin", "plugins", plugin="audit", enabled=False)
    ).wait_reply()
    assert refused.ephemeral and refused.message is not None
    assert refused.message.content == (
        "You need the Manage Server permission to change this server's plugins."
    )
    event = await dbsbm_events.wait(lambda e: getattr(e, "kind", "") == "permission_refused")
    assert (event.user_id, event.guild_id) == (bob.member.id, bob.member.guild.id)
    assert (event.detail, event.owner_only) == ("/admin plugins needs Manage Server", False)
    assert not await GuildPluginSwitch.exists()

    switched = await (
        await alice.slash("admin", "plugins", plugin="audit", enabled=False)
    ).wait_reply()
    assert switched.message is not None
    assert switched.message.content == "The audit commands are now off in this server."
    assert await GuildPluginSwitch.filter(plugin="audit").exists()


def names_filling(extra: int) -> list[str]:
    """Twenty plugin names whose listing is ``extra`` characters longer than the room left
    beside the head and the hint in one message."""
    room = CONTENT - len(LIST_HEAD) - len(LIST_HINT) - 2
    names = [f"plugin{i:02d}" for i in range(19)]
    line = len("✅ **** on")
    used = sum(len(n) + line + 1 for n in names)
    return [*names, "x" * (room - used - line + extra)]


def test_the_switch_listing_fills_one_message_and_cuts_one_past() -> None:
    names = names_filling(0)
    full = switch_listing(names, set())
    assert len(full) == CONTENT
    assert full.startswith(f"{LIST_HEAD}\n✅ **plugin00** on\n✅ **plugin01** on")
    assert full.endswith(f"✅ **{names[-1]}** on\n{LIST_HINT}")

    names = names_filling(1)
    cut = switch_listing(names, set())
    assert len(cut) <= CONTENT and names[-1] not in cut
    assert cut.endswith(f"✅ **plugin18** on\n(+1 more)\n{LIST_HINT}")
    assert switch_listing(["audit"], {"audit"}) == f"{LIST_HEAD}\n❌ **audit** off\n{LIST_HINT}"
