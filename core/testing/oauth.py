"""Discord's OAuth2 authorization code grant, as the local Discord serves it for dashboard logins.

- ``GET /oauth2/authorize`` is Discord's consent screen; here it is a form that picks which user
  of the world logs in (no JavaScript, no Discord account). ``POST /oauth2/authorize`` issues a
  code and redirects to the client's ``redirect_uri`` with ``code`` and ``state``, or with
  ``error=access_denied`` when cancelled.
- ``POST /api/v10/oauth2/token`` exchanges a code (once, within :data:`CODE_LIFETIME`, with the
  same ``redirect_uri`` and, when the authorize request had a PKCE challenge, the matching
  ``code_verifier``) or a refresh token for a bearer token; ``POST /api/v10/oauth2/token/revoke``
  revokes one.
- ``GET /api/v10/users/@me`` (scope ``identify``) and ``GET /api/v10/users/@me/guilds`` (scope
  ``guilds``, partial guilds with the user's ``permissions``) answer ``Authorization: Bearer``.

As on Discord, a client is the application (``client_id`` is its id) with one secret and a list of
registered redirect URIs (:meth:`OAuth2.allow_redirect`); errors follow RFC 6749
(``{"error": "invalid_grant", "error_description": ...}``) and the authorize page answers an
unknown client or redirect URI with an error page instead of redirecting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

from core.testing.state import User
from core.testing.wire import json_reply

if TYPE_CHECKING:
    from core.testing.interactions import Clock
    from core.testing.state import World

CODE_LIFETIME = 600.0
"""Seconds an authorization code may wait for its exchange."""
TOKEN_LIFETIME = 604_800
"""Seconds a bearer token lives (Discord's ``expires_in``)."""
SCOPES = frozenset({"identify", "guilds", "email", "guilds.members.read"})
"""The scopes the local Discord grants (a request for another is refused as ``invalid_scope``)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a code or a token stands for."""

    user: User
    scopes: frozenset[str]
    expires: float
    redirect_uri: str = ""
    challenge: str | None = None


def s256(verifier: str) -> str:
    """The PKCE ``S256`` challenge of ``verifier`` (RFC 7636: base64url of SHA-256, no padding)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    return json_reply({"error": error, "error_description": description}, status)


class OAuth2:
    """The OAuth2 endpoints of one local Discord: its client, codes and tokens."""

    def __init__(self, world: World, clock: Clock) -> None:
        self.world = world
        self.clock = clock
        self.client_id = str(world.application_id)
        self.client_secret = secrets.token_urlsafe(24)
        self.redirect_uris: set[str] = set()
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}

    def allow_redirect(self, uri: str) -> None:
        """Register ``uri`` as a redirect URI of the application (Discord's developer portal)."""
        self.redirect_uris.add(uri)

    def users(self) -> list[User]:
        """Who may log in: the owner and every member of a guild, the bot excepted."""
        seen: dict[int, User] = {self.world.owner.id: self.world.owner}
        for guild in self.world.guilds:
            for member in guild.members:
                if not member.user.bot:
                    seen.setdefault(member.user.id, member.user)
        return list(seen.values())

    def bearer(self, request: web.Request) -> Grant | None:
        """The live grant of the request's ``Authorization: Bearer`` token, if any."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        grant = self._tokens.get(token.strip()) if scheme == "Bearer" else None
        if grant is None or grant.expires <= self.clock.now():
            return None
        return grant

    # --- the consent page -------------------------------------------------------------------

    def _authorize_problem(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != self.client_id:
            return "Unknown application: client_id is not this application's id."
        if query.get("redirect_uri") not in self.redirect_uris:
            return "Invalid OAuth2 redirect_uri: it is not registered for this application."
        if query.get("response_type") != "code":
            return "Unsupported response_type: only code is supported."
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            return "Unsupported code_challenge_method: only S256 is supported."
        return None

    def _scopes(self, query: dict[str, str]) -> frozenset[str] | None:
        scopes = frozenset(query.get("scope", "").split())
        return scopes if scopes and scopes <= SCOPES else None

    async def authorize_page(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        problem = self._authorize_problem(query)
        if problem is not None:
            return _page("Authorization failed", f"<p role='alert'>{html.escape(problem)}</p>", 400)
        if self._scopes(query) is None:
            return self._redirect(query, error="invalid_scope")
        hidden = "".join(
            f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
            for k, v in query.items()
        )
        choices = "".join(
            f"<li><button type='submit' name='user_id' value='{u.id}'>"
            f"Log in as {html.escape(u.name)}</button></li>"
            for u in self.users()
        )
        body = (
            f"<p>The application wants: {html.escape(query.get('scope', ''))}.</p>"
            f"<form method='post' action='/oauth2/authorize'>{hidden}<ul>{choices}</ul>"
            "<button type='submit' name='cancel' value='1'>Cancel</button></form>"
        )
        return _page("Local Discord: authorize", body)

    async def authorize_submit(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        problem = self._authorize_problem(form)
        if problem is not None:
            return _page("Authorization failed", f"<p role='alert'>{html.escape(problem)}</p>", 400)
        scopes = self._scopes(form)
        if scopes is None:
            return self._redirect(form, error="invalid_scope")
        if form.get("cancel"):
            return self._redirect(form, error="access_denied")
        user = next((u for u in self.users() if str(u.id) == form.get("user_id")), None)
        if user is None:
            return _page("Authorization failed", "<p role='alert'>Unknown user.</p>", 400)
        code = secrets.token_urlsafe(24)
        self._codes[code] = Grant(
            user,
            scopes,
            self.clock.now() + CODE_LIFETIME,
            form["redirect_uri"],
            form.get("code_challenge") or None,
        )
        return self._redirect(form, code=code)

    def _redirect(self, params: dict[str, str], **answer: str) -> web.Response:
        if "state" in params:
            answer["state"] = params["state"]
        uri = params["redirect_uri"]
        location = f"{uri}{'&' if '?' in uri else '?'}{urlencode(answer)}"
        return web.Response(status=302, headers={"Location": location})

    # --- tokens -----------------------------------------------------------------------------

    def _client_ok(self, request: web.Request, form: dict[str, str]) -> bool:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Basic":
            try:
                client_id, _, secret = base64.b64decode(value).decode().partition(":")
            except ValueError:
                return False
        return client_id == self.client_id and hmac.compare_digest(secret, self.client_secret)

    async def token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not self._client_ok(request, form):
            return _oauth_error("invalid_client", "Invalid client credentials.", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self._codes.pop(form.get("code", ""), None)  # a code is good once
            if grant is None or grant.expires <= self.clock.now():
                return _oauth_error("invalid_grant", 'Invalid "code" in request.')
            if form.get("redirect_uri") != grant.redirect_uri:
                return _oauth_error("invalid_grant", 'Invalid "redirect_uri" in request.')
            verifier = form.get("code_verifier")
            if grant.challenge is not None and (
                not verifier or not hmac.compare_digest(s256(verifier), grant.challenge)
            ):
                return _oauth_error("invalid_grant", 'Invalid "code_verifier" in request.')
        elif grant_type == "refresh_token":
            grant = self._refresh.pop(form.get("refresh_token", ""), None)
            if grant is None:
                return _oauth_error("invalid_grant", 'Invalid "refresh_token" in request.')
        else:
            return _oauth_error("unsupported_grant_type", f"Unsupported grant type {grant_type}.")
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        issued = Grant(grant.user, grant.scopes, self.clock.now() + TOKEN_LIFETIME)
        self._tokens[access], self._refresh[refresh] = issued, issued
        return json_reply(
            {
                "access_token": access,
                "token_type": "Bearer",  # nosec B105 # OAuth2's token type, not a secret
                "expires_in": TOKEN_LIFETIME,
                "refresh_token": refresh,
                "scope": " ".join(sorted(grant.scopes)),
            }
        )

    async def revoke(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not self._client_ok(request, form):
            return _oauth_error("invalid_client", "Invalid client credentials.", 401)
        token = form.get("token", "")
        grant = self._tokens.pop(token, None) or self._refresh.pop(token, None)
        if grant is not None:  # revoking one revokes the pair, as on Discord
            for table in (self._tokens, self._refresh):
                for key in [k for k, g in table.items() if g is grant]:
                    del table[key]
        return json_reply({})

    # --- what a bearer token reads ----------------------------------------------------------

    def me(self, grant: Grant) -> web.Response:
        if "identify" not in grant.scopes:
            return json_reply({"message": "401: Unauthorized", "code": 0}, 401)
        user = grant.user.to_wire()
        return json_reply({**user, "mfa_enabled": False, "locale": "en-US", "premium_type": 0})

    def my_guilds(self, grant: Grant) -> web.Response:
        if "guilds" not in grant.scopes:
            return json_reply({"message": "401: Unauthorized", "code": 0}, 401)
        return json_reply(
            [g.partial(m) for g in self.world.guilds for m in g.members if m.user is grant.user]
        )


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f"{body}</main></body></html>"
    )
    return web.Response(text=text, status=status, content_type="text/html")
