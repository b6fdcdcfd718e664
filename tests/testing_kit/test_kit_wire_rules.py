"""Discord's wire rules the local Discord keeps: tokens shaped like Discord's, gateway JSON in
text and binary frames (and zlib-stream), component ids numbered as Discord numbers them, and
rate limits with a bucket per route and major parameter, the global limit and their switch."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from core.testing.messages import number_components
from core.testing.ratelimits import GLOBAL_LIMIT, RateLimiter, RouteLimit
from core.testing.server import LocalDiscord
from core.testing.tokens import bot_token


@pytest.fixture
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


@pytest.fixture
async def http(discord: LocalDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield session


def test_a_token_carries_the_bot_id_a_timestamp_and_an_hmac() -> None:
    token = bot_token(1234567890123456789, key=b"k", issued_at=1_700_000_000)
    head, stamp, mac = token.split(".")
    assert base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)) == b"1234567890123456789"
    assert len(stamp) == 6 and len(mac) == 27
    assert token == bot_token(1234567890123456789, key=b"k", issued_at=1_700_000_000)
    assert token != bot_token(1234567890123456789, key=b"other", issued_at=1_700_000_000)


async def test_the_local_discord_issues_its_bot_a_discord_token(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    head = discord.token.split(".")[0]
    assert int(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))) == discord.bot_user.id
    async with http.get(f"{discord.api_base}/users/@me") as reply:
        assert reply.status == 200
    other = {"Authorization": f"Bot {bot_token(discord.bot_user.id)}"}
    async with http.get(f"{discord.api_base}/users/@me", headers=other) as reply:
        assert reply.status == 401


async def _identify(ws: aiohttp.ClientWebSocketResponse, token: str, *, binary: bool) -> None:
    guilds = 1  # the GUILDS intent, without which no GUILD_CREATE comes
    identify = json.dumps({"op": 2, "d": {"token": token, "intents": guilds, "properties": {}}})
    await (ws.send_bytes(identify.encode()) if binary else ws.send_str(identify))


@pytest.mark.parametrize("binary", [False, True], ids=["text frames", "binary frames"])
async def test_gateway_json_is_read_from_text_and_binary_frames(
    discord: LocalDiscord, binary: bool
) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(discord.gateway_url) as ws:
        assert (await ws.receive_json())["op"] == 10
        await _identify(ws, discord.token, binary=binary)
        ready = await ws.receive_json()
    assert (ready["t"], ready["d"]["user"]["id"]) == ("READY", str(discord.bot_user.id))


async def test_zlib_stream_sends_one_compressed_stream_in_binary_frames(
    discord: LocalDiscord,
) -> None:
    inflate = zlib.decompressobj()

    async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        message = await ws.receive()
        assert message.type is aiohttp.WSMsgType.BINARY
        data: dict[str, Any] = json.loads(inflate.decompress(message.data))
        return data

    url = discord.gateway_url + "?v=10&encoding=json&compress=zlib-stream"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        assert (await receive(ws))["op"] == 10
        await _identify(ws, discord.token, binary=True)
        assert (await receive(ws))["t"] == "READY"
        assert (await receive(ws))["t"] == "GUILD_CREATE"


def test_components_are_numbered_in_order_around_the_ids_already_set() -> None:
    rows: list[Any] = [
        {"type": 1, "components": [{"type": 2, "custom_id": "a"}, {"type": 2, "id": 2}]},
        {"type": 18, "component": {"type": 4, "custom_id": "b"}},
    ]
    number_components(rows)
    ids = [rows[0]["id"], *(c["id"] for c in rows[0]["components"])]
    assert [*ids, rows[1]["id"], rows[1]["component"]["id"]] == [1, 3, 2, 4, 5]


async def test_a_message_stored_has_its_components_numbered(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}
    channel = discord.guild.channel("general")
    url = f"{discord.api_base}/channels/{channel.id}/messages"
    async with http.post(url, json={"content": "x", "components": [row]}) as reply:
        message = await reply.json()
    assert message["components"][0]["id"] == 1
    assert message["components"][0]["components"][0]["id"] == 2


async def _post(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientResponse:
    async with http.post(url, json={"content": "burst"}) as reply:
        await reply.read()
        return reply


async def test_five_messages_a_channel_then_429_with_the_bucket_scope_user(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    general, picks = (discord.guild.channel(n).id for n in ("general", "picks"))
    url = f"{discord.api_base}/channels/{{}}/messages"
    replies = [await _post(http, url.format(general)) for _ in range(6)]
    other = await _post(http, url.format(picks))
    assert [r.status for r in replies] == [200] * 5 + [429]
    assert [r.headers["X-RateLimit-Remaining"] for r in replies[:5]] == ["4", "3", "2", "1", "0"]
    limited = replies[5].headers
    assert (limited["X-RateLimit-Scope"], limited["X-RateLimit-Limit"]) == ("user", "5")
    assert 0 < float(limited["X-RateLimit-Reset-After"]) <= 5 and int(limited["Retry-After"]) >= 1
    assert other.status == 200 and other.headers["X-RateLimit-Remaining"] == "4"  # per channel
    assert limited["X-RateLimit-Bucket"] == other.headers["X-RateLimit-Bucket"]  # one route


def test_a_route_without_figures_is_counted_per_major_parameter() -> None:
    """Editing one interaction's original response fills that interaction's bucket only (an
    interaction's webhook is counted per token, as on Discord); a channel route fills one
    channel's bucket."""
    limiter = RateLimiter()
    edit = "/webhooks/{application_id}/{token}/messages/{message_id}"

    def took(template: str, **params: str) -> bool:
        return limiter.take("PATCH", template, params).refusal is None

    first = [took(edit, application_id="1", token="a", message_id="@original") for _ in range(51)]
    assert first == [True] * 50 + [False]
    assert took(edit, application_id="1", token="b", message_id="@original")
    pins = "/channels/{channel_id}/pins/{message_id}"
    limiter.routes[("PATCH", pins)] = RouteLimit(3, 60.0, "channel_id")  # past the global 50
    assert [took(pins, channel_id="1", message_id="9") for _ in range(4)] == [True] * 3 + [False]
    assert took(pins, channel_id="2", message_id="9")


async def test_the_global_limit_refuses_past_fifty_a_second(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    statuses = []
    for _ in range(GLOBAL_LIMIT + 1):
        async with http.get(f"{discord.api_base}/users/@me") as reply:
            statuses.append(reply.status)
            headers, body = reply.headers, await reply.json()
    assert statuses == [200] * GLOBAL_LIMIT + [429]
    assert headers["X-RateLimit-Scope"] == "global" and body["global"] is True
    assert "X-RateLimit-Bucket" not in headers


async def test_switched_off_nothing_is_refused_and_the_headers_stay(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    discord.rate_limits.enabled = False
    url = f"{discord.api_base}/channels/{discord.guild.channel('general').id}/messages"
    replies = [await _post(http, url) for _ in range(8)]
    assert {r.status for r in replies} == {200}
    assert {r.headers["X-RateLimit-Remaining"] for r in replies} == {"4"}


async def test_the_interaction_callback_has_no_bucket(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    url = f"{discord.api_base}/interactions/1/token/callback"
    async with http.post(url, json={"type": 1}) as reply:
        assert reply.status == 404  # no such interaction; answered all the same
        assert not [h for h in reply.headers if h.startswith("X-RateLimit")]
