"""Record the events an App emits, and wait for one: the way tests see what the pipeline did.

    recorder = EventRecorder.attach(app)
    ...
    event = await recorder.wait(lambda e: isinstance(e, SecurityEvent) and e.kind == "x")

The recorder's listeners run last (``trylast``), so when ``wait`` returns, every other listener
(audit, metrics) has already handled the event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from core.app import App
from core.events import ActionEvent, CommandEvent, SecurityEvent
from core.hookspecs import hookimpl


class EventRecorder:
    """Keeps command, security and action events in order of arrival."""

    def __init__(self) -> None:
        self.events: list[CommandEvent | SecurityEvent | ActionEvent] = []
        self._changed = asyncio.Condition()

    @classmethod
    def attach(cls, app: App, name: str = "test.events") -> EventRecorder:
        """A recorder registered as a hook implementation of ``app``."""
        recorder = cls()
        app.pm.register(recorder, name=name)
        return recorder

    @hookimpl(trylast=True)
    async def dbsbm_command_completed(
        self, event: CommandEvent | SecurityEvent | ActionEvent
    ) -> None:
        """Every event is kept the same way, whichever of the four hooks reports it."""
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    dbsbm_command_failed = dbsbm_security_event = dbsbm_action = dbsbm_command_completed

    async def wait(self, match: Callable[[Any], bool], within: float = 2.0) -> Any:
        """The first recorded event (past or future) that ``match`` accepts; ``TimeoutError``
        after ``within`` seconds."""

        async def find() -> Any:
            async with self._changed:
                while True:
                    for event in self.events:
                        if match(event):
                            return event
                    await self._changed.wait()

        return await asyncio.wait_for(find(), within)

    def of_interaction(self, interaction_id: int) -> list[CommandEvent]:
        """The command events of one interaction (several when it was delivered twice)."""
        return [
            e
            for e in self.events
            if isinstance(e, CommandEvent) and e.info.interaction_id == interaction_id
        ]
