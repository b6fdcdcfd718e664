"""A running bot with the dashboard (and the plugins a test names) on the local Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.app import App
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.visitor import allow_login, dashboard_settings


@pytest.fixture
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


@pytest.fixture
async def dashboard(discord: LocalDiscord, tmp_path: Path) -> AsyncIterator[App]:
    settings: dict[str, Any] = {"plugins": {"dashboard": dashboard_settings(discord)}}
    async with run_app(discord, tmp_path, plugins=["dashboard"], settings=settings) as app:
        allow_login(discord, app.web.url)
        yield app
