"""Testing a DBSBM plugin: the hello plugin (installed through its entry point) end to end."""

import pytest

from core.app import App
from core.events import CommandEvent, Outcome
from core.testing import LocalDiscord
from core.testing.events import EventRecorder


@pytest.mark.dbsbm(plugins=["hello"], settings={"plugins": {"hello": {"greeting": "Hi"}}})
async def test_hello_counts_greetings(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    alice = local_discord.member("Alice")
    response = await alice.slash("hello", name="world")
    reply = await response.wait_reply()
    assert reply.message is not None
    assert reply.message.content == "Hi, world! (greeting #1)"

    # the pipeline's event for this interaction, after every listener has seen it
    done = await dbsbm_events.wait(
        lambda e: isinstance(e, CommandEvent) and e.info.interaction_id == response.interaction_id
    )
    assert done.outcome is Outcome.OK and done.info.plugin == "hello"
