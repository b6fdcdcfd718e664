"""Discord's deadlines in the local Discord: the 3 s callback and the 15-minute token.

The kit bot's ``late`` and ``later`` handlers wait for ``seen.release``; the test moves the local
Discord's clock forward first, so the handler answers "late" without anyone sleeping.
"""

from __future__ import annotations

import asyncio

import pytest
from disnake.ext import commands
from kit_bot import Seen

from core.testing.driver import Actor, Response
from core.testing.server import CALLBACK_DEADLINE, TOKEN_LIFETIME, LocalDiscord

Bot = tuple[commands.InteractionBot, Seen]
#: How long a test waits for the bot's handler to report what Discord answered.
WAIT = 5.0


async def deferred(response: Response) -> None:
    """Wait for the bot's deferred callback (only the callback: the content is still to come)."""
    callback = await response.record.wait_until(lambda: response.record.callback, WAIT, "defer")
    assert callback["type"] == 5


async def released(seen: Seen) -> list[str | int]:
    """Let the waiting handler go on; what each of its steps got."""
    seen.release.set()
    return await asyncio.wait_for(seen.outcomes.get(), WAIT)


def test_the_deadlines_are_discords_by_default() -> None:
    discord = LocalDiscord(spec=False)
    assert (discord.callback_deadline, discord.token_lifetime) == (3.0, 900.0)
    assert (CALLBACK_DEADLINE, TOKEN_LIFETIME) == (3.0, 900.0)


async def test_a_late_callback_is_an_unknown_interaction(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    _, seen = kit_bot
    response = await alice.slash("late")
    local_discord.clock.advance(3.1)
    # the callback is refused, and the token died with the interaction: no followup either
    assert await released(seen) == ["timed out", 50027]
    record = response.record
    assert record.callback is None and record.original_id is None
    [age] = record.late_callbacks
    assert age > 3.1
    assert record.expired_token_uses == 1
    assert local_discord.late_interactions == [record]
    assert local_discord.channel_messages(alice.channel.id) == []
    callback, followup = local_discord.requests[-2:]
    assert (callback.path.split("/")[1], callback.status) == ("interactions", 404)
    assert (followup.path.split("/")[1], followup.status) == ("webhooks", 401)


@pytest.mark.parametrize(("passed", "deadline"), [(2.5, 3.0), (60.0, None), (5.0, 6.0)])
async def test_a_callback_within_the_deadline_is_accepted(
    local_discord: LocalDiscord,
    kit_bot: Bot,
    alice: Actor,
    passed: float,
    deadline: float | None,
) -> None:
    _, seen = kit_bot
    local_discord.callback_deadline = deadline
    response = await alice.slash("late")
    local_discord.clock.advance(passed)
    assert await released(seen) == ["ok"]
    reply = await response.wait_reply()
    assert reply.message is not None and reply.message.content == "late"
    assert response.record.late_callbacks == [] and local_discord.late_interactions == []


async def test_a_late_callback_is_named_when_a_test_waits_for_the_reply(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    _, seen = kit_bot
    response = await alice.slash("late")
    local_discord.clock.advance(4.0)
    await released(seen)
    with pytest.raises(AssertionError, match=r"late callback after 4\.\d\ds"):
        await response.wait_reply(within=0.01)


async def test_the_token_expires_after_15_minutes(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    _, seen = kit_bot
    response = await alice.slash("later")
    await deferred(response)
    local_discord.clock.advance(15 * 60 + 1)
    # followup, GET, PATCH and DELETE @original: all refused as Discord does
    assert await released(seen) == [50027, 50027, 50027, 50027]
    assert response.record.expired_token_uses == 4
    assert response.record.followup_ids == [] and not response.record.original_deleted
    assert response.message is not None  # still "thinking"
    assert [r.status for r in local_discord.requests[-4:]] == [401] * 4


@pytest.mark.parametrize(("passed", "lifetime"), [(14 * 60.0, TOKEN_LIFETIME), (3600.0, None)])
async def test_the_token_works_within_its_lifetime(
    local_discord: LocalDiscord,
    kit_bot: Bot,
    alice: Actor,
    passed: float,
    lifetime: float | None,
) -> None:
    _, seen = kit_bot
    local_discord.token_lifetime = lifetime
    response = await alice.slash("later")
    await deferred(response)
    local_discord.clock.advance(passed)
    assert await released(seen) == ["ok"] * 4
    record = response.record
    # the followup replaced the "thinking" message, which was then edited and deleted
    assert record.followup_ids == [record.original_id]
    assert [edit["content"] for edit in record.edits] == ["edited"]
    assert record.original_deleted and record.expired_token_uses == 0


async def test_first_followup_after_a_public_defer_stays_public(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    response = await alice.slash("announce")
    await deferred(response)
    thinking = response.record.original_id
    result = await response.wait_followup()
    # it replaced the "thinking" message and kept the defer's flags, not the followup's
    assert (result.id, result.content, result.ephemeral) == (thinking, "result", False)
    second = await response.wait_followup()
    assert second.id != thinking and second.ephemeral
    assert [m.content for m in local_discord.messages("general")] == ["result"]
