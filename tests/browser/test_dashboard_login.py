"""Logging in as a person does: the dashboard's link, the local Discord's consent page, a click."""

from __future__ import annotations

import pytest
from browser_support import log_in
from playwright.async_api import BrowserContext, Page, expect

from core.app import App
from core.testing.server import LocalDiscord

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_member_logs_in_and_sees_their_guild(
    context: BrowserContext, discord: LocalDiscord, bot: App
) -> None:
    page = await context.new_page()
    await log_in(page, "Alice")
    assert page.url.rstrip("/") == bot.web.url
    await expect(page.get_by_role("link", name=discord.guild.name)).to_be_visible()
    [cookie] = [c for c in await context.cookies() if c["name"] == "dbsbm_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


async def test_a_token_is_shown_once_and_can_be_revoked(context: BrowserContext) -> None:
    page = await context.new_page()
    await log_in(page, "Bob")
    await page.get_by_role("link", name="API tokens").click()
    await page.get_by_label("Name").fill("my phone")
    await page.get_by_role("button", name="Make a token").click()
    secret = await page.locator("#new-token").inner_text()
    assert secret.startswith("dbsbm_")
    await page.reload()  # a reload re-posts nothing and never shows the secret again
    assert secret not in await page.content()
    row = page.get_by_role("row", name="my phone")
    await row.get_by_role("button", name="Revoke").click()
    await expect(page.get_by_role("row", name="my phone")).to_have_count(0)


async def test_logging_out_ends_the_session(context: BrowserContext) -> None:
    page = await context.new_page()
    await log_in(page, "Alice")
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("link", name="Log in with Discord").first).to_be_visible()
    await page.goto("/sessions")
    assert "/oauth2/authorize" in page.url


async def test_the_keyboard_reaches_the_content_first(context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"


async def test_pages_fit_a_phone(browser_phone: Page) -> None:
    page = browser_phone
    await log_in(page, "Alice")
    for path in ("/", "/sessions", "/tokens"):
        await page.goto(path)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
