"""``/api/v1``: the endpoints plugins declared, as JSON, for programs and phones.

A caller is a personal API token (``Authorization: Bearer dbsbm_...``, its scopes) or a browser
session (its cookie; a change then also needs the session's ``X-CSRF-Token``). Requests count per
token, or per address without one, against ``[plugins.dashboard] api_rate`` (429 with
``Retry-After``). Every error has one shape: ``{"error": {"status", "code", "message"}}``
(``details`` for a body that fails its model). CORS is off unless ``cors_origins`` names the page's
origin. Paginated endpoints take ``cursor`` and ``limit`` and answer ``{"items", "next_cursor"}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic import ValidationError as ModelError

from core.pages import Endpoint, Paged, Viewer, WebError, WebRequest, Window
from core.plugin import PluginContext
from core.validation import ValidationError
from plugins.dashboard import access
from plugins.dashboard.sessions import Sessions, same
from plugins.dashboard.settings import DashboardSettings
from plugins.dashboard.tokens import Tokens

API_PREFIX = "/api/v1"
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_body",
    429: "rate_limited",
}
MAX_LIMIT = 100

Document = Callable[[], dict[str, Any]]


def error(status: int, message: str, **extra: Any) -> web.Response:
    body = {"error": {"status": status, "code": CODES.get(status, "error"), "message": message}}
    body["error"].update(extra)
    return web.json_response(body, status=status)


def dump(result: Any) -> Any:
    """JSON-ready data of what a handler returned."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, Paged):
        return {"items": [dump(item) for item in result.items], "next_cursor": result.next_cursor}
    if isinstance(result, list | tuple):
        return [dump(item) for item in result]
    return result


class Api:
    """Serves ``/api/v1`` (the front passes every request under it)."""

    def __init__(
        self,
        ctx: PluginContext,
        settings: DashboardSettings,
        sessions: Sessions,
        tokens: Tokens,
        document: Document,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.sessions = sessions
        self.tokens = tokens
        self.document = document

    async def serve(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        cors = origin if origin in self.settings.cors_origins else None
        if request.method == "OPTIONS" and cors is not None:
            response: web.StreamResponse = web.Response(status=204)
        else:
            response = await self._answer(request)
        if cors is not None:
            response.headers.update(
                {
                    "Access-Control-Allow-Origin": cors,
                    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-CSRF-Token",
                    "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE",
                    "Vary": "Origin",
                }
            )
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :] or "/"
        method = "GET" if request.method == "HEAD" else request.method
        who, csrf, key = await self._caller(request)
        if who is False:
            return error(401, "that API token is unknown or revoked")
        limited = await self.ctx.app.limiter.check_key(f"api:{key}", self.settings.api_rate)
        if not limited.allowed:
            seconds = max(1, math.ceil(limited.retry_after))
            message = f"too many requests: at most {self.settings.api_rate}"
            response = error(429, message, retry_after=seconds)
            response.headers["Retry-After"] = str(seconds)
            return response
        if path == "/openapi.json" and method == "GET":
            return web.json_response(self.document())
        found = self.ctx.app.web.registry.endpoints.find(method, path)
        if found is None:
            allowed = self.ctx.app.web.registry.endpoints.methods(path)
            if allowed:
                response = error(405, f"{path} takes {', '.join(allowed)}")
                response.headers["Allow"] = ", ".join(allowed)
                return response
            return error(404, f"no endpoint {method} {API_PREFIX}{path}")
        _, endpoint, params = found
        viewer = who if isinstance(who, Viewer) else None
        req = WebRequest(request, viewer, params, dict(request.query))
        try:
            if method not in ("GET", "HEAD") and csrf is not None:
                if not same(request.headers.get("X-CSRF-Token", ""), csrf):
                    await self.ctx.refuse_request(req, "a session's change lacks X-CSRF-Token")
            req = await self._prepared(req, endpoint)
            await access.check(self.ctx, endpoint, req)
            result = await endpoint.handler(req)
        except WebError as exc:
            return error(exc.status, exc.message)
        except ValidationError as exc:
            return error(400, exc.user_message, field=exc.field)
        if result is None:
            return web.Response(status=204)
        return web.json_response(dump(result), status=endpoint.status, dumps=_dumps)

    async def _caller(self, request: web.Request) -> tuple[Viewer | bool | None, str | None, str]:
        """Who calls (``False``: a bad token), the session's CSRF token for a cookie caller,
        and the rate-limit key."""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            found = await self.tokens.viewer(value.strip())
            if found is None:
                return False, None, f"addr:{request.remote}"
            viewer, token_id = found
            return viewer, None, f"token:{token_id}"
        session = await self.sessions.find(request)
        if session is None:
            return None, None, f"addr:{request.remote}"
        viewer = access.viewer(self.ctx, session.user_id, session.username, session.guilds)
        return viewer, session.csrf, f"user:{session.user_id}"

    async def _prepared(self, req: WebRequest, endpoint: Endpoint) -> WebRequest:
        """The request with its validated body and its pagination window."""
        body, window = None, None
        if endpoint.body is not None:
            try:
                raw = await req.request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise WebError(400, "the body must be JSON") from None
            try:
                body = endpoint.body.model_validate(raw)
            except ModelError as exc:
                raise _BodyError(exc) from None
        if endpoint.paginated:
            text = req.query.get("limit", str(self.settings.page_size))
            if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
                raise WebError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
            window = Window(req.query.get("cursor") or None, int(text))
        return WebRequest(req.request, req.viewer, req.params, req.query, {}, body, window)


class _BodyError(WebError):
    def __init__(self, exc: ModelError) -> None:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        super().__init__(422, f"{where}: {first['msg']}")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)
