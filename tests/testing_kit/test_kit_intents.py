"""Gateway intents are honoured as Discord honours them: GUILD_CREATE's members without
GUILD_PRESENCES, message content without MESSAGE_CONTENT (except mentions of the bot), member
events without GUILD_MEMBERS (except the bot's own), the whole member list on request, and the
privileged intents the application may ask for (4014), with a switch that turns them off.

Each test speaks the gateway protocol itself. Frames on one connection arrive in order, so
"nothing was sent" is checked by sending a heartbeat: its ACK is then the next frame."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from core.testing.intents import (
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    GUILD_PRESENCES,
    GUILDS,
    MESSAGE_CONTENT,
)
from core.testing.server import LocalDiscord


class Client:
    """One gateway connection that has identified with some intents."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def next(self) -> dict[str, Any]:
        frame: dict[str, Any] = await self.ws.receive_json()
        return frame

    async def dispatch(self, event: str) -> dict[str, Any]:
        """The next frame, which must be the dispatch ``event``; its data."""
        frame = await self.next()
        assert (frame["op"], frame.get("t")) == (0, event), frame
        data: dict[str, Any] = frame["d"]
        return data

    async def nothing_sent(self) -> bool:
        """Whether nothing was sent before a heartbeat's ACK."""
        await self.ws.send_json({"op": 1, "d": None})
        return (await self.next())["op"] == 11


@contextlib.asynccontextmanager
async def identified(local: LocalDiscord, intents: int | None) -> AsyncIterator[Client]:
    """A client that has identified with ``intents`` (None: without the field) and read
    READY and every GUILD_CREATE."""
    identify: dict[str, Any] = {"token": local.token, "properties": {}}
    if intents is not None:
        identify["intents"] = intents
    async with aiohttp.ClientSession() as http, http.ws_connect(local.gateway_url) as ws:
        client = Client(ws)
        assert (await client.next())["op"] == 10
        await ws.send_json({"op": 2, "d": identify})
        yield client


async def test_guild_create_holds_every_member_only_with_guild_presences(
    local_discord: LocalDiscord,
) -> None:
    everyone = {m.name for m in local_discord.guild.members}
    async with identified(local_discord, GUILDS | GUILD_MEMBERS) as without:
        await without.dispatch("READY")
        trimmed = await without.dispatch("GUILD_CREATE")
    async with identified(local_discord, GUILDS | GUILD_PRESENCES) as with_presences:
        await with_presences.dispatch("READY")
        whole = await with_presences.dispatch("GUILD_CREATE")
    assert [m["user"]["id"] for m in trimmed["members"]] == [str(local_discord.bot_user.id)]
    assert {m["user"]["username"] for m in whole["members"]} == everyone
    assert trimmed["member_count"] == whole["member_count"] == len(everyone)


async def test_no_guild_create_without_guilds(local_discord: LocalDiscord) -> None:
    async with identified(local_discord, GUILD_MESSAGES) as client:
        ready = await client.dispatch("READY")
        assert [g["unavailable"] for g in ready["guilds"]] == [True]
        assert await client.nothing_sent()


async def test_message_content_only_with_message_content_or_a_mention(
    local_discord: LocalDiscord,
) -> None:
    alice = local_discord.member("Alice")
    bot = f"<@{local_discord.bot_user.id}>"
    async with (
        identified(local_discord, GUILDS | GUILD_MESSAGES) as plain,
        identified(local_discord, GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT) as reader,
    ):
        for client in (plain, reader):
            await client.dispatch("READY")
            await client.dispatch("GUILD_CREATE")
        await alice.say("hello everyone")
        await alice.say(f"{bot} hello bot")
        hidden = await plain.dispatch("MESSAGE_CREATE")
        mentioned = await plain.dispatch("MESSAGE_CREATE")
        shown = await reader.dispatch("MESSAGE_CREATE")
    assert (hidden["content"], hidden["embeds"], hidden["author"]["username"]) == ("", [], "Alice")
    assert mentioned["content"] == f"{bot} hello bot"
    assert shown["content"] == "hello everyone"
    assert local_discord.messages()[-2].content == "hello everyone"  # stored as written


async def test_no_message_create_without_guild_messages(local_discord: LocalDiscord) -> None:
    async with identified(local_discord, GUILDS | MESSAGE_CONTENT) as client:
        await client.dispatch("READY")
        await client.dispatch("GUILD_CREATE")
        await local_discord.member("Alice").say("unseen")
        assert await client.nothing_sent()


async def test_member_events_need_guild_members_except_the_bots_own(
    local_discord: LocalDiscord,
) -> None:
    guild = local_discord.guild

    async def update(name: str) -> None:
        data = {**guild.member(name).to_wire(), "guild_id": str(guild.id)}
        await local_discord.gateway.dispatch("GUILD_MEMBER_UPDATE", data, guild.id)

    async with identified(local_discord, GUILDS) as client:
        await client.dispatch("READY")
        await client.dispatch("GUILD_CREATE")
        await update("Alice")
        assert await client.nothing_sent()
        await update(local_discord.bot_user.name)
        own = await client.dispatch("GUILD_MEMBER_UPDATE")
    assert own["user"]["id"] == str(local_discord.bot_user.id)


async def test_the_whole_member_list_is_answered_only_with_guild_members(
    local_discord: LocalDiscord,
) -> None:
    guild = local_discord.guild
    whole = {"op": 8, "d": {"guild_id": str(guild.id), "query": "", "limit": 0}}
    alice = {"op": 8, "d": {"guild_id": str(guild.id), "user_ids": [str(guild.member("Alice").id)]}}
    async with identified(local_discord, GUILDS) as without:
        await without.dispatch("READY")
        await without.dispatch("GUILD_CREATE")
        await without.ws.send_json(whole)
        assert await without.nothing_sent()
        await without.ws.send_json(alice)
        named = await without.dispatch("GUILD_MEMBERS_CHUNK")
    async with identified(local_discord, GUILDS | GUILD_MEMBERS) as members:
        await members.dispatch("READY")
        await members.dispatch("GUILD_CREATE")
        await members.ws.send_json(whole)
        chunk = await members.dispatch("GUILD_MEMBERS_CHUNK")
    assert [m["user"]["username"] for m in named["members"]] == ["Alice"]
    assert len(chunk["members"]) == len(guild.members)


async def test_a_privileged_intent_the_application_lacks_closes_with_4014() -> None:
    async with LocalDiscord(privileged_intents=GUILD_MEMBERS) as local:
        async with identified(local, GUILDS | GUILD_MEMBERS) as allowed:
            await allowed.dispatch("READY")
        async with identified(local, GUILDS | MESSAGE_CONTENT) as refused:
            assert (await refused.ws.receive()).type is aiohttp.WSMsgType.CLOSE
            assert refused.ws.close_code == 4014


async def test_an_identify_without_intents_closes_with_4013(local_discord: LocalDiscord) -> None:
    async with identified(local_discord, None) as client:
        assert (await client.ws.receive()).type is aiohttp.WSMsgType.CLOSE
        assert client.ws.close_code == 4013


async def test_with_intents_switched_off_every_session_gets_everything() -> None:
    async with LocalDiscord(privileged_intents=None) as local, identified(local, 0) as client:
        await client.dispatch("READY")
        guild = await client.dispatch("GUILD_CREATE")
        await local.member("Alice").say("hello")
        message = await client.dispatch("MESSAGE_CREATE")
    assert len(guild["members"]) == len(local.guild.members)
    assert message["content"] == "hello"
