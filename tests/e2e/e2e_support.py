"""Helpers for the end-to-end tests of the core: the probe plugins' folder and an event recorder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.events import CommandEvent, SecurityEvent
from core.hookspecs import hookimpl

E2E_PLUGINS = Path(__file__).parent / "e2e_plugins"


class EventRecorder:
    """Records the pipeline's events; ``wait`` returns the first event matching a predicate."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._changed = asyncio.Condition()

    async def _add(self, event: Any) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    @hookimpl
    async def dbsbm_command_completed(self, event: CommandEvent) -> None:
        await self._add(event)

    @hookimpl
    async def dbsbm_command_failed(self, event: CommandEvent) -> None:
        await self._add(event)

    @hookimpl
    async def dbsbm_security_event(self, event: SecurityEvent) -> None:
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
