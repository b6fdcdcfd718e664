"""Helpers of the admin plugin's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from core.events import ActionEvent, SecurityEvent
from core.hookspecs import hookimpl


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
