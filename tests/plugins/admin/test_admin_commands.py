"""The admin plugin end to end: owner commands, refusals, guild plugin switches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.app import App
from core.backup import read_meta
from core.testing.driver import Actor, Callback, Message
from core.testing.events import EventRecorder
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from plugins.admin.models import GuildPluginSwitch

pytestmark = pytest.mark.dbsbm(plugins=["admin", "audit"])

OWNER_COMMANDS = ["reload", "plugins", "status", "config", "backup"]


async def switch(actor: Actor, plugin: str, enabled: bool) -> Callback:
    """``/admin plugins plugin:<plugin> enabled:<enabled>`` and its reply."""
    return await (
        await actor.slash("admin", "plugins", plugin=plugin, enabled=enabled)
    ).wait_reply()


def fields(message: Message) -> dict[str, str]:
    return {f.name: f.value for f in message.embeds[0].fields}


@pytest.mark.parametrize("command", OWNER_COMMANDS)
async def test_owner_commands_refuse_others(
    dbsbm: App, alice: Actor, dbsbm_events: EventRecorder, command: str
) -> None:
    reply = await (await alice.slash(command)).wait_reply()
    assert reply.ephemeral
    assert reply.message is not None
    assert reply.message.content == f"Only the bot owner can use /{command}."
    event = await dbsbm_events.wait(lambda e: getattr(e, "kind", "") == "permission_refused")
    assert (event.user_id, event.owner_only) == (alice.member.id, True)
    assert f"/{command}" in event.detail


async def test_plugins_lists_versions_states_and_commands(dbsbm: App, owner: Actor) -> None:
    reply = await (await owner.slash("plugins")).wait_reply()
    assert reply.ephemeral and reply.message is not None
    listed = fields(reply.message)
    assert listed["admin"].startswith("**loaded** · v0.1.0")
    assert "/admin" in listed["admin"] and "/backup" in listed["admin"]
    assert listed["betting"].startswith("**disabled**")


async def test_status_shows_uptime_version_latency_guilds_and_health(
    dbsbm: App, owner: Actor
) -> None:
    reply = await (await owner.slash("status")).wait_reply()
    assert reply.ephemeral and reply.message is not None
    embed = reply.message.embeds[0]
    assert embed.title == "Status: all good"
    shown = fields(reply.message)
    assert shown["Version"] == "dbsbm 0.1.0"
    assert shown["Guilds"] == "1"
    assert shown["Uptime"] != "unknown"
    assert shown["Gateway"].startswith("✅ shard 0:")
    assert shown["Database"].startswith("✅ sqlite answered")
    assert shown["Cache"] == "✅ memory"


@pytest.mark.dbsbm(
    plugins=["admin"],
    settings={"web": {"token": "web-bearer-secret"}, "discord": {"token": "bot.token.secret"}},
)
async def test_config_masks_secrets(dbsbm: App, owner: Actor) -> None:
    reply = await (await owner.slash("config")).wait_reply()
    assert reply.ephemeral and reply.message is not None
    message = reply.message
    text = message.files[0].data.decode() if message.files else message.content
    assert "web-bearer-secret" not in text and "bot.token.secret" not in text
    summary = json.loads(text.removeprefix("```json\n").removesuffix("\n```"))
    assert summary["web"]["token"] == "********"
    assert summary["discord"]["token"] == "********"


async def test_backup_writes_a_file_on_the_host(
    dbsbm: App, owner: Actor, dbsbm_events: EventRecorder
) -> None:
    response = await owner.slash("backup")
    assert (await response.wait_reply()).deferred
    followup = await response.wait_followup()
    assert followup.ephemeral
    path = Path(followup.content.split("`")[1])
    assert path.parent == dbsbm.settings.data_dir.resolve() / "backups"
    meta = read_meta(path)
    assert meta.dialect == "sqlite"
    assert "admin" in meta.heads and "audit" in meta.heads
    action = await dbsbm_events.wait(lambda e: getattr(e, "kind", "") == "backup.created")
    assert action.admin and action.target == path.name


# reloads the hello package, not a first-party plugin: a reload re-imports the plugin's modules,
# and later tests in this process hold classes of the first-party plugins' current modules
@pytest.mark.dbsbm(plugins=["admin", "hello"])
async def test_reload_reports_each_result(dbsbm: App, owner: Actor) -> None:
    response = await owner.slash("reload", plugin="hello")
    await response.wait_reply()
    followup = await response.wait_followup()
    assert followup.content.startswith("✅ **hello** reloaded in ")
    assert dbsbm.plugins.records["hello"].last_reload is not None

    unknown = await owner.slash("reload", plugin="nosuch")
    await unknown.wait_reply()
    assert (await unknown.wait_followup()).content.startswith("❌ **nosuch**: unknown plugin")

    several = await owner.slash("reload", plugin="hello, nosuch hello")
    await several.wait_reply()
    lines = {
        line.split("**")[1]: line for line in (await several.wait_followup()).content.splitlines()
    }
    assert sorted(lines) == ["hello", "nosuch"]  # each named plugin once
    assert lines["hello"].startswith("✅ **hello** reloaded in ") and lines["hello"].endswith(" ms")
    assert lines["nosuch"].startswith("❌ **nosuch**: unknown plugin")
    choices = await owner.autocomplete("reload", focused="plugin", plugin="hello a")
    assert [c.name for c in choices] == ["hello admin"]  # the enabled ones, not named yet

    nothing = await owner.slash("reload")
    await nothing.wait_reply()
    assert (await nothing.wait_followup()).content.startswith("No plugin's files changed")

    listed = fields((await (await owner.slash("plugins")).wait_reply()).message)  # type: ignore[arg-type]
    assert "last reload <t:" in listed["hello"] and "✅" in listed["hello"]


async def test_guild_admins_switch_a_plugin_off_for_their_guild(
    dbsbm: App, alice: Actor, bob: Actor, dbsbm_events: EventRecorder
) -> None:
    before = await (await bob.slash("audit", "verify")).wait_reply()
    assert before.message is not None and "Manage Server" in before.message.content

    listing = await (await alice.slash("admin", "plugins")).wait_reply()
    assert listing.message is not None and "✅ **audit** on" in listing.message.content

    off = await switch(alice, "audit", False)
    assert off.message is not None
    assert off.message.content == "The audit commands are now off in this server."
    assert await GuildPluginSwitch.filter(guild_id=alice.member.guild.id, plugin="audit").exists()
    action = await dbsbm_events.wait(lambda e: getattr(e, "kind", "") == "plugin.switched")
    assert (action.target, action.data, action.admin) == ("audit", {"enabled": False}, True)

    denied = await (await alice.slash("audit", "verify")).wait_reply()
    assert denied.ephemeral and denied.message is not None
    assert denied.message.content.startswith("The audit commands are turned off in this server.")
    refused = await dbsbm_events.wait(lambda e: getattr(e, "kind", "") == "command_refused")
    assert "plugin audit is off" in refused.detail

    again = await (
        await alice.slash("admin", "plugins", plugin="audit", enabled=False)
    ).wait_reply()
    assert again.message is not None and "already off" in again.message.content

    on = await switch(alice, "audit", True)
    assert on.message is not None and on.message.content.endswith("now on in this server.")
    works = await (await alice.slash("audit", "verify")).wait_reply()
    assert works.message is not None and "turned off" not in works.message.content


async def test_admin_itself_cannot_be_switched_off(dbsbm: App, alice: Actor) -> None:
    reply = await (
        await alice.slash("admin", "plugins", plugin="admin", enabled=False)
    ).wait_reply()
    assert reply.message is not None
    assert reply.message.content.startswith("`admin` cannot be switched here.")


async def test_members_without_manage_server_are_refused(
    dbsbm: App, bob: Actor, dbsbm_events: EventRecorder
) -> None:
    reply = await switch(bob, "audit", False)
    assert reply.ephemeral and reply.message is not None
    assert "Manage Server" in reply.message.content
    event = await dbsbm_events.wait(lambda e: getattr(e, "kind", "") == "permission_refused")
    assert event.user_id == bob.member.id and not event.owner_only
    assert not await GuildPluginSwitch.exists()


async def test_switches_apply_to_one_guild_only(
    local_discord: LocalDiscord, tmp_path: Path
) -> None:
    other = local_discord.add_guild("Other Guild")
    other.add_channel("general")
    async with run_app(local_discord, tmp_path, plugins=["admin", "audit"]):
        alice = local_discord.member("Alice")
        await switch(alice, "audit", False)
        owner_here = local_discord.member("Owner")
        owner_there = local_discord.member("Owner", guild=other.id)
        here = await (await owner_here.slash("audit", "verify")).wait_reply()
        there = await (await owner_there.slash("audit", "verify")).wait_reply()
    assert here.message is not None and "turned off" in here.message.content
    assert there.message is not None and "turned off" not in there.message.content
