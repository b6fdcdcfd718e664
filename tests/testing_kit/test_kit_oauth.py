"""The local Discord's OAuth2 code grant, driven by authlib's client (nobody here wrote it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from core.testing.oauth import CODE_LIFETIME, TOKEN_LIFETIME, s256
from core.testing.server import LocalDiscord

REDIRECT = "http://127.0.0.1:9/login/callback"


@pytest.fixture
async def discord() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        local.oauth.allow_redirect(REDIRECT)
        yield local


def client(discord: LocalDiscord, scope: str = "identify guilds") -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        discord.oauth.client_id,
        discord.oauth.client_secret,
        scope=scope,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )


async def consent(discord: LocalDiscord, url: str, choice: dict[str, str]) -> dict[str, list[str]]:
    """Open the authorize page as a browser would, press a button, return the redirect's query."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            assert page.status == 200, await page.text()
            text = await page.text()
        form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert all(f"name='{k}'" in text for k in form)  # the page carries the request on
        async with http.post(
            discord.url + "/oauth2/authorize", data={**form, **choice}, allow_redirects=False
        ) as answer:
            assert answer.status == 302, await answer.text()
            location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


async def login(discord: LocalDiscord, who: str, scope: str = "identify guilds") -> str:
    oauth = client(discord, scope)
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(
        discord.url + "/oauth2/authorize", code_verifier=verifier
    )
    user = next(u for u in discord.oauth.users() if u.name == who)
    query = await consent(discord, url, {"user_id": str(user.id)})
    assert query["state"] == [state]
    token = await oauth.fetch_token(
        discord.api_base + "/oauth2/token", code=query["code"][0], code_verifier=verifier
    )
    assert token["token_type"] == "Bearer" and token["expires_in"] == TOKEN_LIFETIME
    return str(token["access_token"])


async def read(discord: LocalDiscord, path: str, token: str) -> tuple[int, object]:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(discord.api_base + path, headers=headers) as answer:
            return answer.status, await answer.json()


async def test_a_member_logs_in_with_pkce_and_reads_who_they_are(discord: LocalDiscord) -> None:
    token = await login(discord, "Alice")
    status, me = await read(discord, "/users/@me", token)
    alice = discord.guild.member("Alice")
    assert status == 200 and isinstance(me, dict) and me["id"] == str(alice.id)
    status, guilds = await read(discord, "/users/@me/guilds", token)
    assert status == 200 and isinstance(guilds, list)
    [guild] = guilds
    assert guild["id"] == str(discord.guild.id) and guild["owner"] is False
    assert int(guild["permissions"]) == alice.permissions


async def test_the_owner_owns_the_guild(discord: LocalDiscord) -> None:
    token = await login(discord, discord.owner.name)
    _, guilds = await read(discord, "/users/@me/guilds", token)
    assert isinstance(guilds, list) and [g["owner"] for g in guilds] == [True]


async def test_a_user_token_reads_nothing_else(discord: LocalDiscord) -> None:
    token = await login(discord, "Bob", scope="identify")
    assert (await read(discord, "/users/@me/guilds", token))[0] == 401  # no guilds scope
    assert (await read(discord, f"/guilds/{discord.guild.id}", token))[0] == 401
    assert (await read(discord, "/users/@me", "not-a-token"))[0] == 401


async def test_a_token_expires(discord: LocalDiscord) -> None:
    token = await login(discord, "Bob")
    discord.clock.advance(TOKEN_LIFETIME + 1)
    assert (await read(discord, "/users/@me", token))[0] == 401


async def exchange(discord: LocalDiscord, **form: str) -> tuple[int, dict[str, str]]:
    body = {
        "client_id": discord.oauth.client_id,
        "client_secret": discord.oauth.client_secret,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
        **form,
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(discord.api_base + "/oauth2/token", data=body) as answer:
            return answer.status, await answer.json()


async def code_for(discord: LocalDiscord, verifier: str) -> str:
    query = {
        "client_id": discord.oauth.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "identify",
        "state": "s1",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    url = discord.url + "/oauth2/authorize?" + "&".join(f"{k}={v}" for k, v in query.items())
    bob = discord.guild.member("Bob")
    return (await consent(discord, url, {"user_id": str(bob.id)}))["code"][0]


async def test_a_code_needs_its_verifier_and_is_good_once(discord: LocalDiscord) -> None:
    code = await code_for(discord, "v" * 43)
    status, error = await exchange(discord, code=code, code_verifier="w" * 43)
    assert (status, error["error"]) == (400, "invalid_grant")
    assert "code_verifier" in error["error_description"] or "code" in error["error_description"]
    code = await code_for(discord, "v" * 43)
    status, token = await exchange(discord, code=code, code_verifier="v" * 43)
    assert status == 200 and token["access_token"]
    status, error = await exchange(discord, code=code, code_verifier="v" * 43)
    assert (status, error["error"]) == (400, "invalid_grant")


async def test_a_code_expires_and_keeps_its_redirect(discord: LocalDiscord) -> None:
    code = await code_for(discord, "v" * 43)
    status, error = await exchange(
        discord, code=code, code_verifier="v" * 43, redirect_uri=REDIRECT + "x"
    )
    assert (status, error["error"]) == (400, "invalid_grant")
    code = await code_for(discord, "v" * 43)
    discord.clock.advance(CODE_LIFETIME + 1)
    status, error = await exchange(discord, code=code, code_verifier="v" * 43)
    assert (status, error["error"]) == (400, "invalid_grant")


async def test_the_client_must_prove_itself(discord: LocalDiscord) -> None:
    code = await code_for(discord, "v" * 43)
    status, error = await exchange(
        discord, code=code, code_verifier="v" * 43, client_secret="wrong"
    )
    assert (status, error["error"]) == (401, "invalid_client")
    status, error = await exchange(discord, grant_type="password")
    assert (status, error["error"]) == (400, "unsupported_grant_type")


async def test_cancel_and_unknown_redirects(discord: LocalDiscord) -> None:
    oauth = client(discord)
    url, state = oauth.create_authorization_url(
        discord.url + "/oauth2/authorize", code_verifier=generate_token(48)
    )
    query = await consent(discord, url, {"cancel": "1"})
    assert query == {"error": ["access_denied"], "state": [state]}
    elsewhere = url.replace("127.0.0.1%3A9", "evil.example")
    async with aiohttp.ClientSession() as http:
        async with http.get(elsewhere, allow_redirects=False) as page:
            assert page.status == 400 and "redirect_uri" in await page.text()


async def test_a_refresh_token_gives_a_new_pair_and_revoking_ends_it(
    discord: LocalDiscord,
) -> None:
    oauth = client(discord)
    verifier = generate_token(48)
    url, _ = oauth.create_authorization_url(
        discord.url + "/oauth2/authorize", code_verifier=verifier
    )
    bob = discord.guild.member("Bob")
    query = await consent(discord, url, {"user_id": str(bob.id)})
    first = await oauth.fetch_token(
        discord.api_base + "/oauth2/token", code=query["code"][0], code_verifier=verifier
    )
    second = await oauth.refresh_token(
        discord.api_base + "/oauth2/token", refresh_token=first["refresh_token"]
    )
    assert second["access_token"] != first["access_token"]
    with pytest.raises(OAuthError):  # a refresh token is spent once
        await oauth.refresh_token(
            discord.api_base + "/oauth2/token", refresh_token=first["refresh_token"]
        )
    await oauth.revoke_token(
        discord.api_base + "/oauth2/token/revoke", token=second["access_token"]
    )
    assert (await read(discord, "/users/@me", second["access_token"]))[0] == 401
