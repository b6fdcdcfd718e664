"""What the local Discord remembers of one interaction: the bot's callback, @original, followups;
and the clock its deadlines are measured on."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

_T = TypeVar("_T")


class BotDidNotAnswer(AssertionError):
    """The bot did not do what a test waited for in time."""


class Clock:
    """The local Discord's monotonic clock (seconds); :meth:`advance` makes time pass at once."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward: every interaction becomes ``seconds`` older."""
        self._offset += seconds


@dataclass(eq=False)
class InteractionRecord:
    """One interaction sent to the bot, and everything the bot did in reply to it.

    ``message_id`` is the message a component sits on (component interactions only);
    ``original_id`` is the message @original refers to, once there is one;
    ``created_at`` is the local Discord's clock when it sent INTERACTION_CREATE;
    ``opened_by`` is, for a modal submit, the interaction whose callback opened the modal.
    """

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    message_id: int | None = None
    opened_by: InteractionRecord | None = None
    created_at: float = 0.0
    callback: dict[str, Any] | None = None
    original_id: int | None = None
    original_deleted: bool = False
    #: Snapshots of @original after each edit, oldest first.
    edits: list[dict[str, Any]] = field(default_factory=list)
    followup_ids: list[int] = field(default_factory=list)
    #: Callbacks refused because the interaction had already been answered.
    rejected_callbacks: int = 0
    #: Ages (s) of callbacks refused with 10062 because they came after the callback deadline.
    late_callbacks: list[float] = field(default_factory=list)
    #: Webhook calls (followups, @original) refused because the token was no longer valid.
    expired_token_uses: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def record_edit(self, message: dict[str, Any]) -> None:
        self.edits.append(copy.deepcopy(message))

    async def wait_until(self, value: Callable[[], _T | None], within: float, what: str) -> _T:
        """Wait until ``value()`` is not None and return it; fail with a clear message."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: value() is not None), within)
            except TimeoutError:
                name = self.payload.get("data", {}).get("name") or self.payload.get("data", {}).get(
                    "custom_id"
                )
                late = "".join(f", late callback after {age:.2f}s" for age in self.late_callbacks)
                msg = (
                    f"The bot did not {what} within {within}s for interaction {name!r} "
                    f"(callback: {self.callback and self.callback['type']}{late}, "
                    f"edits: {len(self.edits)}, followups: {len(self.followup_ids)}). "
                    "Check the bot's log for an exception in the handler."
                )
                raise BotDidNotAnswer(msg) from None
        result = value()
        assert result is not None  # nosec B101 # test kit, waited for it above
        return result
