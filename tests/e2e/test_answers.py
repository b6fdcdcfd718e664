"""Answering after the pipeline's automatic defer: one decision, private stays private, and
Discord's 3 s deadline is never spent on retries (:mod:`core.responder`).

The ``answers`` plugin's commands wait until the test releases them, so the pipeline defers
first (at 1.5 s, as it does for any slow handler); the test then looks at what members see.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from e2e_support import E2E_PLUGINS
from loguru import logger

from core.app import App
from core.events import CommandEvent, Outcome
from core.testing import LocalDiscord
from core.testing.driver import Response
from core.testing.events import EventRecorder

answers_app = pytest.mark.dbsbm(plugins=["answers"], local_plugins=E2E_PLUGINS)


def visible(discord: LocalDiscord, text: str) -> list[dict[str, Any]]:
    """Every message whose content holds ``text``, as stored by the local Discord."""
    return [m for m in discord.world.messages.values() if text in (m.get("content") or "")]


async def deferred(discord: LocalDiscord, kind: str, how: str) -> Response:
    """Run ``/answers <kind> how:<how>`` and wait until the pipeline has deferred it."""
    release = sys.modules["e2e_plugins.answers"].release = asyncio.Event()  # the App's module
    response = await discord.member("Bob").slash("answers", kind, how=how)
    assert (await response.wait_callback()).deferred
    release.set()
    return response


@answers_app
@pytest.mark.parametrize("kind", ["private", "public"])
async def test_a_refusal_after_a_defer_is_seen_by_the_member_alone(
    dbsbm: App, local_discord: LocalDiscord, kind: str
) -> None:
    response = await deferred(local_discord, kind, "refuse")
    reply = await response.wait_reply()
    assert reply.message is not None and reply.message.ephemeral
    assert reply.message.content == "Only you may see this refusal."
    [shown] = visible(local_discord, "Only you may see")
    assert shown["flags"] & 64, "the refusal became a public message"
    assert response.record.rejected_callbacks == 0


@answers_app
@pytest.mark.parametrize("kind", ["private", "public"])
async def test_an_error_after_a_defer_is_private_with_its_id(
    dbsbm: App, local_discord: LocalDiscord, kind: str
) -> None:
    response = await deferred(local_discord, kind, "crash")
    reply = await response.wait_reply()
    assert reply.message is not None and reply.message.ephemeral
    assert "error id `" in reply.message.content
    assert all(m["flags"] & 64 for m in visible(local_discord, "error id"))


@answers_app
@pytest.mark.parametrize(
    ("kind", "how", "ephemeral", "calls"),
    [
        ("private", "private", True, "edit"),  # the ephemeral thinking message becomes it
        ("public", "public", False, "edit"),  # the public thinking message becomes it
        ("private", "public", False, "own message"),  # a public answer of a private command
    ],
)
async def test_the_answer_after_a_defer_keeps_the_visibility_asked_for(
    dbsbm: App, local_discord: LocalDiscord, kind: str, how: str, ephemeral: bool, calls: str
) -> None:
    response = await deferred(local_discord, kind, how)
    reply = await response.wait_reply()
    assert reply.message is not None and reply.message.content == f"a {how} answer"
    assert reply.message.ephemeral is ephemeral
    [shown] = visible(local_discord, f"a {how} answer")
    assert bool(shown["flags"] & 64) is ephemeral
    if calls == "own message":  # the private thinking message was removed, not left spinning
        assert response.record.original_deleted and len(response.record.followup_ids) == 1


@answers_app
async def test_an_answer_at_the_moment_of_the_defer_is_not_a_failure(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    """The handler answers exactly when the pipeline defers, with the callback slowed so both
    would be in flight at once: one answers, the other finishes it; nobody gets 40060."""
    local_discord.faults.delay("POST", "/interactions/*", 0.3)
    response = await local_discord.member("Bob").slash("answers", "race")
    reply = await response.wait_reply()
    assert reply.message is not None and reply.message.content == "stored"
    assert response.record.rejected_callbacks == 0
    event = await dbsbm_events.wait(
        lambda e: isinstance(e, CommandEvent) and e.info.interaction_id == response.interaction_id
    )
    assert event.outcome is Outcome.OK


@answers_app
async def test_a_callback_that_5xx_past_the_deadline_is_counted_not_retried_late(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    """Discord answering 502 to every callback: disnake would retry for seconds; the bot
    gives up at its deadline, counts the interaction as unanswered and logs its id."""
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="ERROR")
    local_discord.faults.server_error("POST", "/interactions/*", status=502, times=100)
    try:
        response = await local_discord.member("Bob").slash("answers", "race")
        event = await dbsbm_events.wait(
            lambda e: (
                isinstance(e, CommandEvent) and e.info.interaction_id == response.interaction_id
            ),
            within=10.0,
        )
    finally:
        logger.remove(sink)
        local_discord.faults.clear()
    assert event.outcome is Outcome.UNANSWERED and event.error_type == "InteractionExpired"
    assert event.latency < 3.0
    assert response.record.callback is None and not response.record.late_callbacks
    assert any(str(response.interaction_id) in line and "3 s" in line for line in lines), lines
