"""What the browser tests share: logging in as a person does."""

from __future__ import annotations

from playwright.async_api import Page, expect


async def log_in(page: Page, who: str) -> None:
    """The dashboard's login link, the local Discord's consent page, a click on ``who``."""
    await page.goto("/")
    await page.get_by_role("link", name="Log in with Discord").first.click()
    await page.get_by_role("button", name=f"Log in as {who}").click()
    await expect(page.get_by_text(who, exact=True)).to_be_visible()
