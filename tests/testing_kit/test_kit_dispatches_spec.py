"""Every gateway dispatch the local Discord sends carries the fields Discord documents for it,
with none invented. Discord's OpenAPI description covers REST only, so an event is checked as
Discord's gateway documentation describes it: the REST object it is (a guild, a message, a
member; validated against that schema of the description, whole document as root) plus the
gateway-only fields the documentation lists for the event, and no key that neither names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from core.testing.driver import Message
from core.testing.server import LocalDiscord
from core.testing.spec import SpecChecker

#: Every intent, privileged ones included, so that each event carries all it can.
ALL_INTENTS = (1 << 26) - 1
#: Discord's debugging trace, which READY and RESUMED carry (formerly documented; disnake logs it).
TRACE = {"_trace"}


def problems(
    checker: SpecChecker, name: str, value: dict[str, Any], extra: frozenset[str] = frozenset()
) -> list[str]:
    """Where ``value`` breaks schema ``name`` (or carries a field it does not document), but
    for the gateway-only fields ``extra``."""
    return checker.schema_errors(name, {k: v for k, v in value.items() if k not in extra})


class Recorder:
    """A bare gateway client that keeps every dispatch it receives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def until(self, event: str) -> dict[str, Any]:
        """Read dispatches until ``event`` arrives; returns its data."""
        while True:
            payload = await self.ws.receive_json()
            if payload.get("op") == 0:
                self.events.append((payload["t"], payload["d"]))
                if payload["t"] == event:
                    data: dict[str, Any] = payload["d"]
                    return data


@pytest.fixture
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


async def _record_every_kind(discord: LocalDiscord) -> list[tuple[str, dict[str, Any]]]:
    """Make the local Discord send each kind of dispatch it knows, and record them."""
    guild = discord.guild
    alice, general = guild.member("Alice"), guild.channel("general")
    bot_auth = {"Authorization": f"Bot {discord.token}"}
    identify = {"token": discord.token, "intents": ALL_INTENTS, "properties": {}}
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(discord.gateway_url) as ws:
            await ws.receive_json()  # HELLO
            await ws.send_json({"op": 2, "d": identify})
            gateway = Recorder(ws)
            ready = await gateway.until("READY")
            await gateway.until("GUILD_CREATE")
            await ws.send_json({"op": 8, "d": {"guild_id": str(guild.id), "limit": 0}})
            await gateway.until("GUILD_MEMBERS_CHUNK")
            url = f"{discord.api_base}/channels/{general.id}/messages"
            button = {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}
            body = {"content": "hello", "components": [{"type": 1, "components": [button]}]}
            async with session.post(url, json=body, headers=bot_auth) as reply:
                posted = Message.from_wire(await reply.json(), discord)
            await gateway.until("MESSAGE_CREATE")
            await discord.member("Alice").click(posted, "Go")
            await gateway.until("INTERACTION_CREATE")
            role = guild.role("Managers").id
            url = f"{discord.api_base}/guilds/{guild.id}/members/{alice.id}/roles/{role}"
            async with session.delete(url, headers=bot_auth) as reply:
                assert reply.status == 204
            await gateway.until("GUILD_MEMBER_UPDATE")
            discord.world.overwrite_commands(guild.id, [{"name": "ping", "description": "p"}])
            await discord.member("Alice").slash("ping")
            await gateway.until("INTERACTION_CREATE")
            events = gateway.events
        async with session.ws_connect(discord.gateway_url) as ws:
            await ws.receive_json()  # HELLO
            resume = {"token": discord.token, "session_id": ready["session_id"], "seq": 99}
            await ws.send_json({"op": 6, "d": resume})
            again = Recorder(ws)
            await again.until("RESUMED")
            events += again.events
    return events


#: Gateway-only fields Discord's gateway documentation lists per event, beside the REST object.
GUILD_CREATE_EXTRA = frozenset(
    {
        "joined_at",
        "large",
        "unavailable",
        "member_count",
        "voice_states",
        "members",
        "channels",
        "threads",
        "presences",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
    }
)
READY_FIELDS = {"v", "user", "guilds", "session_id", "resume_gateway_url", "shard", "application"}
CHUNK_FIELDS = {"guild_id", "members", "chunk_index", "chunk_count", "not_found", "presences"}
INTERACTION_FIELDS = {
    "id",
    "application_id",
    "type",
    "data",
    "guild",
    "guild_id",
    "channel",
    "channel_id",
    "member",
    "user",
    "token",
    "version",
    "message",
    "app_permissions",
    "locale",
    "guild_locale",
    "entitlements",
    "authorizing_integration_owners",
    "context",
    "attachment_size_limit",
}


def event_problems(checker: SpecChecker, event: str, data: dict[str, Any]) -> list[str]:
    if event == "READY":
        found = [f"{k}: not documented" for k in set(data) - READY_FIELDS - TRACE]
        found += [f"{k}: missing" for k in READY_FIELDS - {"shard"} - set(data)]
        found += problems(checker, "UserPIIResponse", data["user"])
        return found + [f"application/{k}" for k in set(data["application"]) - {"id", "flags"}]
    if event == "RESUMED":
        return [f"{k}: not documented" for k in set(data) - TRACE]
    if event == "GUILD_CREATE":
        found = problems(checker, "GuildResponse", data, GUILD_CREATE_EXTRA)
        for channel in data["channels"]:  # without their guild_id, the guild's own (documented)
            found += [f"channels/{channel['id']}/guild_id: sent"] if "guild_id" in channel else []
            found += problems(checker, "GuildChannelResponse", {**channel, "guild_id": data["id"]})
        for member in data["members"]:
            found += problems(checker, "GuildMemberResponse", member)
        return found + [f"{k}: missing" for k in GUILD_CREATE_EXTRA - set(data)]
    if event == "GUILD_MEMBERS_CHUNK":
        found = [f"{k}: not documented" for k in set(data) - CHUNK_FIELDS - {"nonce"}]
        for member in data["members"]:
            found += problems(checker, "GuildMemberResponse", member)
        return found
    if event == "GUILD_MEMBER_UPDATE":
        return problems(checker, "GuildMemberResponse", data, frozenset({"guild_id"}))
    if event == "MESSAGE_CREATE":
        return problems(checker, "MessageResponse", data, frozenset({"guild_id", "member"}))
    if event == "INTERACTION_CREATE":
        found = [f"{k}: not documented" for k in set(data) - INTERACTION_FIELDS]
        member = {k: v for k, v in data["member"].items() if k != "permissions"}
        found += problems(checker, "GuildMemberResponse", member)
        found += problems(checker, "GuildChannelResponse", data["channel"])
        return found + (
            problems(checker, "MessageResponse", data["message"]) if "message" in data else []
        )
    return [f"{event}: the test does not know this event"]


async def test_every_dispatch_carries_what_discord_documents_and_nothing_invented(
    discord: LocalDiscord, checker: SpecChecker
) -> None:
    events = await _record_every_kind(discord)
    kinds = [event for event, _ in events]
    assert set(kinds) >= {
        "READY",
        "GUILD_CREATE",
        "GUILD_MEMBERS_CHUNK",
        "MESSAGE_CREATE",
        "GUILD_MEMBER_UPDATE",
        "INTERACTION_CREATE",
        "RESUMED",
    }
    found = {
        f"{event} #{index}": wrong
        for index, (event, data) in enumerate(events)
        if (wrong := event_problems(checker, event, data))
    }
    assert found == {}
