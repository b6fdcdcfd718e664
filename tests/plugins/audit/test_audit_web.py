"""The audit log on the dashboard: the search page, its CSV download and the API endpoint, for a
guild's admins only (issue 19)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dashboard_site import running_site

from core.app import App
from core.events import SecurityEvent
from core.testing.events import EventRecorder
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor, WebPage
from plugins.audit.models import AuditEntry
from plugins.audit.runtime import RUNTIME_NAME

ROW = re.compile(r'<tr id="entry-(\d+)">')
OLDER = re.compile(r'<a href="([^"]*)" rel="next">Older entries</a>')


@pytest.fixture
async def site(discord: LocalDiscord, tmp_path: Path) -> AsyncIterator[App]:
    """The bot with the dashboard and the audit log (three entries a page)."""
    audit = {"flush_interval": 0.01, "page_size": 3}
    async with running_site(discord, tmp_path, ["audit"], audit=audit) as app:
        yield app


def row_ids(page: WebPage) -> list[int]:
    return [int(i) for i in ROW.findall(page.text)]


async def every_page(visitor: Visitor, path: str) -> list[int]:
    """The entry ids of the search at ``path``, following Older entries to the last page."""
    page = await visitor.get(path)
    assert page.status == 200, page.text
    ids = row_ids(page)
    while found := OLDER.search(page.text):
        page = await visitor.get(path.split("?")[0] + html.unescape(found.group(1)))
        ids += row_ids(page)
    return ids


async def test_a_plain_member_is_refused_the_audit_log(discord: LocalDiscord, site: App) -> None:
    events = EventRecorder.attach(site)
    guild = discord.guild.id
    async with Visitor(discord, site.web.url) as bob:
        home = await bob.login("Bob")
        assert f"/guilds/{guild}/audit" not in home.text
        page = await bob.get(f"/guilds/{guild}/audit")
        assert page.status == 403 and "Manage Server" in page.text
        refused = await events.wait(
            lambda e: isinstance(e, SecurityEvent) and e.kind == "web_forbidden"
        )
        assert refused.user_id == discord.guild.member("Bob").id
        assert refused.guild_id == guild and f"GET /guilds/{guild}/audit" in refused.detail
        assert (await bob.get(f"/guilds/{guild}/audit.csv")).status == 403
        status, body, _ = await bob.api("GET", f"/guilds/{guild}/audit")
        assert status == 403 and body["error"]["code"] == "forbidden"


async def test_the_csv_download_has_the_rows_the_search_shows(
    discord: LocalDiscord, site: App
) -> None:
    guild = discord.guild.id
    alice = discord.member("Alice")
    for _ in range(4):
        await (await alice.slash("audit", "verify")).wait_reply()
    async with Visitor(discord, site.web.url) as bob:
        await bob.login("Bob")
        await bob.get(f"/guilds/{guild}/audit")  # refused: a security entry, not a command
    async with Visitor(discord, site.web.url) as browser:
        await browser.login("Alice")
        search = f"/guilds/{guild}/audit?action=command&command=audit"
        shown = await every_page(browser, search)
        commands = AuditEntry.filter(chain=f"guild:{guild}", category="command")
        assert shown == list(await commands.order_by("-ts", "-id").values_list("id", flat=True))
        assert len(shown) == 4
        everything = await every_page(browser, f"/guilds/{guild}/audit")
        assert set(shown) < set(everything)

        async with browser.http.get(
            site.web.url + f"/guilds/{guild}/audit.csv?action=command&command=audit"
        ) as answer:
            assert answer.content_type == "text/csv"
            assert "attachment" in answer.headers["Content-Disposition"]
            rows = list(csv.DictReader(io.StringIO(await answer.text())))
        assert [int(r["id"]) for r in rows] == shown
        assert {r["command"] for r in rows} == {"audit verify"} and all(r["hash"] for r in rows)
    await site.pm.get_plugin(RUNTIME_NAME).writer.flush()
    assert await AuditEntry.filter(action="audit.exported", guild_id=guild).count() == 1


async def test_the_api_pages_the_same_search_with_a_cursor(
    discord: LocalDiscord, site: App
) -> None:
    guild = discord.guild.id
    alice = discord.member("Alice")
    for _ in range(3):
        await (await alice.slash("audit", "verify")).wait_reply()
    async with Visitor(discord, site.web.url) as browser:
        await browser.login("Alice")
        path = f"/guilds/{guild}/audit?command=audit&limit=2"
        status, first, _ = await browser.api("GET", path)
        assert status == 200 and len(first["items"]) == 2 and first["next_cursor"]
        status, second, _ = await browser.api("GET", f"{path}&cursor={first['next_cursor']}")
        assert status == 200 and second["next_cursor"] is None
        items = first["items"] + second["items"]
        assert [i["command"] for i in items] == ["audit verify"] * 3
        assert items[0]["user_id"] == str(alice.member.id) and items[0]["outcome"] == "ok"
        assert [i["id"] for i in items] == await every_page(
            browser, f"/guilds/{guild}/audit?command=audit"
        )
        status, body, _ = await browser.api("GET", f"/guilds/{guild}/audit?since=yesterday")
        assert status == 400 and body["error"]["field"] == "since"
        status, body, _ = await browser.api("GET", f"/guilds/{guild}/audit?cursor=nonsense")
        assert status == 400 and body["error"]["field"] == "cursor"


async def test_bad_filters_are_explained_on_the_page(discord: LocalDiscord, site: App) -> None:
    guild = discord.guild.id
    async with Visitor(discord, site.web.url) as browser:
        await browser.login("Alice")
        page = await browser.get(f"/guilds/{guild}/audit?since=2026-11-29&until=2026-11-01")
        assert page.status == 200 and 'role="alert"' in page.text
        assert "since: is after until" in page.text
        assert 'value="2026-11-29"' in page.text  # the form keeps what was typed
        page = await browser.get(f"/guilds/{guild}/audit?member=alice")
        assert "member: must be a Discord id" in page.text
        assert (await browser.get("/guilds/abc/audit")).status == 404  # no page, not a crash
        status, _, _ = await browser.api("GET", "/guilds/abc/audit")
        assert status == 404
