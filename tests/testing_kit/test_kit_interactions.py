"""Slash commands, autocomplete, components, modals and replies through the real disnake client."""

from __future__ import annotations

from disnake.ext import commands
from kit_bot import Seen

from core.testing.driver import Actor
from core.testing.server import LocalDiscord

Bot = tuple[commands.InteractionBot, Seen]


async def test_slash_then_select_then_modal(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    menu = await (await alice.slash("pick")).wait_reply()
    assert menu.type == 4
    assert menu.message is not None and menu.message.content == "Choose a team"
    [select] = menu.message.components
    assert [o.value for o in select.options] == ["Yankees", "Mets", "Red Sox", "Dodgers"]

    modal = (await (await alice.select(menu.message, ["Mets"])).wait_reply()).modal
    assert modal is not None and modal.title == "Stake on Mets"
    assert [f.custom_id for f in modal.fields] == ["stake"]

    stake = await (await alice.submit_modal(modal, stake="10")).wait_reply()
    assert stake.message is not None and stake.message.content == "Alice staked 10 on Mets"
    assert local_discord.spec_violations == []
    assert len(local_discord.requests) > 5


async def test_every_option_type_is_typed_and_resolved(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    response = await alice.slash(
        "echo",
        text="hi",
        count=3,
        ratio=1.5,
        flag=True,
        user="Bob",
        channel="picks",
        role="Managers",
    )
    reply = await response.wait_reply()
    assert reply.ephemeral and reply.message is not None and reply.message.ephemeral
    [embed] = reply.message.embeds
    assert embed.description == "hi"
    assert {f.name: f.value for f in embed.fields} == {
        "count": "3",
        "ratio": "1.5",
        "flag": "True",
        "user": "Bob",
        "channel": "picks",
        "role": "Managers",
    }
    assert local_discord.messages("general") == []  # ephemeral: nobody else sees it


async def test_sub_command_and_group(kit_bot: Bot, alice: Actor, bob: Actor) -> None:
    straight = await (await bob.slash("bet", "straight", team="Mets", odds=-110)).wait_reply()
    assert straight.message is not None and straight.message.content == "Bob: Mets at -110"
    grade = await (await alice.slash("bet", "admin", "grade", bet_id=7, won=False)).wait_reply()
    assert grade.message is not None and grade.message.content == "bet 7 lost"


async def test_autocomplete_returns_choices(kit_bot: Bot, alice: Actor) -> None:
    choices = await alice.autocomplete("bet", "straight", focused="team", team="m", odds=100)
    assert [c.name for c in choices] == ["Mets"]


async def test_button_updates_message(kit_bot: Bot, alice: Actor) -> None:
    response = await alice.slash("confirm")
    message = (await response.wait_reply()).message
    assert message is not None
    assert [c.label for c in message.components] == ["Confirm", "Cancel"]

    update = await (await alice.click(message, "Confirm")).wait_reply()
    assert update.type == 7
    assert response.message is not None
    assert response.message.content == "Confirmed" and response.message.components == ()


async def test_deferred_button_then_edit(kit_bot: Bot, alice: Actor) -> None:
    response = await alice.slash("confirm")
    message = (await response.wait_reply()).message
    assert message is not None
    click = await alice.click(message, custom_id="cancel")
    assert (await click.wait_reply()).type == 6
    edited = await click.wait_edit()
    assert edited.id == message.id and edited.content == "Cancelled"


async def test_defer_followups_edit_and_delete(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    response = await alice.slash("slow")
    reply = await response.wait_reply()
    assert reply.deferred and reply.ephemeral
    first = await response.wait_followup()
    # the first followup replaces the "thinking" message and keeps the defer's ephemeral flag
    assert reply.message is not None and first.id == reply.message.id
    assert first.content == "working" and first.ephemeral
    assert (await response.wait_followup()).content == "step 2"
    assert (await response.wait_edit()).content == "done (working)"
    await response.wait_deleted()
    assert response.message is None
    paths = [(r.method, r.path.split("/")[-1], r.status) for r in local_discord.requests]
    assert ("GET", "@original", 200) in paths
    assert ("DELETE", "@original", 204) in paths


async def test_channel_message_with_file(
    local_discord: LocalDiscord, kit_bot: Bot, alice: Actor
) -> None:
    reply = await (await alice.slash("report")).wait_reply()
    assert reply.message is not None and reply.message.content == "posted"
    posted = await local_discord.wait_for_message("picks")
    assert posted.content == "Weekly report"
    [file] = posted.files
    assert (file.name, file.data) == ("report.csv", b"a,b\n1,2\n")


async def test_pong_callback(kit_bot: Bot, alice: Actor) -> None:
    reply = await (await alice.slash("pong")).wait_reply()
    assert reply.type == 1 and reply.message is None
