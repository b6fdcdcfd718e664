"""Take the screenshots of DASHBOARD.md: the dashboard of a bot on the local Discord, in Chromium.

    uv run python docs/screenshots/make.py

A bot with the dashboard, betting, audit and admin runs on SQLite in a temporary folder; picks of
30 members are seeded in bulk (as in ``benchmarks/dashboard.py``) and Alice runs ``/setup`` in
Discord so the audit log has an entry; the guild's owner logs in through the local Discord's
page, and each main page is saved as ``docs/screenshots/<name>.png`` (1280 x 800; the
leaderboard also at a phone's 375 x 667).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from loguru import logger  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from benchmarks.dashboard import make_world, seed  # noqa: E402
from core.testing.driver import Actor  # noqa: E402
from core.testing.harness import run_app  # noqa: E402
from core.testing.server import LocalDiscord  # noqa: E402
from core.testing.visitor import allow_login, dashboard_settings  # noqa: E402
from tests.browser.browser_support import log_in  # noqa: E402
from tests.browser.conftest import CHROMIUM, FLAGS  # noqa: E402

PAGES = {
    "home": "/guilds/{guild}",
    "leaderboard": "/guilds/{guild}/leaderboard",
    "capper": "/guilds/{guild}/cappers/{capper}",
    "games": "/guilds/{guild}/games",
    "settings": "/guilds/{guild}/settings",
    "audit": "/guilds/{guild}/audit",
    "plugins": "/admin/plugins",
}


async def main() -> None:
    logger.remove()
    async with LocalDiscord(make_world(30), spec=False) as discord:
        settings: dict[str, Any] = {"plugins": {"dashboard": dashboard_settings(discord)}}
        plugins = ["dashboard", "betting", "audit", "admin"]
        with tempfile.TemporaryDirectory() as folder:
            async with run_app(discord, Path(folder), plugins=plugins, settings=settings) as app:
                allow_login(discord, app.web.url)
                guild = discord.guild
                users = [m.id for m in guild.members if not m.user.bot]
                seeded = await seed(guild.id, users, 600)
                owner = Actor(discord, guild.member(discord.owner.name), guild.channels[0])
                await (await owner.slash("setup", everyone_may_post=True)).wait_reply()
                values = {"guild": guild.id, "capper": seeded["user_id"]}
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                    desktop = await browser.new_context(
                        base_url=app.web.url, viewport={"width": 1280, "height": 800}
                    )
                    page = await desktop.new_page()
                    await log_in(page, discord.owner.name)
                    for name, path in PAGES.items():
                        await page.goto(path.format(**values))
                        await page.screenshot(path=HERE / f"{name}.png", full_page=True)
                    phone = await browser.new_context(
                        base_url=app.web.url, viewport={"width": 375, "height": 667}, has_touch=True
                    )
                    small = await phone.new_page()
                    await log_in(small, discord.owner.name)
                    await small.goto(PAGES["leaderboard"].format(**values))
                    await small.screenshot(path=HERE / "leaderboard-phone.png")
                    await browser.close()
    print(f"saved {len(PAGES) + 1} screenshots in {HERE}")


if __name__ == "__main__":
    asyncio.run(main())
