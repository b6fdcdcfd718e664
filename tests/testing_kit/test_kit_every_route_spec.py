"""Every route the local Discord serves answers as Discord's OpenAPI description says Discord
answers that operation (the response schema of the same operation and status, the whole document
as root). The test walks the kit's own route table, so a route added without a case here fails
it; each route is called for real, in one session that logs in, syncs commands, answers an
interaction, posts, edits and deletes messages, opens a DM, changes roles and logs a member in
with OAuth2."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from core.testing.rest import API_PREFIX, build_app
from core.testing.server import LocalDiscord
from core.testing.spec import SpecChecker

#: Routes Discord's description leaves out (they follow RFC 6749 instead); the test checks that
#: they are still absent from it, so that it says when the description starts covering them.
NOT_IN_DESCRIPTION = frozenset({("POST", "/oauth2/token"), ("POST", "/oauth2/token/revoke")})
REDIRECT = "http://127.0.0.1/callback"


def served_routes(discord: LocalDiscord) -> set[tuple[str, str]]:
    """(method, path template under ``/api/v10``) of every API route in the kit's table."""
    routes = set()
    for route in build_app(discord).router.routes():
        template = route.resource.canonical if route.resource is not None else ""
        if template.startswith(API_PREFIX + "/"):
            routes.add((route.method, template[len(API_PREFIX) :]))
    return routes


class Walk:
    """Calls routes by template and keeps, per route, where each answer breaks the description."""

    def __init__(self, discord: LocalDiscord, http: aiohttp.ClientSession, checker: SpecChecker):
        self.discord, self.http, self.checker = discord, http, checker
        self.answers: dict[tuple[str, str], list[tuple[int, list[str]]]] = {}

    async def call(
        self,
        method: str,
        template: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> Any:
        path = template.format(**params)
        async with self.http.request(
            method,
            self.discord.api_base + path,
            json=body,
            data=form,
            params=query,
            headers=headers,
        ) as reply:
            answer = await reply.json() if reply.status != 204 else None
            status = reply.status
        assert status < 400, f"{method} {path} answered {status}: {answer}"
        if (method, template) in NOT_IN_DESCRIPTION:
            errors = self.checker.response_errors(method, path, status, answer)
            assert errors == [f"{method} {path}: not in the description"]
            errors = []
        else:
            errors = self.checker.response_errors(method, path, status, answer)
        self.answers.setdefault((method, template), []).append((status, errors))
        return answer


@pytest.fixture
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        yield local


async def _connect_gateway(
    session: aiohttp.ClientSession, discord: LocalDiscord
) -> aiohttp.ClientWebSocketResponse:
    """A bare gateway session, so that interactions can be delivered."""
    ws = await session.ws_connect(discord.gateway_url)
    await ws.receive_json()  # HELLO
    await ws.send_json({"op": 2, "d": {"token": discord.token, "intents": 0, "properties": {}}})
    await ws.receive_json()  # READY
    return ws


async def _login_and_commands(walk: Walk, app: int, guild: int) -> None:
    for template in ("/users/@me", "/gateway", "/gateway/bot", "/oauth2/applications/@me"):
        await walk.call("GET", template)
    await walk.call("GET", "/applications/@me")
    ping = {"name": "ping", "description": "Ping", "type": 1}
    scopes: list[tuple[str, dict[str, Any]]] = [
        ("", {}),
        ("/guilds/{guild_id}", {"guild_id": guild}),
    ]
    for scope, extra in scopes:
        commands = "/applications/{application_id}" + scope + "/commands"
        await walk.call("PUT", commands, [ping], application_id=app, **extra)
        created = await walk.call(
            "POST", commands, {"name": "pong", "description": "Pong"}, application_id=app, **extra
        )
        await walk.call("GET", commands, application_id=app, **extra)
        one = commands + "/{command_id}"
        await walk.call("GET", one, application_id=app, command_id=created["id"], **extra)
        await walk.call(
            "PATCH",
            one,
            {"description": "Pong!"},
            application_id=app,
            command_id=created["id"],
            **extra,
        )
        await walk.call("DELETE", one, application_id=app, command_id=created["id"], **extra)


async def _interaction(walk: Walk, app: int) -> None:
    for with_response in ("true", "false"):
        response = await walk.discord.member("Alice").slash("ping")
        record = response.record
        await walk.call(
            "POST",
            "/interactions/{interaction_id}/{token}/callback",
            {"type": 4, "data": {"content": "pong"}},
            query={"with_response": with_response},
            interaction_id=record.id,
            token=record.token,
        )
    webhook: dict[str, Any] = {"application_id": app, "token": record.token}
    followup = await walk.call(
        "POST",
        "/webhooks/{application_id}/{token}",
        {"content": "more"},
        query={"wait": "true"},
        **webhook,
    )
    message = "/webhooks/{application_id}/{token}/messages/{message_id}"
    for ref in ("@original", followup["id"]):
        await walk.call("GET", message, message_id=ref, **webhook)
        await walk.call("PATCH", message, {"content": "edited"}, message_id=ref, **webhook)
    await walk.call("DELETE", message, message_id=followup["id"], **webhook)


async def _channels_users_guilds(walk: Walk, guild_id: int) -> None:
    guild = walk.discord.world.guild(guild_id)
    channel, alice = guild.channel("general").id, guild.member("Alice").id
    await walk.call("GET", "/channels/{channel_id}", channel_id=channel)
    await walk.call("POST", "/channels/{channel_id}/typing", channel_id=channel)
    posted = await walk.call(
        "POST", "/channels/{channel_id}/messages", {"content": "hello"}, channel_id=channel
    )
    await walk.call("GET", "/channels/{channel_id}/messages", channel_id=channel)
    message = "/channels/{channel_id}/messages/{message_id}"
    await walk.call("GET", message, channel_id=channel, message_id=posted["id"])
    await walk.call(
        "PATCH", message, {"content": "hello!"}, channel_id=channel, message_id=posted["id"]
    )
    await walk.call("DELETE", message, channel_id=channel, message_id=posted["id"])
    await walk.call("POST", "/users/@me/channels", {"recipient_id": str(alice)})
    await walk.call("GET", "/users/{user_id}", user_id=alice)
    for template in (
        "/guilds/{guild_id}",
        "/guilds/{guild_id}/channels",
        "/guilds/{guild_id}/roles",
    ):
        await walk.call("GET", template, guild_id=guild_id)
    await walk.call("GET", "/guilds/{guild_id}/members", query={"limit": "10"}, guild_id=guild_id)
    await walk.call("GET", "/guilds/{guild_id}/members/{user_id}", guild_id=guild_id, user_id=alice)
    role = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
    managers = guild.role("Managers").id
    await walk.call("PUT", role, guild_id=guild_id, user_id=alice, role_id=managers)
    await walk.call("DELETE", role, guild_id=guild_id, user_id=alice, role_id=managers)


async def _oauth(walk: Walk, session: aiohttp.ClientSession) -> None:
    oauth = walk.discord.oauth
    oauth.allow_redirect(REDIRECT)
    consent = {
        "client_id": oauth.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "identify guilds",
        "user_id": str(walk.discord.guild.member("Alice").id),
    }
    async with session.post(
        walk.discord.url + "/oauth2/authorize", data=consent, allow_redirects=False
    ) as reply:
        code = reply.headers["Location"].split("code=")[1]
    client = {"client_id": oauth.client_id, "client_secret": oauth.client_secret}
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    token = await walk.call("POST", "/oauth2/token", form={**client, **exchange})
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    await walk.call("GET", "/users/@me/guilds", headers=bearer)
    await walk.call("POST", "/oauth2/token/revoke", form={**client, "token": token["access_token"]})


async def test_every_served_route_answers_as_the_description_says(
    discord: LocalDiscord, checker: SpecChecker
) -> None:
    app, guild = discord.application_id, discord.guild.id
    headers = {"Authorization": f"Bot {discord.token}"}
    async with aiohttp.ClientSession(headers=headers) as http, aiohttp.ClientSession() as bare:
        walk = Walk(discord, http, checker)
        ws = await _connect_gateway(bare, discord)
        await _login_and_commands(walk, app, guild)
        await _interaction(walk, app)
        await _channels_users_guilds(walk, guild)
        await _oauth(walk, bare)
        await ws.close()
    assert set(walk.answers) == served_routes(discord)
    broken = {route: found for route, found in walk.answers.items() if any(e for _, e in found)}
    assert broken == {}
    checked = [v for v in discord.spec_violations if (v.method, v.path) not in NOT_IN_DESCRIPTION]
    assert checked == []  # and the requests made were Discord's (but for the OAuth2 token routes)
