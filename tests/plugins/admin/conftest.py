"""Fixtures of the admin plugin's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from core.app import App
from core.events import ActionEvent, SecurityEvent
from core.hookspecs import hookimpl
from core.testing.driver import Actor
from core.testing.server import LocalDiscord


class Recorder:
    """Security events and actions of the test's App; ``wait`` returns the first match."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._changed = asyncio.Condition()

    async def _add(self, event: Any) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    @hookimpl
    async def dbsbm_security_event(self, event: SecurityEvent) -> None:
        await self._add(event)

    @hookimpl
    async def dbsbm_action(self, event: ActionEvent) -> None:
        await self._add(event)

    async def wait(self, match: Callable[[Any], bool], within: float = 2.0) -> Any:
        async def find() -> Any:
            async with self._changed:
                while True:
                    for event in self.events:
                        if match(event):
                            return event
                    await self._changed.wait()

        return await asyncio.wait_for(find(), within)


@pytest.fixture
def recorder(dbsbm: App) -> Recorder:
    found = Recorder()
    dbsbm.pm.register(found, name="test.recorder")
    return found


@pytest.fixture
def owner(local_discord: LocalDiscord) -> Actor:
    """The bot's owner, who also owns "Test Guild"."""
    return local_discord.member("Owner")
