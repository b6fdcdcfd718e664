"""Logging in with Discord (through the local Discord's OAuth2 page), sessions, CSRF, logout."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from core.app import App
from core.testing.server import LocalDiscord
from core.testing.visitor import Visitor
from plugins.dashboard.models import WebSession
from plugins.dashboard.sessions import COOKIE, digest


async def test_a_member_logs_in_and_sees_the_guilds_they_share(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as alice:
        before = await alice.get("/")
        assert before.status == 200 and "Log in with Discord" in before.text
        page = await alice.login("Alice")
        assert page.status == 200 and page.path == "/"
        assert discord.guild.name in page.text and "Alice" in page.text
        cookie = next(c for c in alice.http.cookie_jar if c.key == COOKIE)
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        stored = await WebSession.get(key_hash=digest(cookie.value))
        assert stored.user_id == discord.guild.member("Alice").id
        assert cookie.value not in (stored.key_hash, stored.csrf)  # only the hash is kept


async def test_login_returns_to_the_page_asked_for_and_never_elsewhere(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as bob:
        page = await bob.login("Bob", next_path="/sessions")
        assert page.path == "/sessions" and page.status == 200
    async with Visitor(discord, dashboard.web.url) as bob:
        page = await bob.login("Bob", next_path="//evil.example/")
        assert page.path == "/" and page.url.startswith(dashboard.web.url)


async def test_a_page_that_needs_a_login_sends_to_discord(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as someone:
        page = await someone.get("/sessions")
        assert "/oauth2/authorize" in page.url and "Log in as Alice" in page.text


async def test_a_callback_not_started_here_is_refused(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as mallory:
        page = await mallory.get("/login/callback?code=stolen&state=guessed")
        assert page.status == 400 and "not from this browser" in page.text
        assert not await WebSession.all().count()


async def test_cancelling_at_discord_logs_nobody_in(discord: LocalDiscord, dashboard: App) -> None:
    async with Visitor(discord, dashboard.web.url) as alice:
        consent = await alice.get("/login")
        form = dict(parse_qsl(urlsplit(consent.url).query))
        async with alice.http.post(
            discord.url + "/oauth2/authorize", data={**form, "cancel": "1"}
        ) as answer:
            text = await answer.text()
        assert answer.status == 400 and "cancelled" in text
        assert not await WebSession.all().count()


async def test_logout_needs_the_form_token_and_ends_the_session(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with Visitor(discord, dashboard.web.url) as alice:
        home = await alice.login("Alice")
        refused = await alice.post("/logout", {}, csrf="forged")
        assert refused.status == 403 and "CSRF" in refused.text
        assert await WebSession.all().count() == 1
        page = await alice.post("/logout", {}, csrf=home.csrf)
        assert page.path == "/" and "Log in with Discord" in page.text
        assert not await WebSession.all().count()


async def test_a_member_lists_and_ends_their_other_logins(
    discord: LocalDiscord, dashboard: App
) -> None:
    async with (
        Visitor(discord, dashboard.web.url) as laptop,
        Visitor(discord, dashboard.web.url) as phone,
        Visitor(discord, dashboard.web.url) as bob,
    ):
        await laptop.login("Alice")
        await phone.login("Alice")
        await bob.login("Bob")
        listed = await laptop.get("/sessions")
        assert listed.text.count('<button type="submit">End</button>') == 2
        other = await WebSession.filter(user_id=discord.guild.member("Alice").id).order_by("id")
        bobs = await WebSession.get(user_id=discord.guild.member("Bob").id)
        refused = await laptop.post("/sessions", {"end": str(bobs.id)})
        assert refused.status == 404 and await WebSession.filter(id=bobs.id).exists()
        await laptop.get("/sessions")
        await laptop.post("/sessions", {"end": str(other[1].id)})
        assert (await phone.get("/sessions")).path != "/sessions"  # the phone is logged out
