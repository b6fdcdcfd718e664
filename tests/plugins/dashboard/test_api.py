"""``/api/v1`` as programs use it: tokens and their scopes, sessions and CSRF, one error shape,
rate limits with Retry-After, CORS off by default, the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.app import App
from core.pages import Scope
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor, allow_login, dashboard_settings
from plugins.dashboard.models import ApiToken

ERROR_KEYS = {"status", "code", "message"}


async def make_token(app: App, discord: LocalDiscord, who: str, *scopes: Scope) -> str:
    tokens = app.plugins.services.get("dashboard.front").api.tokens
    user = discord.guild.member(who)
    guilds = [{"id": str(discord.guild.id), "name": discord.guild.name, "permissions": "0"}]
    _, secret = await tokens.create(user.id, "test", frozenset(scopes or (Scope.READ,)), guilds)
    return str(secret)


def is_error(body: Any, status: int) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"error"}
        and ERROR_KEYS <= set(body["error"])
        and body["error"]["status"] == status
    )


async def test_a_token_reads_as_its_owner(discord: LocalDiscord, dashboard: App) -> None:
    secret = await make_token(dashboard, discord, "Alice")
    async with Visitor(discord, dashboard.web.url) as program:
        status, me, _ = await program.api("GET", "/me", token=secret)
        assert status == 200 and me["id"] == str(discord.guild.member("Alice").id)
        assert me["scopes"] == ["read"] and [g["name"] for g in me["guilds"]] == ["Test Guild"]
        status, listed, _ = await program.api("GET", "/me/tokens", token=secret)
        assert status == 200 and [t["name"] for t in listed["tokens"]] == ["test"]
    stored = await ApiToken.get(user_id=discord.guild.member("Alice").id)
    assert secret not in (stored.token_hash, stored.name) and stored.used_at is not None


async def test_a_read_token_may_not_change_and_a_bad_one_is_refused(
    discord: LocalDiscord, dashboard: App
) -> None:
    secret = await make_token(dashboard, discord, "Bob")
    token = await ApiToken.get(user_id=discord.guild.member("Bob").id)
    async with Visitor(discord, dashboard.web.url) as program:
        status, body, _ = await program.api("DELETE", f"/me/tokens/{token.id}", token=secret)
        assert status == 403 and is_error(body, 403) and "manage" in body["error"]["message"]
        status, body, _ = await program.api("GET", "/me", token="dbsbm_not-a-token")
        assert status == 401 and is_error(body, 401)
        status, body, _ = await program.api("GET", "/me")
        assert status == 401 and is_error(body, 401)


async def test_revoking_a_token_ends_it(discord: LocalDiscord, dashboard: App) -> None:
    secret = await make_token(dashboard, discord, "Bob", Scope.READ, Scope.MANAGE)
    token = await ApiToken.get(user_id=discord.guild.member("Bob").id)
    async with Visitor(discord, dashboard.web.url) as program:
        for beyond in (2**31, 10**20 - 1):  # ids no row can have, within the documented digits
            status, body, _ = await program.api("DELETE", f"/me/tokens/{beyond}", token=secret)
            assert status == 404 and is_error(body, 404), (beyond, body)
        status, _, _ = await program.api("DELETE", f"/me/tokens/{token.id}", token=secret)
        assert status == 204
        status, body, _ = await program.api("GET", "/me", token=secret)
        assert status == 401 and is_error(body, 401)


async def test_a_browser_session_needs_its_csrf_token_to_change(
    discord: LocalDiscord, dashboard: App
) -> None:
    await make_token(dashboard, discord, "Alice")
    token = await ApiToken.get(user_id=discord.guild.member("Alice").id)
    async with Visitor(discord, dashboard.web.url) as alice:
        home = await alice.login("Alice")
        status, me, _ = await alice.api("GET", "/me")
        assert status == 200 and me["scopes"] == ["manage", "read"]
        status, body, _ = await alice.api("DELETE", f"/me/tokens/{token.id}")
        assert status == 403 and "CSRF" in body["error"]["message"]
        headers = {"X-CSRF-Token": home.csrf}
        status, _, _ = await alice.api("DELETE", f"/me/tokens/{token.id}", headers=headers)
        assert status == 204


async def test_unknown_paths_and_methods_answer_in_the_error_shape(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as program:
        status, body, _ = await program.api("GET", "/nothing/here")
        assert status == 404 and is_error(body, 404)
        status, body, headers = await program.api("POST", "/me")
        assert status == 405 and is_error(body, 405) and headers["Allow"] == "GET"
        status, body, _ = await program.api("DELETE", "/me/tokens/abc", token="x")
        assert status == 401 and is_error(body, 401)


async def test_cors_is_off_unless_configured(discord: LocalDiscord, dashboard: App) -> None:
    async with Visitor(discord, dashboard.web.url) as program:
        origin = {"Origin": "https://app.example"}
        _, _, headers = await program.api("GET", "/openapi.json", headers=origin)
        assert "Access-Control-Allow-Origin" not in headers


@pytest.fixture
async def strict(discord: LocalDiscord, tmp_path: Path) -> AsyncIterator[App]:
    section = {
        **dashboard_settings(discord),
        "api_rate": "3/1m",
        "cors_origins": ["https://app.example"],
    }
    settings: dict[str, Any] = {"plugins": {"dashboard": section}}
    async with run_app(discord, tmp_path, plugins=["dashboard"], settings=settings) as app:
        allow_login(discord, app.web.url)
        yield app


async def test_requests_beyond_the_rate_wait_for_retry_after(
    discord: LocalDiscord, strict: App
) -> None:
    secret = await make_token(strict, discord, "Alice")
    async with Visitor(discord, strict.web.url) as program:
        answers = [await program.api("GET", "/me", token=secret) for _ in range(4)]
        assert [a[0] for a in answers] == [200, 200, 200, 429]
        _, body, headers = answers[-1]
        assert is_error(body, 429) and 1 <= int(headers["Retry-After"]) <= 60
        other = await make_token(strict, discord, "Bob")
        assert (await program.api("GET", "/me", token=other))[0] == 200  # per token


async def test_a_configured_origin_gets_cors_headers(discord: LocalDiscord, strict: App) -> None:
    async with Visitor(discord, strict.web.url) as program:
        origin = {"Origin": "https://app.example"}
        status, _, headers = await program.api("OPTIONS", "/me", headers=origin)
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "https://app.example"
        _, _, headers = await program.api("GET", "/me", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in headers


async def test_the_openapi_document_names_every_endpoint(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as program:
        status, doc, _ = await program.api("GET", "/openapi.json")
    assert status == 200 and doc["openapi"] == "3.1.0"
    declared = {
        (e.method.lower(), "/api/v1" + e.path) for _, e in dashboard.web.registry.endpoints.all()
    }
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == declared and ("get", "/api/v1/me") in declared
    assert doc["components"]["schemas"]["Me"]["properties"]["guilds"]["type"] == "array"
