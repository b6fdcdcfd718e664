"""What a plugin contributes to the web dashboard and to the JSON API under ``/api/v1``.

A plugin declares pages and endpoints in its setup, the way it adds commands::

    ctx.add_page(Page("/guilds/{guild_id}/leaderboard", "Leaderboard", show_leaderboard,
                      nav="Leaderboard"))
    ctx.add_endpoint(Endpoint("GET", "/guilds/{guild_id}/leaderboard", read_leaderboard,
                              "The guild's leaderboard", response=Leaderboard))

Both are recorded in the plugin's scope (gone on unload, replaced on reload) and kept in the App's
:class:`WebRegistry`; the ``dashboard`` plugin serves them: it logs members in with Discord,
checks each declaration's :class:`Access` before the handler runs, renders pages inside its layout
and answers endpoints as JSON described by the OpenAPI document it generates from the
declarations' pydantic models. Without the dashboard plugin nothing serves them.

Handlers get a :class:`WebRequest`: who asks (:class:`Viewer`), the path's parameters, the query
and, for a form or a JSON body, what was sent. A page handler returns a :class:`View` (a template
of its plugin's ``templates/`` folder and its values) or an aiohttp response (a CSV download, a
redirect); an endpoint handler returns a pydantic model (or a list of them), or ``None`` for 204.
Raise :class:`WebError` (or :class:`~core.validation.ValidationError`) to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from aiohttp import web
from pydantic import BaseModel

_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
SNOWFLAKE_MAX = 2**63 - 1
"""The largest value of a ``BigIntField`` (Discord's ids are below it)."""
ROW_ID_MAX = 2**31 - 1
"""The largest id of a row of a table keyed by an ``IntField`` (32 bits on every database)."""


class Access(StrEnum):
    """Who may open a page or call an endpoint. On a path with ``{guild_id}``, ``member`` and
    ``manager`` are about that guild, and the bot must share it."""

    PUBLIC = "public"
    """Anyone, logged in or not."""
    MEMBER = "member"
    """A logged-in user (on a guild path: a member of the guild)."""
    MANAGER = "manager"
    """Manage Server (or Administrator, or ownership) in the guild, or what ``grants`` allows."""
    OWNER = "owner"
    """The bot's owner."""


class Scope(StrEnum):
    """What a personal API token may do; a logged-in browser session may do both."""

    READ = "read"
    MANAGE = "manage"
    """Changes to guilds the token's owner manages (settings, grades)."""


@dataclass(frozen=True, slots=True)
class GuildAccess:
    """One guild a user shares with the bot, as Discord's ``/users/@me/guilds`` told it."""

    id: int
    name: str
    manages: bool
    """Manage Server, Administrator or ownership."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: a logged-in user, with the guilds they share with the bot."""

    user_id: int
    name: str
    guilds: Mapping[int, GuildAccess]
    owner: bool = False
    """The bot's owner."""
    scopes: frozenset[Scope] = frozenset(Scope)
    """What this request may do: both for a browser session, a token's scopes for the API."""

    def member_of(self, guild_id: int) -> bool:
        return guild_id in self.guilds

    def manages(self, guild_id: int) -> bool:
        guild = self.guilds.get(guild_id)
        return guild is not None and guild.manages


class WebError(Exception):
    """A refusal a handler raises: ``status`` (404, 403, 400, 409 ...) and a message for people."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class WebRequest:
    """What a page or endpoint handler gets."""

    request: web.Request
    viewer: Viewer | None
    params: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str] = field(default_factory=dict)
    """The submitted form of a page's POST (its CSRF token already checked)."""
    body: BaseModel | None = None
    """An endpoint's JSON body, validated against its ``body`` model."""
    window: Window | None = None
    """A paginated endpoint's cursor and limit."""

    @property
    def guild_id(self) -> int | None:
        """The ``{guild_id}`` of the path (access is checked already)."""
        value = self.params.get("guild_id")
        return int(value) if value is not None else None

    def int_param(self, name: str, most: int = SNOWFLAKE_MAX) -> int:
        """A path parameter that must be a number up to ``most`` (404 when it is not: no row
        has a larger id, and the database would refuse to compare with one);
        ``most=ROW_ID_MAX`` for the id of a row keyed by an ``IntField``."""
        value = self.params.get(name, "")
        if not value.isdigit() or len(value) > 20 or int(value) > most:
            raise WebError(404, f"no such {name.removesuffix('_id')}")
        return int(value)

    @property
    def user(self) -> Viewer:
        """The viewer of a page or endpoint that needs a login (never ``None`` there)."""
        if self.viewer is None:
            raise WebError(401, "log in first")
        return self.viewer


@dataclass(frozen=True, slots=True)
class View:
    """A page's content: ``template`` of the plugin's ``templates/`` folder, with ``values``."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    """The page's title when it depends on what it shows (a capper's name); else the page's."""


@dataclass(frozen=True, slots=True)
class Paged:
    """One page of a ``paginated`` endpoint's items; ``next_cursor`` asks for the next one
    (``None``: this was the last). Cursors are opaque to clients."""

    items: Sequence[BaseModel]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """What a paginated endpoint was asked for: ``limit`` items after ``cursor``."""

    cursor: str | None
    limit: int


PageHandler = Callable[[WebRequest], Awaitable[View | web.StreamResponse]]
EndpointHandler = Callable[[WebRequest], Awaitable[Any]]
Grant = Callable[[WebRequest], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Page:
    """A dashboard page. ``nav`` puts it in the guild's (or the site's) navigation; ``methods``
    with ``POST`` makes it take a form (CSRF-checked); ``grants`` lets more people past
    ``manager`` (betting's grader role)."""

    path: str
    title: str
    handler: PageHandler
    access: Access = Access.MEMBER
    nav: str | None = None
    methods: tuple[str, ...] = ("GET",)
    grants: Grant | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A JSON endpoint under ``/api/v1``. ``response`` and ``body`` are pydantic models (the
    OpenAPI document is made from them); ``paginated`` endpoints take ``cursor`` and ``limit``
    and answer ``{"items": [...], "next_cursor": ...}``."""

    method: str
    path: str
    handler: EndpointHandler
    summary: str
    access: Access = Access.MEMBER
    scope: Scope = Scope.READ
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    paginated: bool = False
    grants: Grant | None = None
    status: int = 200
    query: Mapping[str, str] = field(default_factory=dict)
    """Query parameters besides the cursor, ``{name: description}`` (strings)."""


T = TypeVar("T", Page, Endpoint)


async def bot_owner(req: WebRequest) -> bool:
    """A :data:`Grant` that lets the bot's owner past ``manager`` too, as the Manage Server
    commands do."""
    return req.user.owner


def redirect(location: str) -> web.Response:
    """Send the browser to ``location`` (303: after a form, the next request is a GET)."""
    return web.Response(status=303, headers={"Location": location})


def path_pattern(template: str) -> re.Pattern[str]:
    """The regular expression of a path template: ``{name}`` is one path segment, ``{name_id}``
    a number of 1 to 20 digits (as the OpenAPI document says), so ``/guilds/abc`` is no page."""
    parts = _PARAM.split(template)
    regex = "".join(
        re.escape(part)
        if i % 2 == 0
        else f"(?P<{part}>{'[0-9]{1,20}' if part.endswith('_id') else '[^/]+'})"
        for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    owner: str
    item: T
    pattern: re.Pattern[str]


class _Table(Generic[T]):
    """One kind of declaration by ``"METHOD /path/template"``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries: dict[str, _Entry[T]] = {}

    def add(self, owner: str, methods: tuple[str, ...], item: T) -> Callable[[], None]:
        keys = [f"{m.upper()} {item.path}" for m in methods]
        for key in keys:
            current = self.entries.get(key)
            if current is not None and current.owner != owner:
                raise ValueError(f"{self.kind} {key} is already served by {current.owner}")
        entry = _Entry(owner, item, path_pattern(item.path))
        for key in keys:
            self.entries[key] = entry

        def remove() -> None:
            for key in keys:
                if self.entries.get(key) is entry:
                    del self.entries[key]

        return remove

    def find(self, method: str, path: str) -> tuple[str, T, dict[str, str]] | None:
        """What serves ``method path``: its plugin, the declaration and the path's parameters
        (a literal path wins over a template that also matches)."""
        exact = self.entries.get(f"{method} {path}")
        if exact is not None:
            return exact.owner, exact.item, {}
        for key, entry in self.entries.items():
            if key.startswith(method + " ") and (match := entry.pattern.match(path)):
                return entry.owner, entry.item, match.groupdict()
        return None

    def methods(self, path: str) -> list[str]:
        """The methods served at ``path`` (a 405's ``Allow``)."""
        return sorted(
            {k.split(" ", 1)[0] for k, e in self.entries.items() if e.pattern.match(path)}
        )

    def all(self) -> list[tuple[str, T]]:
        """Every declaration with its plugin, once each, in declaration order."""
        unique = {id(e): (e.owner, e.item) for e in self.entries.values()}
        return list(unique.values())


class WebRegistry:
    """The pages and endpoints plugins declared (the App's ``web.registry``)."""

    def __init__(self) -> None:
        self.pages: _Table[Page] = _Table("page")
        self.endpoints: _Table[Endpoint] = _Table("endpoint")

    def add_page(self, owner: str, page: Page) -> Callable[[], None]:
        """Declare ``page`` for plugin ``owner``; return how to remove it (``ValueError`` when
        another plugin serves its path)."""
        return self.pages.add(owner, page.methods, page)

    def add_endpoint(self, owner: str, endpoint: Endpoint) -> Callable[[], None]:
        """Declare ``endpoint`` for plugin ``owner``; return how to remove it."""
        return self.endpoints.add(owner, (endpoint.method,), endpoint)


FRONT_SERVICE = "dashboard.front"
"""The service that serves the registry's pages and endpoints (the dashboard plugin offers it)."""


class WebFront(Protocol):
    """What serves declared pages and endpoints: ``serve`` answers a request one of them takes,
    or ``None`` (the web server's 404 then)."""

    async def serve(self, request: web.Request) -> web.StreamResponse | None: ...
