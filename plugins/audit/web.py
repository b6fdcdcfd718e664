"""The audit log on the dashboard and in the API, for a guild's admins (Manage Server).

``/guilds/{guild_id}/audit`` searches the guild's log with the filters of ``/audit search``, a
page after another; ``/guilds/{guild_id}/audit.csv`` downloads the same search as the Export CSV
button makes it; ``GET /api/v1/guilds/{guild_id}/audit`` answers it as JSON, a cursor at a time.
As in Discord, owner-only entries are the bot owner's alone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, Field

from core.pages import Access, Endpoint, Page, Paged, View, WebRequest, bot_owner
from core.plugin import PluginContext
from core.validation import ValidationError
from plugins.audit.export import export
from plugins.audit.models import AuditEntry
from plugins.audit.runtime import runtime_of
from plugins.audit.search import OUTCOMES, Filters, page_after, parse_filters

FILTERS = {
    "member": "a member's Discord id",
    "action": "a category (command, admin, action, security) or an action's start, e.g. bet.",
    "command": "a command's name or its start, e.g. bet",
    "outcome": "how a command ended: " + ", ".join(OUTCOMES),
    "since": "from: 2026-11-29, 2026-11-29T18:30 (UTC) or a time ago: 45m, 24h, 7d",
    "until": "until: the same forms as since",
}
"""The query parameters of the page, the download and the endpoint, as ``/audit search``'s."""


class AuditLogEntry(BaseModel):
    """One entry of a guild's audit log. Discord ids are strings (JavaScript's numbers cannot
    hold them)."""

    id: int
    time: datetime = Field(description="when it happened (UTC)")
    category: str = Field(description="command, admin, action or security")
    action: str
    user_id: str | None
    channel_id: str | None
    command: str | None
    options: dict[str, Any] = Field(description="the command's options (secrets masked)")
    outcome: str | None
    latency_ms: float | None
    error_id: str | None
    detail: str
    client_address: str | None
    target: str | None
    data: dict[str, Any]
    hash: str = Field(description="the entry's hash in its guild's chain")


def _id(value: int | None) -> str | None:
    return str(value) if value is not None else None


def _moment(entry: AuditEntry) -> datetime:
    return datetime.fromtimestamp(entry.ts / 1_000_000, UTC)


def entry_model(entry: AuditEntry) -> AuditLogEntry:
    return AuditLogEntry(
        id=entry.id,
        time=_moment(entry),
        category=entry.category,
        action=entry.action,
        user_id=_id(entry.user_id),
        channel_id=_id(entry.channel_id),
        command=entry.command,
        options=json.loads(entry.options or "{}"),
        outcome=entry.outcome,
        latency_ms=entry.latency_us / 1000 if entry.latency_us is not None else None,
        error_id=entry.error_id,
        detail=entry.detail,
        client_address=entry.client_address,
        target=entry.target,
        data=json.loads(entry.data or "{}"),
        hash=entry.hash,
    )


def asked(req: WebRequest) -> dict[str, str]:
    """The filters in the request's query that are set, as typed."""
    return {name: req.query[name].strip() for name in FILTERS if req.query.get(name, "").strip()}


def filters_of(req: WebRequest) -> Filters:
    return parse_filters(req.guild_id, **asked(req))


class AuditWeb:
    """The page, the download and the endpoint, over the plugin's context."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    def pages(self) -> list[Page]:
        return [
            Page(
                "/guilds/{guild_id}/audit",
                "Audit log",
                self.search,
                Access.MANAGER,
                nav="Audit log",
                grants=bot_owner,
            ),
            Page(
                "/guilds/{guild_id}/audit.csv",
                "Audit log export",
                self.download,
                Access.MANAGER,
                grants=bot_owner,
            ),
        ]

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "GET",
                "/guilds/{guild_id}/audit",
                self.read_audit_log,
                "The guild's audit log, newest first (Manage Server)",
                Access.MANAGER,
                response=AuditLogEntry,
                paginated=True,
                grants=bot_owner,
                query=FILTERS,
            )
        ]

    async def search(self, req: WebRequest) -> View:
        """The search form and a page of what it finds."""
        typed, error = asked(req), ""
        entries: list[AuditEntry] = []
        older = None
        try:
            size = runtime_of(self.ctx).settings.page_size
            entries, cursor = await self._page(req, req.query.get("cursor") or None, size)
            older = f"?{urlencode({**typed, 'cursor': cursor})}" if cursor else None
        except ValidationError as exc:
            error = exc.user_message
        return View(
            "audit.html",
            {
                "typed": typed,
                "fields": FILTERS,
                "outcomes": OUTCOMES,
                "rows": [self._row(e) for e in entries],
                "error": error,
                "older": older,
                "first_page": not req.query.get("cursor"),
                "newest": f"?{urlencode(typed)}" if typed else "?",
                "csv": f"audit.csv?{urlencode(typed)}" if typed else "audit.csv",
            },
        )

    def _row(self, entry: AuditEntry) -> dict[str, Any]:
        """What the page shows of an entry (the member's name where the bot knows it)."""
        who = "system"
        if entry.user_id is not None:
            user = self.ctx.bot.get_user(entry.user_id)
            who = user.name if user is not None else str(entry.user_id)
        what = f"/{entry.command}" if entry.command else entry.action
        if entry.command and entry.options not in ("{}", ""):
            what += f" {entry.options}"
        latency = f" in {entry.latency_us / 1000:.0f} ms" if entry.latency_us is not None else ""
        return {
            "id": entry.id,
            "at": _moment(entry),
            "who": who,
            "category": entry.category,
            "what": what,
            "outcome": f"{entry.outcome}{latency}" if entry.outcome else "",
            "detail": " · ".join(
                part
                for part in (
                    entry.detail,
                    f"on {entry.target}" if entry.target else "",
                    f"error {entry.error_id}" if entry.error_id else "",
                    f"from {entry.client_address}" if entry.client_address else "",
                )
                if part
            ),
        }

    async def download(self, req: WebRequest) -> web.Response:
        """The search as a CSV file (what the Export CSV button sends)."""
        await runtime_of(self.ctx).writer.flush()
        who = req.user
        made = await export(
            self.ctx,
            filters_of(req),
            owner=who.owner,
            user_id=who.user_id,
            guild_id=req.guild_id,
            target="dashboard search",
        )
        return web.Response(
            body=made.data,
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
        )

    async def read_audit_log(self, req: WebRequest) -> Paged:
        window = req.window
        assert window is not None  # nosec B101 # type narrowing: the endpoint is paginated
        entries, cursor = await self._page(req, window.cursor, window.limit)
        return Paged([entry_model(e) for e in entries], cursor)

    async def _page(
        self, req: WebRequest, cursor: str | None, limit: int
    ) -> tuple[list[AuditEntry], str | None]:
        """The request's search after ``cursor``, with what waits in the queue written first."""
        filters = filters_of(req)
        await runtime_of(self.ctx).writer.flush()
        return await page_after(
            filters, include_owner_only=req.user.owner, cursor=cursor, limit=limit
        )
