"""The admin plugin on the dashboard: the owner's plugin page with its reload buttons, a guild's
plugin switches, and their API endpoints (issue 19)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dashboard_site import running_site

from core.app import App
from core.events import ActionEvent, SecurityEvent
from core.testing.events import EventRecorder
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor
from plugins.admin.models import GuildPluginSwitch


@pytest.fixture
async def site(discord: LocalDiscord, tmp_path: Path) -> AsyncIterator[App]:
    """The bot with the dashboard, the admin plugin, a plugin to switch (audit) and one to
    reload (hello: a reload re-imports a plugin's modules, and later tests in this process hold
    classes of the first-party plugins' current modules)."""
    async with running_site(discord, tmp_path, ["admin", "audit", "hello"]) as app:
        yield app


def is_action(kind: str) -> object:
    return lambda e: isinstance(e, ActionEvent) and e.kind == kind


async def test_the_owner_presses_reload_and_sees_the_result(
    discord: LocalDiscord, site: App
) -> None:
    events = EventRecorder.attach(site)
    async with Visitor(discord, site.web.url) as owner:
        home = await owner.login("Owner")
        assert 'href="/admin/plugins"' in home.text
        page = await owner.get("/admin/plugins")
        assert page.status == 200 and 'id="plugin-audit"' in page.text
        assert "Reload result" not in page.text
        done = await owner.post("/admin/plugins", {"reload": "hello"})
        assert done.status == 200 and "Reload result" in done.text
        assert "<strong>hello</strong>: reloaded in" in done.text
        assert site.plugins.records["hello"].last_reload is not None
        reported = await events.wait(is_action("plugin.reload"))
        assert reported.user_id == discord.owner.id and reported.data == {"hello": True}
        failed = await owner.post("/admin/plugins", {"reload": "nosuch"})
        assert "<strong>nosuch</strong>: failed" in failed.text and "unknown plugin" in failed.text

        status, body, _ = await owner.api("GET", "/admin/plugins")
        assert status == 200
        hello = next(p for p in body["plugins"] if p["name"] == "hello")
        assert hello["state"] == "loaded" and hello["last_reload"]["ok"] is True
        csrf = {"X-CSRF-Token": (await owner.get("/admin/plugins")).csrf}
        status, body, _ = await owner.api(
            "POST", "/admin/reload", json={"plugins": ["hello"]}, headers=csrf
        )
        assert status == 200 and [(r["name"], r["ok"]) for r in body["results"]] == [
            ("hello", True)
        ]


async def test_a_manager_is_refused_the_owner_page(discord: LocalDiscord, site: App) -> None:
    events = EventRecorder.attach(site)
    async with Visitor(discord, site.web.url) as alice:
        home = await alice.login("Alice")
        assert 'href="/admin/plugins"' not in home.text
        page = await alice.get("/admin/plugins")
        assert page.status == 403 and "only the bot&#39;s owner may" in page.text
        refused = await events.wait(
            lambda e: isinstance(e, SecurityEvent) and e.kind == "web_forbidden"
        )
        assert refused.user_id == discord.guild.member("Alice").id
        assert "GET /admin/plugins" in refused.detail
        before = site.plugins.records["hello"].last_reload
        pressed = await alice.post("/admin/plugins", {"reload": "hello"}, csrf=home.csrf)
        assert pressed.status == 403 and site.plugins.records["hello"].last_reload == before
        status, body, _ = await alice.api("GET", "/admin/plugins")
        assert status == 403 and body["error"]["code"] == "forbidden"


async def test_switches_from_the_web_are_the_rows_admin_plugins_changes(
    discord: LocalDiscord, site: App
) -> None:
    events = EventRecorder.attach(site)
    guild = discord.guild.id
    alice = discord.member("Alice")
    path = f"/guilds/{guild}/plugins"
    async with Visitor(discord, site.web.url) as browser:
        await browser.login("Alice")
        page = await browser.get(path)
        assert page.status == 200 and "Turn audit off" in page.text
        assert "Always on: admin." in page.text and "Turn admin" not in page.text
        off = await browser.post(path, {"plugin": "audit", "enabled": "off"})
        assert "The audit commands are now off in this server." in off.text
        assert "Turn audit on" in off.text
        row = await GuildPluginSwitch.get(guild_id=guild, plugin="audit")
        assert row.changed_by == alice.member.id
        switched = await events.wait(is_action("plugin.switched"))
        assert switched.guild_id == guild and switched.data == {"enabled": False}

        listing = await (await alice.slash("admin", "plugins")).wait_reply()
        assert listing.message is not None and "❌ **audit** off" in listing.message.content
        refused = await (await alice.slash("audit", "verify")).wait_reply()
        assert refused.message is not None and "turned off" in refused.message.content

        on = await (
            await alice.slash("admin", "plugins", plugin="audit", enabled=True)
        ).wait_reply()
        assert on.message is not None and "now on" in on.message.content
        assert not await GuildPluginSwitch.filter(guild_id=guild).exists()
        assert "Turn audit off" in (await browser.get(path)).text

        admin = await browser.post(path, {"plugin": "admin", "enabled": "off"})
        assert admin.status == 400 and "admin cannot be switched here" in admin.text
        assert not await GuildPluginSwitch.filter(guild_id=guild).exists()


async def test_the_switch_endpoints_change_the_same_rows(discord: LocalDiscord, site: App) -> None:
    guild = discord.guild.id
    async with Visitor(discord, site.web.url) as browser:
        await browser.login("Alice")
        status, body, _ = await browser.api("GET", f"/guilds/{guild}/plugins")
        assert status == 200 and {"plugin": "audit", "enabled": True} in body["plugins"]
        assert body["always_on"] == ["admin"]
        csrf = {"X-CSRF-Token": (await browser.get(f"/guilds/{guild}/plugins")).csrf}
        status, body, _ = await browser.api(
            "PUT", f"/guilds/{guild}/plugins/audit", json={"enabled": False}, headers=csrf
        )
        assert status == 200 and body["message"] == "The audit commands are now off in this server."
        assert await GuildPluginSwitch.filter(guild_id=guild, plugin="audit").exists()
        status, body, _ = await browser.api(
            "PUT", f"/guilds/{guild}/plugins/admin", json={"enabled": False}, headers=csrf
        )
        assert status == 400 and "cannot be switched" in body["error"]["message"]
        status, body, _ = await browser.api(
            "PUT", f"/guilds/{guild}/plugins/audit", json={"enabled": False}
        )
        assert status == 403  # a session's change needs its CSRF token
    async with Visitor(discord, site.web.url) as bob:
        await bob.login("Bob")
        status, _, _ = await bob.api("GET", f"/guilds/{guild}/plugins")
        assert status == 403
        assert (await bob.get(f"/guilds/{guild}/plugins")).status == 403
