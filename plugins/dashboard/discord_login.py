"""Logging in with Discord: OAuth2's authorization code flow with ``state`` and PKCE (authlib).

Discord's addresses come from where the bot talks to Discord (``disnake.http.Route.BASE``), so
the same code logs in against discord.com and against the local Discord of tests and the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from disnake.http import Route

SCOPES = "identify guilds"
TIMEOUT = 10.0


class LoginFailed(Exception):
    """Discord refused the login or could not be reached; the message is for the person."""


@dataclass(frozen=True, slots=True)
class Login:
    """Who logged in and what Discord says of their guilds."""

    user: dict[str, Any]
    guilds: list[dict[str, Any]]
    access_token: str


def api_base() -> str:
    return Route.BASE.rstrip("/")


def authorize_url() -> str:
    """Discord's consent page: ``https://discord.com/oauth2/authorize`` for the real one."""
    base = api_base()
    origin = base[: base.rindex("/api")] if "/api" in base else base
    return origin + "/oauth2/authorize"


class DiscordLogin:
    """The OAuth2 client of one dashboard. Its id (by default the application's) and its
    redirect address (on the web server's address) are known only once the bot and the web
    server run, hence the callables."""

    def __init__(
        self, client_id: Callable[[], str], client_secret: str, redirect_uri: Callable[[], str]
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri

    def _client(self, token: dict[str, Any] | None = None) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            self.client_id(),
            self.client_secret,
            scope=SCOPES,
            redirect_uri=self.redirect_uri(),
            code_challenge_method="S256",
            token=token,
            timeout=TIMEOUT,
        )

    def start(self) -> tuple[str, str, str]:
        """Where to send the browser, with the ``state`` and PKCE verifier to keep until it
        comes back."""
        verifier = generate_token(64)
        url, state = self._client().create_authorization_url(
            authorize_url(), code_verifier=verifier, prompt="none"
        )
        return url, state, verifier

    async def finish(self, code: str, verifier: str) -> Login:
        """Exchange the code, then read the user and their guilds."""
        client = self._client()
        try:
            async with client:
                token = await client.fetch_token(
                    api_base() + "/oauth2/token", code=code, code_verifier=verifier
                )
                user = await _read(client, "/users/@me")
                guilds = await _read(client, "/users/@me/guilds")
        except OAuthError as exc:
            raise LoginFailed(f"Discord refused the login ({exc.error}).") from None
        except httpx2.HTTPError:
            raise LoginFailed("Discord could not be reached; please try again.") from None
        if not isinstance(user, dict) or not isinstance(guilds, list):
            raise LoginFailed("Discord's answer could not be read; please try again.")
        return Login(user, guilds, str(token["access_token"]))

    async def guilds(self, access_token: str) -> list[dict[str, Any]] | None:
        """The user's guilds now, or ``None`` when Discord no longer takes the token."""
        token = {"access_token": access_token, "token_type": "Bearer"}  # nosec B105 # OAuth2 name
        client = self._client(token)
        async with client:
            response = await client.get(api_base() + "/users/@me/guilds")
        if response.status_code == 401:
            return None
        response.raise_for_status()
        found = response.json()
        return found if isinstance(found, list) else None


async def _read(client: AsyncOAuth2Client, path: str) -> Any:
    response = await client.get(api_base() + path)
    if response.status_code != 200:
        raise LoginFailed(f"Discord answered {response.status_code} to {path}.")
    return response.json()
