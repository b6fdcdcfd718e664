"""The dashboard's front: serves the pages and endpoints plugins declared (:mod:`core.pages`).

Pages: the session's viewer is checked against the page's access (``plugins.dashboard.access``),
a POST's CSRF token against the session's, then the handler runs and its view is rendered in the
layout with the site's and the guild's navigation. A page that needs a login sends the browser
to ``/login``; every refusal is a 403 page (and a security event). Endpoints go to
:class:`~plugins.dashboard.api.Api`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from core.pages import Access, Page, Viewer, WebError, WebRequest, redirect
from core.plugin import PluginContext
from core.validation import ValidationError
from plugins.dashboard import access, render
from plugins.dashboard.api import API_PREFIX, Api
from plugins.dashboard.session_stores import Session
from plugins.dashboard.sessions import Sessions, same

STATIC = Path(__file__).parent / "static"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
GUILD_HOME = "/guilds/{guild_id}"
ERROR_TITLES = {400: "That did not work", 401: "Log in first", 403: "Not allowed", 404: "Not found"}


def safe_next(target: str | None) -> str:
    """A path on this site to return to after logging in (anything else: the start page)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


class Front:
    """The ``dashboard.front`` service (see :class:`core.pages.WebFront`)."""

    def __init__(self, ctx: PluginContext, sessions: Sessions, api: Api) -> None:
        self.ctx = ctx
        self.sessions = sessions
        self.api = api
        self.env = render.environment(self._folder_of)

    def _folder_of(self, plugin: str) -> Path | None:
        record = self.ctx.app.plugins.records.get(plugin)
        return record.source.folder if record is not None else None

    async def serve(self, request: web.Request) -> web.StreamResponse | None:
        path = request.path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return await self.api.serve(request)
        if path.startswith("/static/") and request.method in ("GET", "HEAD"):
            file = STATIC / path.removeprefix("/static/")
            if file.parent == STATIC and file.is_file():
                return web.FileResponse(file, headers={"Cache-Control": "max-age=3600"})
            return None
        method = "GET" if request.method == "HEAD" else request.method
        found = self.ctx.app.web.registry.pages.find(method, path)
        if found is None:
            allowed = self.ctx.app.web.registry.pages.methods(path)
            if not allowed:
                return None
            session = await self.sessions.find(request)
            req = WebRequest(request, self.viewer(session), {}, dict(request.query))
            error = WebError(405, f"This page takes {', '.join(allowed)}.")
            response = await self.error_page(req, session, error)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        owner, page, params = found
        return await self.page(request, owner, page, params)

    def viewer(self, session: Session | None) -> Viewer | None:
        if session is None:
            return None
        return access.viewer(self.ctx, session.user_id, session.username, session.guilds)

    async def page(
        self, request: web.Request, owner: str, page: Page, params: dict[str, str]
    ) -> web.StreamResponse:
        session = await self.sessions.find(request)
        req = WebRequest(request, self.viewer(session), params, dict(request.query))
        try:
            if request.method == "POST":
                form = {k: str(v) for k, v in (await request.post()).items()}
                req = WebRequest(request, req.viewer, params, req.query, form)
                if session is None or not same(form.get("csrf", ""), session.csrf):
                    await self.ctx.refuse_request(req, "the form's CSRF token is missing or stale")
            await access.check(self.ctx, page, req)
            result = await page.handler(req)
        except WebError as exc:
            if exc.status == 401 and request.method == "GET":
                return redirect("/login?" + urlencode({"next": request.path_qs}))
            return await self.error_page(req, session, exc)
        except ValidationError as exc:
            return await self.error_page(req, session, WebError(400, exc.user_message))
        if isinstance(result, web.StreamResponse):
            result.headers.update({k: v for k, v in HEADERS.items() if k not in result.headers})
            return result
        body = await self.env.get_template(f"{owner}/{result.template}").render_async(
            **self.values(req, session), **result.values
        )
        return await self.layout(req, session, result.title or page.title, body)

    def values(self, req: WebRequest, session: Session | None) -> dict[str, Any]:
        """What every template may use: who is looking, the form token, where we are."""
        return {
            "viewer": req.viewer,
            "csrf": session.csrf if session is not None else "",
            "path": req.request.path,
            "guild_id": req.guild_id,
        }

    async def layout(
        self, req: WebRequest, session: Session | None, title: str, body: str, status: int = 200
    ) -> web.Response:
        guild_id = req.guild_id
        guild = self.ctx.bot.get_guild(guild_id) if guild_id is not None else None
        text = await self.env.get_template("layout.html").render_async(
            **self.values(req, session),
            title=title,
            site=self.ctx.bot.user.name if self.ctx.bot.user else "DBSBM",
            site_nav=self.nav(req, guild=False),
            guild_nav=self.nav(req, guild=True) if guild is not None else [],
            guild_name=guild.name if guild is not None else "",
            body=Markup(body),  # nosec B704 # both callers pass an autoescaped template's output
        )
        return web.Response(text=text, status=status, content_type="text/html", headers=HEADERS)

    def nav(self, req: WebRequest, *, guild: bool) -> list[dict[str, Any]]:
        """The pages with a ``nav`` label the viewer may open: the guild's or the site's, the
        guild's home (``/guilds/{guild_id}``) first, then in the order plugins declared them."""
        items = []
        who, guild_id = req.viewer, req.guild_id
        pages = sorted(
            (page for _, page in self.ctx.app.web.registry.pages.all()),
            key=lambda page: page.path != GUILD_HOME,
        )
        for page in pages:
            if page.nav is None or ("{guild_id}" in page.path) != guild:
                continue
            if not _may_see(page, who, guild_id):
                continue
            href = page.path.replace("{guild_id}", str(guild_id))
            if "{" in href:
                continue
            items.append({"href": href, "label": page.nav, "current": href == req.request.path})
        return items

    async def error_page(
        self, req: WebRequest, session: Session | None, error: WebError
    ) -> web.Response:
        body = await self.env.get_template("error.html").render_async(
            **self.values(req, session), message=error.message, status=error.status
        )
        title = ERROR_TITLES.get(error.status, "Something went wrong")
        return await self.layout(req, session, title, body, error.status)


def _may_see(page: Page, who: Viewer | None, guild_id: int | None) -> bool:
    if page.access is Access.PUBLIC:
        return True
    if who is None:
        return False
    if page.access is Access.OWNER:
        return who.owner
    if guild_id is None:
        return True
    if page.access is Access.MANAGER:
        return who.manages(guild_id)
    return who.member_of(guild_id)
