"""The local Discord refuses over-limit payloads as Discord does: 400, code 50035, and Discord's
body naming each problem; with the OpenAPI request check on and off (the sandbox runs without
it). Messages, edits, followups, webhook edits and interaction callbacks are all checked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import disnake
import pytest
from disnake.ext import commands

from core.testing.client import bot_kwargs, connect_bot
from core.testing.server import LocalDiscord


def max_length(limit: int) -> dict[str, Any]:
    return {
        "_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
        ]
    }


TOO_BIG = {
    "_errors": [
        {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
    ]
}


def refusal(errors: dict[str, Any]) -> dict[str, Any]:
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}


class Held:
    """A bot whose ``/hold`` command never answers, so the test answers in its place."""

    def __init__(self, discord: LocalDiscord) -> None:
        self.bot = commands.InteractionBot(**bot_kwargs(discord))
        self.release = asyncio.Event()

        @self.bot.slash_command()
        async def hold(inter: disnake.ApplicationCommandInteraction) -> None:
            """Wait until the test is done."""
            await self.release.wait()


@pytest.fixture(params=["spec check on", "spec check off"])
async def discord(request: pytest.FixtureRequest) -> AsyncIterator[LocalDiscord]:
    spec = None if request.param == "spec check on" else False
    async with LocalDiscord(spec=spec) as local:
        yield local


@pytest.fixture
async def http(discord: LocalDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {discord.token}"}
    async with aiohttp.ClientSession(discord.api_base + "/", headers=headers) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: dict[str, Any]
) -> tuple[int, Any]:
    async with http.request(method, path.lstrip("/"), json=body) as reply:
        return reply.status, (await reply.json() if reply.status != 204 else None)


async def test_channel_messages_at_and_past_every_limit(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    channel = discord.guild.channel("general").id
    path = f"/channels/{channel}/messages"
    at_max = {
        "content": "c" * 2000,
        "embeds": [
            {
                "title": "t" * 256,
                "description": "d" * 4096,
                "footer": {"text": "f" * 1648},  # 256 + 4096 + 1648 = 6000, all that is allowed
            }
        ],
    }
    status, created = await call(http, "POST", path, at_max)
    assert status == 200 and created["content"] == "c" * 2000

    over: dict[str, Any] = {"content": "c" * 2001, "embeds": [{"description": "d" * 4097}]}
    assert await call(http, "POST", path, over) == (
        400,
        refusal({"content": max_length(2000), "embeds": {"0": {"description": max_length(4096)}}}),
    )
    total = {
        "embeds": [{"title": "t" * 256, "description": "d" * 4096, "footer": {"text": "f" * 1649}}]
    }
    assert await call(http, "POST", path, total) == (400, refusal({"embeds": TOO_BIG}))

    fields = [{"name": "n" * 256, "value": "v" * 1024}] * 3 + [{"name": "n" * 257, "value": ""}]
    edit = {"embeds": [{"fields": fields}, {"title": "t" * 257, "author": {"name": "a" * 257}}]}
    status, body = await call(http, "PATCH", f"{path}/{created['id']}", edit)
    assert status == 400
    assert body["errors"]["embeds"]["0"]["fields"]["3"] == {
        "name": max_length(256),
        "value": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]},
    }
    assert body["errors"]["embeds"]["1"] == {
        "title": max_length(256),
        "author": {"name": max_length(256)},
    }
    stored = discord.world.messages[int(created["id"])]
    assert stored["content"] == "c" * 2000  # a refused edit changes nothing


async def test_components_past_their_limits(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    path = f"/channels/{discord.guild.channel('general').id}/messages"

    def button(label: str, n: int = 0) -> dict[str, Any]:
        return {"type": 2, "style": 1, "label": label, "custom_id": f"b{n}"}

    row = {"type": 1, "components": [button("x" * 80, n) for n in range(5)]}
    assert (await call(http, "POST", path, {"components": [row] * 5}))[0] == 200
    assert await call(http, "POST", path, {"components": [row] * 6}) == (
        400,
        refusal({"components": max_length(5)}),
    )
    wide = {"type": 1, "components": [button("x", n) for n in range(6)]}
    long_label = {"type": 1, "components": [button("x" * 81)]}
    options = [{"label": f"o{n}", "value": str(n)} for n in range(26)]
    select = {"type": 1, "components": [{"type": 3, "custom_id": "s", "options": options}]}
    status, body = await call(http, "POST", path, {"components": [wide, long_label, select]})
    assert status == 400
    assert body["errors"]["components"] == {
        "0": {"components": max_length(5)},
        "1": {"components": {"0": {"label": max_length(80)}}},
        "2": {"components": {"0": {"options": max_length(25)}}},
    }


async def test_interaction_callbacks_and_webhooks(
    discord: LocalDiscord, http: aiohttp.ClientSession
) -> None:
    held = Held(discord)
    async with connect_bot(held.bot, discord):
        record = (await discord.member("Alice").slash("hold")).record
        callback = f"/interactions/{record.id}/{record.token}/callback"
        embed = {"type": 4, "data": {"embeds": [{"description": "d" * 4097}]}}
        assert await call(http, "POST", callback, embed) == (
            400,
            refusal({"data": {"embeds": {"0": {"description": max_length(4096)}}}}),
        )
        choices = [{"name": f"c{n}", "value": str(n)} for n in range(26)]
        assert await call(http, "POST", callback, {"type": 8, "data": {"choices": choices}}) == (
            400,
            refusal({"data": {"choices": max_length(25)}}),
        )
        modal = {"type": 9, "data": {"title": "m" * 46, "custom_id": "m", "components": []}}
        assert await call(http, "POST", callback, modal) == (
            400,
            refusal({"data": {"title": max_length(45)}}),
        )
        assert record.callback is None  # refused callbacks acknowledge nothing
        assert (await call(http, "POST", callback, {"type": 4, "data": {"content": "ok"}}))[
            0
        ] == 204

        webhook = f"/webhooks/{discord.application_id}/{record.token}"
        followup = {"content": "c" * 2001}
        assert await call(http, "POST", f"{webhook}?wait=1", followup) == (
            400,
            refusal({"content": max_length(2000)}),
        )
        too_big = {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}
        assert await call(http, "PATCH", f"{webhook}/messages/@original", too_big) == (
            400,
            refusal({"embeds": TOO_BIG}),
        )
        held.release.set()
    discord.spec_violations.clear()  # the spec check (when on) also saw the over-limit bodies


async def test_the_bot_sees_discords_error(discord: LocalDiscord) -> None:
    """What disnake makes of the refusal: an HTTPException 400 with code 50035 and the place."""
    held = Held(discord)
    async with connect_bot(held.bot, discord):
        channel = held.bot.get_channel(discord.guild.channel("general").id)
        assert isinstance(channel, disnake.TextChannel)
        with pytest.raises(disnake.HTTPException) as caught:
            await channel.send(embed=disnake.Embed(description="d" * 4097))
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert "In embeds.0.description: Must be 4096 or fewer in length." in caught.value.text
    discord.spec_violations.clear()
