"""The plugins' pages in a real browser: read the leaderboard, change a setting (and be told
why a bad one is refused), be refused as a plain member, press reload as the owner."""

from __future__ import annotations

import pytest
from browser_support import log_in
from playwright.async_api import BrowserContext, expect

from core.app import App
from core.testing.server import LocalDiscord

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_member_reads_the_leaderboard(
    context: BrowserContext, discord: LocalDiscord
) -> None:
    page = await context.new_page()
    await log_in(page, "Bob")
    await page.get_by_role("link", name=discord.guild.name).click()
    await page.get_by_role("link", name="Leaderboard", exact=True).click()
    await expect(page.get_by_role("heading", name="Leaderboard", level=1)).to_be_visible()
    await page.get_by_label("Period").select_option("week")
    await page.get_by_role("button", name="Show").click()
    assert "period=week" in page.url
    await expect(page.get_by_role("heading", name="Leaderboard", level=1)).to_be_visible()


async def test_a_manager_changes_a_setting_and_is_told_why_a_bad_one_is_refused(
    context: BrowserContext, discord: LocalDiscord
) -> None:
    page = await context.new_page()
    await log_in(page, "Alice")  # Manage Server in the test guild
    await page.goto(f"/guilds/{discord.guild.id}/settings")
    await page.get_by_label("Largest stake (units)").fill("25")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("saved")
    await expect(page.get_by_label("Largest stake (units)")).to_have_value("25.00")
    await page.get_by_label("Smallest stake (units)").fill("50")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_label("Largest stake (units)")).to_have_value("25.00")


async def test_a_plain_member_is_refused_the_settings(
    context: BrowserContext, discord: LocalDiscord
) -> None:
    page = await context.new_page()
    await log_in(page, "Bob")
    answer = await page.goto(f"/guilds/{discord.guild.id}/settings")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    await expect(page.get_by_role("link", name="Settings")).to_have_count(0)  # not offered


async def test_the_owner_presses_reload_and_sees_the_result(
    context: BrowserContext, discord: LocalDiscord, bot: App
) -> None:
    page = await context.new_page()
    await log_in(page, discord.owner.name)
    await page.get_by_role("link", name="Bot plugins").click()
    # an installed plugin: reloading a first-party one here would leave later tests of this
    # process holding the classes of its old version
    await page.get_by_role("button", name="Reload hello").click()
    result = page.get_by_role("status")
    await expect(result).to_contain_text("hello")
    assert bot.plugins.is_loaded("hello")
