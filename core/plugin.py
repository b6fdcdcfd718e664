"""The plugin contract: the :class:`Plugin` object, its :class:`Scope` and :class:`PluginContext`.

A plugin package exposes a module-level ``plugin = Plugin(...)``. Everything the plugin registers
goes through its context, which records an undo step in the plugin's scope; unloading disposes the
scope in reverse order, so nothing of the plugin is left running afterwards.

Example::

    from core.plugin import Plugin, PluginContext

    async def setup(ctx: PluginContext) -> None:
        ctx.create_task(poll_forever(ctx), name="poll")

    plugin = Plugin(name="hello", version="1.0.0", setup=setup)
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import inspect
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

from loguru import logger
from pluggy import PluginValidationError
from pydantic import BaseModel

from core.events import ActionEvent, SecurityEvent
from core.hooks import emit, validated_hooks
from core.pages import Endpoint, Page, WebError, WebRequest
from core.ratelimit.limits import declared_limits
from core.recovery import UserError

if TYPE_CHECKING:
    import disnake
    from aiohttp import web
    from disnake.ext.commands import InvokableApplicationCommand
    from disnake.interactions import Interaction, MessageInteraction, ModalInteraction
    from loguru import Logger

    from core.app import App
    from core.cache import Namespace

SetupFunc = Callable[["PluginContext"], Awaitable[None]]
ComponentHandler = Callable[["MessageInteraction | ModalInteraction", str], Awaitable[None]]


class PluginError(Exception):
    """A plugin could not be discovered, ordered, validated or loaded; the message says why."""


class CommandError(PluginError):
    """A plugin registered something that is no app command, or a command name taken already."""


class HookValidationError(PluginError):
    """A plugin's hook implementations failed :func:`core.hooks.validated_hooks`; ``reason``
    is what failed, without the plugin's name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"plugin {name!r}: {reason}")
        self.reason = reason


class DependencyError(PluginError):
    """A missing dependency or a cycle; ``names`` are the plugins that cannot load because of it."""

    def __init__(self, message: str, names: list[str]):
        super().__init__(message)
        self.names = names


def _declaring_module() -> str:
    """The ``__name__`` of the module calling ``Plugin(...)``: two frames up, past this default
    factory and the dataclass's ``__init__`` (the way :func:`collections.namedtuple` finds its
    caller's module)."""
    return str(sys._getframe(2).f_globals.get("__name__", ""))


@dataclass
class Plugin:
    """What a plugin declares about itself; the fields it leaves out are taken from its package
    by convention (:mod:`core.conventions`: its ``setup``, ``models`` module, ``<Name>Settings``).

    ``models`` are module paths holding the plugin's Tortoise models (its own app, labelled with
    the plugin's name). ``migrations`` is the folder holding ``<name>/`` aerich migrations
    (first-party plugins: the repository's ``migrations/``; third-party: ``migrations`` inside
    the package, which is the default when left ``None``). ``hooks`` is the object holding the
    plugin's ``@hookimpl`` functions (default: the plugin's package module). ``cli`` adds
    sub-commands to ``dbsbm``: it gets the sub-parsers and sets ``func`` on each parser to an
    ``async def (app, args) -> int`` that runs with the database connected (see ``core.cli``).
    """

    name: str
    version: str
    description: str = ""
    depends_on: tuple[str, ...] = ()
    optional_depends_on: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    migrations: Path | None = None
    settings_model: type[BaseModel] | None = None
    hooks: object | None = None
    setup: SetupFunc | None = None
    teardown: SetupFunc | None = None
    cli: Callable[[argparse._SubParsersAction[Any]], None] | None = None
    declared_in: str = field(default_factory=_declaring_module, repr=False, compare=False)
    """The module whose ``Plugin(...)`` call made this object (found by default): the
    conventions (:mod:`core.conventions`) start from it, also where another module re-exports
    the plugin."""


@dataclass
class _Registration:
    kind: str
    label: str
    undo: Callable[[], Any]


@dataclass
class Scope:
    """The undo log of one plugin's registrations."""

    owner: str
    _entries: list[_Registration] = field(default_factory=list)

    def add(self, kind: str, label: str, undo: Callable[[], Any]) -> None:
        """Record a registration of ``kind`` (e.g. ``"command"``) and how to undo it."""
        self._entries.append(_Registration(kind, label, undo))

    def counts(self) -> Counter[str]:
        """How many registrations of each kind are live."""
        return Counter(e.kind for e in self._entries)

    def labels(self, kind: str) -> list[str]:
        return [e.label for e in self._entries if e.kind == kind]

    async def dispose(self) -> list[str]:
        """Undo every registration in reverse order; return the errors (never raises)."""
        errors = []
        while self._entries:
            entry = self._entries.pop()
            try:
                result = entry.undo()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                logger.opt(exception=True).error(
                    "undoing {} {} of {} failed", entry.kind, entry.label, self.owner
                )
                errors.append(f"{entry.kind} {entry.label}: {exc}")
        return errors


class Services:
    """Objects that plugins offer each other by name (:meth:`PluginContext.provide`,
    :meth:`PluginContext.service`): how one plugin reaches another without its models."""

    def __init__(self) -> None:
        self._offered: dict[str, tuple[str, object]] = {}

    def offer(self, name: str, owner: str, service: object) -> Callable[[], None]:
        """Offer ``service`` under ``name`` for plugin ``owner``; return how to withdraw it.

        Raises :class:`PluginError` when another plugin offers ``name`` already.
        """
        current = self._offered.get(name)
        if current is not None and current[0] != owner:
            raise PluginError(
                f"plugin {owner!r} offers the service {name!r}, which plugin {current[0]!r} "
                "already offers"
            )
        entry = (owner, service)
        self._offered[name] = entry

        def withdraw() -> None:
            if self._offered.get(name) is entry:
                del self._offered[name]

        return withdraw

    def get(self, name: str) -> Any:
        entry = self._offered.get(name)
        return None if entry is None else entry[1]

    def owners(self) -> dict[str, str]:
        """``{service name: the plugin offering it}``."""
        return {name: owner for name, (owner, _) in self._offered.items()}


class PluginContext:
    """What a plugin's code gets: its settings, logger, services, and registration helpers."""

    def __init__(self, app: App, plugin: Plugin, settings: BaseModel | None, module: ModuleType):
        self.app = app
        self.plugin = plugin
        self.settings = settings
        self.module = module
        self.scope = Scope(plugin.name)
        self.log: Logger = logger.bind(plugin=plugin.name)

    @property
    def name(self) -> str:
        return self.plugin.name

    @property
    def bot(self) -> disnake.Client:
        return self.app.bot

    def is_owner(self, user_id: int) -> bool:
        return self.app.is_owner(user_id)

    def plugin_loaded(self, name: str) -> bool:
        """Whether another plugin is loaded now (for optional dependencies)."""
        return self.app.plugins.is_loaded(name)

    # --- registrations -----------------------------------------------------------------

    def add_command(self, command: InvokableApplicationCommand) -> None:
        """Register a slash, user or message command (disnake's ``commands.slash_command`` and
        friends) while the plugin is loaded; Discord is synced once after the plugin loads.

        Raises :class:`CommandError` for an object that is no app command, or a name another
        plugin registered already.
        """
        self.app.plugins.add_command(self, command)
        if limits := declared_limits(command):
            self.scope.add("rate limit", command.name, self.app.limiter.declare(limits))

    def add_routes(self, routes: Sequence[web.RouteDef]) -> None:
        """Serve aiohttp routes on the bot's web server while the plugin is loaded."""
        undo = self.app.web.add_routes(self.name, routes)
        self.scope.add("route", f"{len(routes)} routes", undo)

    def add_page(self, page: Page) -> None:
        """Declare a dashboard page (:mod:`core.pages`) while the plugin is loaded.

        Raises :class:`ValueError` when another plugin declares a page at the same path."""
        self.scope.add("page", page.path, self.app.web.registry.add_page(self.name, page))

    def add_endpoint(self, endpoint: Endpoint) -> None:
        """Declare a JSON endpoint under ``/api/v1`` (:mod:`core.pages`) while the plugin is
        loaded. Raises :class:`ValueError` when another plugin declares the same one."""
        label = f"{endpoint.method} {endpoint.path}"
        self.scope.add("endpoint", label, self.app.web.registry.add_endpoint(self.name, endpoint))

    def add_hooks(self, hooks: object, label: str) -> None:
        """Register an object's ``@hookimpl`` methods (state a plugin keeps per App, such as
        its event listeners) under ``<plugin>.<label>`` while the plugin is loaded; they pass
        the same validation as the plugin's own hooks (:func:`core.hooks.validated_hooks`).

        Raises :class:`HookValidationError` naming what cannot run.
        """
        name = f"{self.name}.{label}"
        try:
            validated_hooks(hooks, name)
        except PluginValidationError as exc:
            raise HookValidationError(self.name, str(exc)) from None
        self.app.pm.register(hooks, name=name)
        self.scope.add("hookimpl", name, lambda: self.app.pm.unregister(name=name))

    def add_listener(self, event: str, func: Callable[..., Coroutine[Any, Any, None]]) -> None:
        """Listen to a disnake event (``"message"``, ``"guild_join"``, ...)."""
        name = event if event.startswith("on_") else f"on_{event}"
        self.app.bot.add_listener(func, name)
        self.scope.add("listener", name, lambda: self.app.bot.remove_listener(func, name))

    def add_component(self, prefix: str, handler: ComponentHandler) -> None:
        """Route button, select and modal interactions whose ``custom_id`` is ``prefix:rest``.

        The handler gets the interaction and ``rest``; it runs through the same pipeline as
        commands (rate limits, recovery, events). Custom ids survive restarts and reloads.
        """
        self.app.pipeline.add_component(prefix, self.name, handler)
        self.scope.add("component", prefix, lambda: self.app.pipeline.remove_component(prefix))

    def create_task(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a background task owned by the plugin; it is cancelled and awaited on unload.

        The task starts in a fresh context: it never inherits the caller's interaction id or an
        open database transaction (a reload runs setup inside its migration's transaction).
        """
        task = asyncio.create_task(coro, name=f"{self.name}:{name}", context=contextvars.Context())

        async def cancel() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        self.scope.add("task", name, cancel)
        return task

    def on_cleanup(self, label: str, undo: Callable[[], Any]) -> None:
        """Register any other clean-up step (closing a client session, say)."""
        self.scope.add("cleanup", label, undo)

    def provide(self, name: str, service: object) -> None:
        """Offer ``service`` to other plugins under ``name`` (by convention
        ``<plugin>.<what>``) until this plugin unloads; a reload offers the new version's.

        Raises :class:`PluginError` when another plugin offers ``name`` already.
        """
        self.scope.add("service", name, self.app.plugins.services.offer(name, self.name, service))

    def service(self, name: str) -> Any:
        """The object a loaded plugin offers under ``name``, or ``None`` when none does.

        Ask each time it is needed rather than keeping it: a reload of the provider replaces
        it, an unload withdraws it. Declare what you use of it as a :class:`typing.Protocol`
        on your side, so that the provider's modules are never imported.
        """
        return self.app.plugins.services.get(name)

    def cache(self, namespace: str) -> Namespace:
        """The core cache's namespace ``<plugin>.<namespace>``, cleared on unload."""
        ns = self.app.cache.namespace(f"{self.name}.{namespace}")
        if f"{self.name}.{namespace}" not in self.scope.labels("cache"):
            self.scope.add("cache", f"{self.name}.{namespace}", ns.clear)
        return ns

    # --- events ------------------------------------------------------------------------

    async def action(self, kind: str, **fields: Any) -> None:
        """Report a domain action (audit and metrics listen); see :class:`ActionEvent`."""
        await emit(
            self.app.pm.hook.dbsbm_action, event=ActionEvent(plugin=self.name, kind=kind, **fields)
        )

    async def security_event(self, kind: str, **fields: Any) -> None:
        """Report a security event (see :class:`SecurityEvent`)."""
        await emit(self.app.pm.hook.dbsbm_security_event, event=SecurityEvent(kind=kind, **fields))

    async def refuse(
        self, inter: Interaction, message: str, detail: str, *, owner_only: bool = False
    ) -> NoReturn:
        """Refuse a member what they may not do: the one way every plugin says no.

        Reports a ``permission_refused`` security event (``detail`` is for operators: what was
        refused and why, e.g. ``"/bet grade 5 without the grader role"``; ``owner_only`` keeps
        it from guild audit logs) and raises :class:`~core.recovery.UserError` with ``message``,
        which the member reads ephemerally.
        """
        await self.security_event(
            "permission_refused",
            user_id=inter.author.id,
            guild_id=inter.guild_id,
            detail=detail,
            owner_only=owner_only,
        )
        raise UserError(message)

    async def refuse_request(
        self, req: WebRequest, why: str, message: str | None = None
    ) -> NoReturn:
        """Refuse a dashboard page or API request what its viewer may not do: the web's
        :meth:`refuse`.

        Reports a ``web_forbidden`` security event (``detail`` is ``"METHOD /path: why"``, with
        the viewer, the path's guild and the client's address) and raises a 403
        :class:`~core.pages.WebError` with ``message``, by default ``"You may not do this:
        why."``.
        """
        request = req.request
        await self.security_event(
            "web_forbidden",
            user_id=req.viewer.user_id if req.viewer else None,
            guild_id=req.guild_id,
            detail=f"{request.method} {request.path}: {why}",
            client_address=request.remote,
        )
        raise WebError(403, message or f"You may not do this: {why}.")
