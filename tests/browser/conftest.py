"""A real headless Chromium (Debian's ``chromium``, driven by Playwright) against the dashboard of
a bot running on the local Discord. One bot and one browser per module; each test opens a fresh
browser context (no cookies). Without Chromium the tests skip, except under ``CI=true``, where
``.ci/run`` installs it and a missing browser fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from core.app import App
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.visitor import allow_login, dashboard_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PLUGINS = ["dashboard", "betting", "admin", "audit", "hello"]


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot(
    discord: LocalDiscord, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[App]:
    settings: dict[str, Any] = {"plugins": {"dashboard": dashboard_settings(discord)}}
    folder = tmp_path_factory.mktemp("browser")
    async with run_app(discord, folder, plugins=PLUGINS, settings=settings) as app:
        allow_login(discord, app.web.url)
        yield app


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    _need_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def context(browser: Browser, bot: App) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(base_url=bot.web.url)
    yield opened
    await opened.close()


@pytest_asyncio.fixture(loop_scope="module")
async def browser_phone(browser: Browser, bot: App) -> AsyncIterator[Page]:
    """A page in a phone-sized window (375 x 667, touch)."""
    opened = await browser.new_context(
        base_url=bot.web.url, viewport={"width": 375, "height": 667}, has_touch=True
    )
    yield await opened.new_page()
    await opened.close()
