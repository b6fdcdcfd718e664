"""Answering an interaction: deferring and replying are one decision, made within Discord's 3 s.

Discord refuses the first answer to an interaction (the *callback*) that arrives more than 3 s
after the interaction was created. The pipeline answers by itself (an automatic defer) when a
handler is slow, so two parties may answer one interaction. Before a handler runs, the pipeline
installs a :class:`Responder` as the interaction's ``response`` and a :class:`_Followup` as its
``followup``; together they make every answer go through one lock and one set of rules:

- Every callback (defer, message, update, modal, autocomplete) is bounded by the interaction's
  deadline. One that Discord refuses for now (429, 5xx) is tried again while time is left; one
  that cannot complete in time is abandoned and raises :class:`InteractionExpired`, and the
  pipeline counts the interaction as unanswered. The bot never spends time past the 3 s on
  retries Discord would refuse anyway, and never turns a refused callback into an error reply
  for work that was done.
- The automatic defer and a handler's answer never race: whichever takes the lock first
  answers; the other sees the answer.
- After an automatic defer, the handler's first answer (``inter.send``,
  ``inter.response.send_message``, ``inter.response.edit_message``, ``inter.followup.send``)
  finishes the deferred answer: the "thinking" message is edited into the answer when its
  visibility is the one the handler asked for; otherwise the thinking message is deleted and
  the answer is posted as its own message with the visibility asked for. Private stays private.
- The automatic defer of a command is ephemeral unless the command declares public answers
  with ``extras={"public": True}`` (see :func:`answers_publicly`); a component's is an update of
  the message the component sits on, which shows nothing by itself.

disnake 2.12 facts relied on: ``Interaction.response`` and ``Interaction.followup`` are cached in
the slots ``_cs_response`` and ``_cs_followup`` (this module is the one place that sets them);
after a defer with a message, Discord's first followup edits the thinking message and ignores the
followup's ephemeral flag, which is why a mismatch deletes the thinking message first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from disnake import HTTPException, InteractionResponded, InteractionType, WebhookType
from disnake.interactions import Interaction, InteractionResponse
from disnake.utils import MISSING
from disnake.webhook.async_ import Webhook

from core.compat import disnake as compat_disnake

if TYPE_CHECKING:
    from disnake.types.webhook import Webhook as WebhookPayload

ACK_DEADLINE = 2.7
"""Seconds after receipt by which a callback must have completed: Discord's 3 s, less a margin
for the gateway's delivery and the callback's way back."""

RETRY_PAUSE = 0.05
"""Seconds between a refused callback (429, 5xx) and the next try, within the deadline."""
MAX_DELIVERY_LAG = 1.0
"""The most of Discord's 3 s that an interaction's delivery is assumed to have taken, seconds."""

#: What a handler's ``send_message`` may carry that an edit of the thinking message keeps.
_EDITABLE = frozenset(
    {
        "embed",
        "embeds",
        "file",
        "files",
        "allowed_mentions",
        "view",
        "components",
        "suppress_embeds",
        "flags",
        "delete_after",
        "poll",
    }
)


class InteractionExpired(Exception):
    """The interaction could not be acknowledged before Discord's deadline."""

    def __init__(self, interaction_id: int) -> None:
        super().__init__(f"interaction {interaction_id} was not acknowledged within 3 s")
        self.interaction_id = interaction_id


PUBLIC: dict[str, Any] = {"public": True}
"""A command's ``extras`` when its answers are meant for the channel (its defer is public)."""


def answers_publicly(command: Any) -> bool:
    """Whether a command (or sub-command) declares ``extras={"public": True}``."""
    extras = getattr(command, "extras", None) or {}
    return bool(extras.get("public", False))


def _given(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments a caller really gave (``Interaction.send`` passes every one)."""
    return {k: v for k, v in kwargs.items() if v is not MISSING and v is not None}


class Responder(InteractionResponse):
    """The interaction's ``response``: one lock, one deadline, one rule for finishing a defer."""

    __slots__ = (
        "_deferred",
        "_deferred_ephemeral",
        "_lock",
        "deadline",
        "expired",
        "public",
        "received",
    )

    def __init__(self, parent: Interaction, *, received: float, public: bool) -> None:
        super().__init__(parent)
        self.received = received
        self.deadline = received + ACK_DEADLINE
        self.public = public
        self.expired = False
        self._lock = asyncio.Lock()
        self._deferred: str | None = None  # "message" / "update": an automatic defer to finish
        self._deferred_ephemeral = False

    @classmethod
    def install(cls, inter: Interaction, *, received: float, public: bool) -> Responder:
        """Make a new responder the interaction's ``response`` and guard its ``followup``.

        Discord's 3 s run from the interaction's creation, which its id records; the time it
        spent reaching the bot (a busy event loop reads the gateway late) is taken off the
        budget, at most :data:`MAX_DELIVERY_LAG` (beyond that the clocks disagree)."""
        since_receipt = asyncio.get_running_loop().time() - received
        lag = time.time() - inter.created_at.timestamp() - since_receipt
        received -= min(max(lag, 0.0), MAX_DELIVERY_LAG)
        responder = cls(inter, received=received, public=public)
        payload: WebhookPayload = {
            "id": inter.application_id,
            "type": WebhookType.application.value,
            "token": inter.token,
        }
        state = compat_disnake.interaction_state(inter)
        followup = _Followup(
            payload,
            session=compat_disnake.interaction_session(inter),
            state=state,
            token=state.http.token,
        )
        followup.responder = responder
        compat_disnake.replace_answer(inter, responder, followup)
        return responder

    @property
    def awaiting_answer(self) -> bool:
        """The pipeline deferred and the handler has not answered yet."""
        return self._deferred is not None

    async def _ack(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run a callback before the deadline. Discord refusing it for now (429, 5xx: disnake
        gives up after its own retries) is tried again while time is left, since disnake marks
        a response done only once it succeeded; at the deadline it is abandoned."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = self.deadline - loop.time()
            if remaining <= 0:
                self.expired = True
                raise InteractionExpired(self._parent.id)
            limit = asyncio.timeout(remaining)
            try:
                async with limit:
                    await callback()
                return
            except TimeoutError:
                if not limit.expired():
                    raise
                self.expired = True
                raise InteractionExpired(self._parent.id) from None
            except HTTPException as exc:
                if exc.status != 429 and exc.status < 500:
                    raise
            await asyncio.sleep(min(RETRY_PAUSE, max(0.0, self.deadline - loop.time())))

    # --- the pipeline's side --------------------------------------------------------------

    async def auto_defer(self) -> None:
        """Defer unless the interaction is answered (or being answered) already."""
        async with self._lock:
            if self.is_done() or self.expired:
                return
            parent = self._parent
            on_message = getattr(parent, "message", None) is not None
            if parent.type is InteractionType.application_command or not on_message:
                ephemeral = not self.public
                await self._ack(
                    partial(InteractionResponse.defer, self, with_message=True, ephemeral=ephemeral)
                )
                self._deferred, self._deferred_ephemeral = "message", ephemeral
            else:  # a component, or a modal opened from one: acknowledge as an update
                await self._ack(partial(InteractionResponse.defer, self, with_message=False))
                self._deferred = "update"

    # --- the handler's side ---------------------------------------------------------------

    async def defer(self, *, with_message: bool = MISSING, ephemeral: bool = MISSING) -> None:
        async with self._lock:
            if self._deferred is not None:
                return  # already deferred by the pipeline; the handler's answer finishes it
            await self._ack(
                partial(
                    InteractionResponse.defer, self, with_message=with_message, ephemeral=ephemeral
                )
            )

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        async with self._lock:
            if self._deferred is None:
                await self._ack(partial(InteractionResponse.send_message, self, content, **kwargs))
                return
            await self._finish(content, kwargs)

    async def edit_message(self, content: str | None = MISSING, **kwargs: Any) -> None:
        async with self._lock:
            if self._deferred is None:
                await self._ack(partial(InteractionResponse.edit_message, self, content, **kwargs))
                return
            self._deferred = None
            await self._parent.edit_original_response(content, **_given(kwargs))

    async def send_modal(self, *args: Any, **kwargs: Any) -> None:
        async with self._lock:
            if self._deferred is not None:
                raise InteractionResponded(self._parent)
            await self._ack(partial(InteractionResponse.send_modal, self, *args, **kwargs))

    async def autocomplete(self, *, choices: Any) -> None:
        async with self._lock:
            await self._ack(partial(InteractionResponse.autocomplete, self, choices=choices))

    async def finish_from_followup(self, content: Any, kwargs: dict[str, Any]) -> Any:
        """A followup sent while an automatic defer awaits its answer finishes that defer."""
        async with self._lock:
            if self._deferred is None:
                return await Webhook.send(self._parent.followup, content, **kwargs)
            return await self._finish(content, kwargs)

    async def _finish(self, content: Any, kwargs: dict[str, Any]) -> Any:
        kind, self._deferred = self._deferred, None
        given = _given(kwargs)
        ephemeral = bool(given.pop("ephemeral", False))
        given.pop("wait", None)
        parent = self._parent
        if kind == "message" and ephemeral == self._deferred_ephemeral:
            edits = {k: v for k, v in given.items() if k in _EDITABLE}
            return await parent.edit_original_response(content, **edits)
        if kind == "message":
            await parent.delete_original_response()
        return await Webhook.send(parent.followup, content, ephemeral=ephemeral, wait=True, **given)


class _Followup(Webhook):
    """The interaction's ``followup``: its first message after an automatic defer finishes
    the defer (see :meth:`Responder.finish_from_followup`)."""

    responder: Responder

    async def send(self, content: Any = MISSING, **kwargs: Any) -> Any:
        if self.responder.awaiting_answer:
            return await self.responder.finish_from_followup(content, kwargs)
        return await super().send(content, **kwargs)
