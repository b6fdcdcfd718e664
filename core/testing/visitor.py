"""A person using the bot's web dashboard over HTTP, for tests of pages and the API.

A :class:`Visitor` keeps cookies, follows redirects, logs in through the local Discord's OAuth2
consent page as one of its users, and submits forms with the CSRF token of the page they are on
(no JavaScript, as the dashboard needs none)::

    async with Visitor(discord, app.web.url) as alice:
        await alice.login("Alice")
        page = await alice.get("/guilds/1/leaderboard")
        assert page.status == 200 and "Leaderboard" in page.text

The dashboard must know the local Discord as its OAuth2 provider: :func:`dashboard_settings`
gives the ``[plugins.dashboard]`` section, and :func:`allow_login` registers the redirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp

from core.testing.server import LocalDiscord
from core.testing.state import User

_CSRF = re.compile(r"name=\"csrf\" value=\"([^\"]*)\"")


def dashboard_settings(discord: LocalDiscord) -> dict[str, Any]:
    """The ``[plugins.dashboard]`` settings that log in against ``discord``."""
    return {"client_secret": discord.oauth.client_secret}


def allow_login(discord: LocalDiscord, web_url: str) -> None:
    """Register the dashboard at ``web_url`` as a redirect of the local Discord's application."""
    discord.oauth.allow_redirect(web_url.rstrip("/") + "/login/callback")


@dataclass(frozen=True, slots=True)
class WebPage:
    """What the visitor got: the final address after redirects, the status and the text."""

    url: str
    status: int
    text: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def csrf(self) -> str:
        """The page's CSRF token (from its forms), or ``""``."""
        found = _CSRF.search(self.text)
        return found.group(1) if found else ""


class Visitor:
    """One browser: its cookies and the page it is on."""

    def __init__(self, discord: LocalDiscord, base_url: str) -> None:
        self.discord = discord
        self.base = base_url.rstrip("/")
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1 as well
        self.http = aiohttp.ClientSession(cookie_jar=jar)
        self.last: WebPage | None = None

    async def __aenter__(self) -> Visitor:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.close()

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    async def _page(self, response: aiohttp.ClientResponse) -> WebPage:
        page = WebPage(
            str(response.url), response.status, await response.text(), dict(response.headers)
        )
        self.last = page
        return page

    async def get(self, path: str, *, follow: bool = True) -> WebPage:
        async with self.http.get(self._url(path), allow_redirects=follow) as response:
            return await self._page(response)

    async def post(self, path: str, form: dict[str, Any], *, csrf: str | None = None) -> WebPage:
        """Submit a form; its CSRF token is the last page's unless ``csrf`` is given."""
        token = csrf if csrf is not None else (self.last.csrf if self.last else "")
        data = {"csrf": token, **form} if token else dict(form)
        async with self.http.post(self._url(path), data=data) as response:
            return await self._page(response)

    async def login(self, who: str | User, next_path: str = "/") -> WebPage:
        """Log in with Discord as ``who`` (a user's name or the user), as a person would: the
        dashboard's login link, the local Discord's consent page, a press on that user."""
        consent = await self.get(f"/login?next={next_path}")
        if consent.status != 200 or "/oauth2/authorize" not in consent.url:
            raise AssertionError(f"no consent page: {consent.status} {consent.url}")
        name = who if isinstance(who, str) else who.name
        user = next((u for u in self.discord.oauth.users() if u.name == name), None)
        if user is None:
            raise LookupError(f"the local Discord has no user {name!r}")
        form = dict(parse_qsl(urlsplit(consent.url).query))
        async with self.http.post(
            self.discord.url + "/oauth2/authorize", data={**form, "user_id": str(user.id)}
        ) as response:
            return await self._page(response)

    async def api(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """Call ``/api/v1<path>``: as a token's owner with ``token``, else with the cookies."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        url = self.base + "/api/v1" + path
        async with self.http.request(method, url, json=json, headers=sent) as response:
            body = await response.json() if response.content_type == "application/json" else None
            return response.status, body, dict(response.headers)
