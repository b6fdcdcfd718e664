"""The interaction pipeline through the local Discord: outcomes, replies, events, duplicates,
rate limits, command checks, components, and the interaction id on every log line."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import E2E_PLUGINS
from loguru import logger

from core.app import App
from core.events import CommandEvent, Denial, InteractionInfo, Outcome, SecurityEvent
from core.hookspecs import hookimpl
from core.testing import LocalDiscord
from core.testing.events import EventRecorder

probe_app = pytest.mark.dbsbm(
    plugins=["probe"],
    local_plugins=E2E_PLUGINS,
    settings={"ratelimit": {"default": "100/60s", "commands": {"probe refuse": "2/60s"}}},
)


def outcome_of(event: Any, interaction_id: int) -> bool:
    return isinstance(event, CommandEvent) and event.info.interaction_id == interaction_id


@probe_app
async def test_ok_reply_and_completed_event(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    response = await local_discord.member("Alice").slash("probe", "ok", text="hi")
    reply = await response.wait_reply()
    assert reply.message is not None and reply.message.content == "hi"
    assert not reply.ephemeral
    event = await dbsbm_events.wait(lambda e: outcome_of(e, response.interaction_id))
    assert event.outcome is Outcome.OK
    assert event.info.plugin == "probe"
    assert event.info.command == "probe ok"
    assert event.info.options == {"text": "hi"}
    assert event.latency > 0


@probe_app
async def test_validation_error_is_ephemeral_and_a_security_event(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    response = await local_discord.member("Bob").slash("probe", "invalid")
    reply = await response.wait_reply()
    assert reply.ephemeral
    assert reply.message is not None
    assert reply.message.content == (
        "odds: American odds must be at most -100 or at least +100 (got 0)"
    )
    event = await dbsbm_events.wait(lambda e: outcome_of(e, response.interaction_id))
    assert event.outcome is Outcome.REJECTED
    security = await dbsbm_events.wait(
        lambda e: isinstance(e, SecurityEvent) and e.kind == "validation_rejected"
    )
    assert security.user_id == local_discord.world.guild().member("Bob").id


@probe_app
async def test_user_error_is_shown_as_is(dbsbm: App, local_discord: LocalDiscord) -> None:
    reply = await (await local_discord.member("Bob").slash("probe", "refuse")).wait_reply()
    assert reply.ephemeral
    assert reply.message is not None
    assert reply.message.content == "That game has already started."


@probe_app
async def test_crash_shows_an_error_id_and_no_traceback(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    response = await local_discord.member("Bob").slash("probe", "crash")
    reply = await response.wait_reply()
    assert reply.ephemeral and reply.message is not None
    failed = await dbsbm_events.wait(lambda e: outcome_of(e, response.interaction_id))
    assert failed.outcome is Outcome.FAILED
    assert failed.error_type == "RuntimeError"
    assert failed.error_id and failed.error_id in reply.message.content
    assert "secret internal detail" not in reply.message.content
    assert "Traceback" not in reply.message.content


@probe_app
async def test_duplicate_delivery_runs_the_handler_once(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    from e2e_plugins.probe import calls

    calls.clear()
    local_discord.faults.duplicate_next_interaction()
    response = await local_discord.member("Alice").slash("probe", "ok")
    await response.wait_reply()
    duplicate = await dbsbm_events.wait(
        lambda e: outcome_of(e, response.interaction_id) and e.outcome is Outcome.DUPLICATE
    )
    assert duplicate.info.command == "probe ok"
    assert calls == {"ok": 1}
    outcomes = [e.outcome for e in dbsbm_events.events if outcome_of(e, response.interaction_id)]
    assert sorted(outcomes) == [Outcome.DUPLICATE, Outcome.OK]


@probe_app
async def test_rate_limit_denies_with_a_relative_timestamp(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    bob = local_discord.member("Bob")
    for _ in range(2):
        await (await bob.slash("probe", "refuse")).wait_reply()
    response = await bob.slash("probe", "refuse")
    reply = await response.wait_reply()
    assert reply.ephemeral and reply.message is not None
    assert "Try again <t:" in reply.message.content and ":R>" in reply.message.content
    event = await dbsbm_events.wait(lambda e: outcome_of(e, response.interaction_id))
    assert event.outcome is Outcome.RATE_LIMITED
    # the per-command limit does not touch other commands
    ok = await (await bob.slash("probe", "ok")).wait_reply()
    assert ok.message is not None and ok.message.content == "pong"


@probe_app
async def test_command_check_hook_can_refuse(
    dbsbm: App, local_discord: LocalDiscord, dbsbm_events: EventRecorder
) -> None:
    class OffInThisGuild:
        @hookimpl
        def dbsbm_command_check(self, info: InteractionInfo) -> Denial | None:
            if info.plugin == "probe":
                return Denial("Probe is switched off in this server.", reason="guild switch")
            return None

    dbsbm.pm.register(OffInThisGuild(), name="test.switch")
    response = await local_discord.member("Bob").slash("probe", "ok")
    reply = await response.wait_reply()
    assert reply.ephemeral and reply.message is not None
    assert reply.message.content == "Probe is switched off in this server."
    refused = await dbsbm_events.wait(
        lambda e: isinstance(e, SecurityEvent) and e.kind == "command_refused"
    )
    assert refused.detail == "/probe ok: guild switch"


@probe_app
async def test_component_routed_by_prefix(dbsbm: App, local_discord: LocalDiscord) -> None:
    alice = local_discord.member("Alice")
    sent = await (await alice.slash("probe", "button")).wait_reply()
    assert sent.message is not None
    pressed = await alice.click(sent.message, "Press")
    update = await pressed.wait_reply()
    assert update.message is not None and update.message.content == "pressed pressed"


@probe_app
async def test_log_lines_carry_the_interaction_id(dbsbm: App, local_discord: LocalDiscord) -> None:
    seen: list[Any] = []
    sink = logger.add(lambda m: seen.append(m.record), level="INFO")
    try:
        response = await local_discord.member("Alice").slash("probe", "ok")
        await response.wait_reply()
    finally:
        logger.remove(sink)
    lines = [r for r in seen if r["message"] == "probe ok handler ran"]
    assert [r["extra"]["interaction"] for r in lines] == [response.interaction_id]
