"""What the local Discord answers is what Discord's OpenAPI description says Discord answers:
users, the bot's own user and application, guilds (without gateway-only fields), channels, DM
channels, roles, members, messages and the gateway (a yardstick nobody here wrote)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from core.testing import LocalDiscord
from core.testing.spec import SpecChecker


@pytest.fixture
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


def routes(discord: LocalDiscord) -> list[tuple[str, str, dict[str, Any] | None]]:
    guild, alice = discord.guild, discord.guild.member("Alice")
    channel = guild.channel("general")
    return [
        ("GET", "/users/@me", None),
        ("GET", f"/users/{alice.id}", None),
        ("GET", "/oauth2/applications/@me", None),
        ("GET", "/applications/@me", None),
        ("GET", "/gateway/bot", None),
        ("GET", f"/guilds/{guild.id}", None),
        ("GET", f"/guilds/{guild.id}/channels", None),
        ("GET", f"/guilds/{guild.id}/roles", None),
        ("GET", f"/guilds/{guild.id}/members", None),
        ("GET", f"/guilds/{guild.id}/members/{alice.id}", None),
        ("GET", f"/channels/{channel.id}", None),
        ("POST", "/users/@me/channels", {"recipient_id": str(alice.id)}),
        ("POST", f"/channels/{channel.id}/messages", {"content": "hello"}),
    ]


async def test_every_answer_matches_the_description(
    discord: LocalDiscord, checker: SpecChecker
) -> None:
    found: dict[str, list[str]] = {}
    headers = {"Authorization": f"Bot {discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for method, path, body in routes(discord):
            async with http.request(method, discord.api_base + path, json=body) as reply:
                answer = await reply.json()
                errors = checker.response_errors(method, path, reply.status, answer)
            if errors:
                found[f"{method} {path}"] = errors
    assert found == {}


async def test_a_dm_channel_has_no_invented_name(discord: LocalDiscord) -> None:
    dm = discord.world.dm_channel(discord.guild.member("Alice").user).to_wire()
    assert "name" not in dm and dm["flags"] == 0 and dm["type"] == 1


async def test_every_answer_carries_rate_limit_headers_and_a_429_its_code(
    discord: LocalDiscord,
) -> None:
    headers = {"Authorization": f"Bot {discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{discord.api_base}/users/@me") as reply:
            me = dict(reply.headers)
        async with http.get(f"{discord.api_base}/guilds/{discord.guild.id}") as reply:
            guild = dict(reply.headers)
        discord.faults.rate_limit("GET", "/users/@me", retry_after=0.5)
        async with http.get(f"{discord.api_base}/users/@me") as reply:
            limited, body = reply.status, await reply.json()
    for answer in (me, guild):
        assert int(answer["X-RateLimit-Limit"]) >= int(answer["X-RateLimit-Remaining"]) > 0
        assert float(answer["X-RateLimit-Reset-After"]) > 0 and float(answer["X-RateLimit-Reset"])
    assert me["X-RateLimit-Bucket"] != guild["X-RateLimit-Bucket"]  # a bucket per route
    assert limited == 429 and body["code"] == 0 and body["retry_after"] == 0.5


async def test_a_body_missing_a_field_gets_discords_error_objects(discord: LocalDiscord) -> None:
    """Discord's shape, field by field, with Discord's string codes (the description types a
    field error's ``code`` as an integer, which Discord's real 400s are not, so it is no judge
    here)."""
    headers = {"Authorization": f"Bot {discord.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(f"{discord.api_base}/users/@me/channels", json={}) as reply,
    ):
        status, body = reply.status, await reply.json()
    discord.spec_violations.clear()  # the request is wrong on purpose
    assert status == 400
    assert body == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "recipient_id": {
                "_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]
            }
        },
    }
