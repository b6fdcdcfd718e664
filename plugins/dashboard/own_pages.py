"""The dashboard's own pages: the start page, logging in and out, one's logins and API tokens."""

from __future__ import annotations

from aiohttp import web

from core.pages import Access, Page, View, WebError, WebRequest, redirect
from core.plugin import PluginContext
from core.validation import ValidationError
from plugins.dashboard.discord_login import DiscordLogin, LoginFailed
from plugins.dashboard.front import safe_next
from plugins.dashboard.sessions import COOKIE, LOGIN_COOKIE, Sessions
from plugins.dashboard.tokens import Tokens, parse_scopes

FORM = ("GET", "POST")
NEW_TOKEN_WAIT = 300
"""Seconds a new token's secret waits to be shown (once) on the page after making it."""
LOGIN_WAIT = 600
"""Seconds a login may take at Discord before its ``state`` is forgotten."""


class OwnPages:
    def __init__(
        self, ctx: PluginContext, sessions: Sessions, tokens: Tokens, login: DiscordLogin | None
    ) -> None:
        self.ctx = ctx
        self.sessions = sessions
        self.tokens = tokens
        self.login = login
        self.pending = ctx.cache("login")
        self.new_tokens = ctx.cache("new_tokens")

    def pages(self) -> list[Page]:
        return [
            Page("/", "Start", self.home, Access.PUBLIC),
            Page("/login", "Log in", self.start_login, Access.PUBLIC),
            Page("/login/callback", "Log in", self.finish_login, Access.PUBLIC),
            Page("/logout", "Log out", self.logout, Access.MEMBER, methods=("POST",)),
            Page(
                "/sessions", "Your logins", self.my_sessions, nav="Logins", methods=("GET", "POST")
            ),
            Page(
                "/tokens", "API tokens", self.my_tokens, nav="API tokens", methods=("GET", "POST")
            ),
        ]

    async def home(self, req: WebRequest) -> View:
        who = req.viewer
        guilds = sorted(who.guilds.values(), key=lambda g: g.name.lower()) if who else []
        return View("home.html", {"guilds": guilds})

    async def start_login(self, req: WebRequest) -> web.StreamResponse:
        if self.login is None:
            raise WebError(
                400,
                "Logging in is not set up: the bot's operator needs to set the dashboard's "
                "OAuth2 client secret (DBSBM_PLUGINS__DASHBOARD__CLIENT_SECRET).",
            )
        url, state, verifier = self.login.start()
        await self.pending.set(state, [verifier, safe_next(req.query.get("next"))], ttl=LOGIN_WAIT)
        response = redirect(url)
        self.sessions.set_cookie(response, LOGIN_COOKIE, state, LOGIN_WAIT)
        return response

    async def finish_login(self, req: WebRequest) -> web.StreamResponse:
        query, request = req.query, req.request
        state = query.get("state", "")
        if self.login is None or not state or request.cookies.get(LOGIN_COOKIE) != state:
            raise WebError(400, "This login link is not from this browser; please log in again.")
        waiting = await self.pending.get(state)
        await self.pending.delete(state)
        if waiting is None:
            raise WebError(400, "This login took too long or was used already; log in again.")
        if query.get("error"):
            raise WebError(400, "You cancelled the login at Discord; nothing was changed.")
        verifier, target = waiting
        try:
            login = await self.login.finish(query.get("code", ""), verifier)
        except LoginFailed as exc:
            raise WebError(400, str(exc)) from None
        response = redirect(target)
        response.del_cookie(LOGIN_COOKIE, path="/")
        await self.sessions.open(request, response, login.user, login.guilds, login.access_token)
        return response

    async def logout(self, req: WebRequest) -> web.StreamResponse:
        key = req.request.cookies.get(COOKIE, "")
        session = await self.sessions.current(key)
        if session is not None:
            await self.sessions.end(session.user_id, session.id)
        response = redirect("/")
        self.sessions.forget(response)
        return response

    async def my_sessions(self, req: WebRequest) -> View | web.StreamResponse:
        who = req.user
        if req.request.method == "POST":
            if not await self.sessions.end(who.user_id, req.form.get("end", "")):
                raise WebError(404, "That login is not one of yours (or it ended already).")
            return redirect("/sessions")
        key = req.request.cookies.get(COOKIE, "")
        current = await self.sessions.current(key)
        listed = await self.sessions.of_user(who.user_id)
        return View("sessions.html", {"sessions": listed, "current": current.id if current else ""})

    async def my_tokens(self, req: WebRequest) -> View | web.StreamResponse:
        """List, make and revoke one's tokens. A change answers with a redirect (a reload never
        repeats it); a new token's secret waits for that one next view, then is gone."""
        who, error = req.user, ""
        shown = f"{who.user_id}"
        if req.request.method == "POST":
            try:
                if req.form.get("action") == "revoke":
                    number = req.form.get("revoke", "")
                    ours = number.isdigit() and await self.tokens.revoke(who.user_id, int(number))
                    if not ours:
                        raise WebError(404, "That token is not one of yours (or it is revoked).")
                    await self.ctx.action("token.revoked", user_id=who.user_id, target=number)
                else:
                    posted = await req.request.post()
                    scopes = parse_scopes([str(v) for v in posted.getall("scope", [])])
                    guilds = await self._guilds_of(req)
                    token, secret = await self.tokens.create(
                        who.user_id, req.form.get("name", ""), scopes, guilds
                    )
                    await self.new_tokens.set(shown, secret, ttl=NEW_TOKEN_WAIT)
                    await self.ctx.action(
                        "token.created",
                        user_id=who.user_id,
                        target=f"token:{token.id}",
                        data={"scopes": token.scopes},
                    )
                return redirect("/tokens")
            except ValidationError as exc:
                error = exc.user_message
        created = await self.new_tokens.get(shown) if not error else None
        if created:
            await self.new_tokens.delete(shown)
        listed = await self.tokens.of_user(who.user_id)
        return View("tokens.html", {"tokens": listed, "created": created or "", "error": error})

    async def _guilds_of(self, req: WebRequest) -> object:
        session = await self.sessions.current(req.request.cookies.get(COOKIE, ""))
        return session.guilds if session is not None else []
