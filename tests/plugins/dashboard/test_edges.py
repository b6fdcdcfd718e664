"""The dashboard where things go wrong: Discord refuses a code or a stale token, a member leaves a
guild, bad token names, wrong methods, bodies and pages that do not exist."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from core.app import App
from core.pages import Scope
from core.testing.harness import run_app
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor, allow_login, dashboard_settings
from core.validation import ValidationError
from plugins.dashboard.models import WebSession
from plugins.dashboard.sessions import GUILDS_TTL
from plugins.dashboard.tokens import MAX_TOKENS, Tokens


def tokens_of(app: App) -> Tokens:
    return app.plugins.services.get("dashboard.front").api.tokens


async def test_a_code_discord_refuses_logs_nobody_in(discord: LocalDiscord, dashboard: App) -> None:
    async with Visitor(discord, dashboard.web.url) as alice:
        consent = await alice.get("/login")
        form = dict(parse_qsl(urlsplit(consent.url).query))
        alice_id = str(discord.guild.member("Alice").id)
        async with alice.http.post(
            discord.url + "/oauth2/authorize",
            data={**form, "user_id": alice_id},
            allow_redirects=False,
        ) as answer:
            callback = urlsplit(answer.headers["Location"])
        query = dict(parse_qsl(callback.query))
        page = await alice.get(f"/login/callback?{urlencode({**query, 'code': 'forged'})}")
        assert page.status == 400 and "Discord refused the login (invalid_grant)" in page.text
        assert not await WebSession.all().count()


async def test_guilds_are_read_again_and_a_dead_discord_token_ends_the_session(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as bob:
        await bob.login("Bob")
        assert discord.guild.name in (await bob.get("/")).text
        session = await WebSession.get()
        discord.guild.members.remove(discord.guild.member("Bob"))  # Bob leaves the guild
        session.guilds_at -= GUILDS_TTL + timedelta(seconds=1)
        await session.save()
        page = await bob.get("/")
        assert page.status == 200 and discord.guild.name not in page.text
        assert (await WebSession.get()).guilds == []
        discord.clock.advance(7 * 24 * 3600 + 1)  # Discord's token expires
        session = await WebSession.get()
        session.guilds_at -= GUILDS_TTL + timedelta(seconds=1)
        await session.save()
        page = await bob.get("/")
        assert "Log in with Discord" in page.text and not await WebSession.all().count()


async def test_token_names_counts_and_scopes_are_checked(
    discord: LocalDiscord, dashboard: App
) -> None:
    tokens = tokens_of(dashboard)
    with pytest.raises(ValidationError, match="name: 1 to 64 characters"):
        await tokens.create(1, " ", frozenset(Scope), [])
    with pytest.raises(ValidationError, match="name: 1 to 64 characters"):
        await tokens.create(1, "x" * 65, frozenset(Scope), [])
    await tokens.create(1, "x" * 64, frozenset(Scope), [])
    for n in range(MAX_TOKENS - 1):
        await tokens.create(1, f"t{n}", frozenset(Scope), [])
    with pytest.raises(ValidationError, match=f"at most {MAX_TOKENS}"):
        await tokens.create(1, "one more", frozenset(Scope), [])
    async with Visitor(discord, dashboard.web.url) as alice:
        await alice.login("Alice")
        await alice.get("/tokens")
        page = await alice.post("/tokens", {"name": "phone", "scope": "admin"})
        assert page.status == 200 and "each scope is read or manage" in page.text
        page = await alice.post("/tokens", {"name": "phone"})
        assert "pick at least one" in page.text


async def test_wrong_methods_missing_pages_and_files(discord: LocalDiscord, dashboard: App) -> None:
    async with Visitor(discord, dashboard.web.url) as someone:
        page = await someone.post("/", {})
        assert page.status == 405 and page.headers["Allow"] == "GET"
        assert (await someone.get("/nothing-here")).status == 404
        for tail in ("/nothing%0Ahere", "/guilds/1/plugins/a%0Ab"):  # a newline in the path
            status, body, _ = await someone.api("PUT", tail, json={"enabled": True})
            assert status in (401, 404) and body["error"]["status"] == status, (tail, body)
        newline = await someone.get("/nothing%0Ahere")
        assert newline.status == 404 and newline.text == "no route for GET /nothing\nhere"
        assert (await someone.get("/static/nothing.css")).status == 404
        assert (await someone.get("/static/../models.py")).status == 404
        css = await someone.get("/static/dashboard.css")
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        home = await someone.get("/")
        assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]


@pytest.fixture
async def with_betting(discord: LocalDiscord, tmp_path: Path) -> AsyncIterator[App]:
    settings: dict[str, Any] = {"plugins": {"dashboard": dashboard_settings(discord)}}
    plugins = ["dashboard", "betting"]
    async with run_app(discord, tmp_path, plugins=plugins, settings=settings) as app:
        allow_login(discord, app.web.url)
        yield app


async def test_bodies_and_windows_are_checked_before_the_handler(
    discord: LocalDiscord, with_betting: App
) -> None:
    alice = discord.guild.member("Alice")
    guilds = [{"id": str(discord.guild.id), "name": discord.guild.name, "permissions": "32"}]
    _, secret = await tokens_of(with_betting).create(alice.id, "t", frozenset(Scope), guilds)
    base = f"/guilds/{discord.guild.id}"
    async with Visitor(discord, with_betting.web.url) as program:
        for limit in ("0", "101", "ten"):
            status, body, _ = await program.api("GET", f"{base}/picks?limit={limit}", token=secret)
            assert status == 400 and "limit" in body["error"]["message"]
        status, body, _ = await program.api(
            "PATCH", f"{base}/settings", json={"colour": "red"}, token=secret
        )
        assert status == 422 and body["error"]["code"] == "invalid_body"
        assert "colour" in body["error"]["message"]
        status, body, _ = await program.api(
            "PATCH", f"{base}/settings", token=secret, headers={"Content-Type": "application/json"}
        )
        assert status == 400 and body["error"]["message"] == "the body must be JSON"
