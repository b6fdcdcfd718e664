"""The hook specifications of the framework (pluggy, project name ``dbsbm``).

Plugins implement hooks with :data:`hookimpl`. Implementations may be plain functions or
``async def`` coroutines: the core always calls them through :func:`core.hooks.acall`, which
awaits coroutine results and keeps ``firstresult`` semantics (the first non-``None`` *awaited*
result wins). Event hooks are called through :func:`core.hooks.emit`, which isolates listeners:
an exception in one listener is logged and never reaches the interaction.

Hooks are for what concerns every plugin: decisions, events, health. A plugin's own commands,
routes, components, listeners and tasks are registered through its context in ``setup``
(:class:`core.plugin.PluginContext`), never through a hook.

Example::

    from core.hookspecs import hookimpl

    @hookimpl
    async def dbsbm_command_completed(event):
        print(event.info.command, event.outcome)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from core.events import (
        ActionEvent,
        CommandEvent,
        Denial,
        HealthResult,
        InteractionInfo,
        RateLimitDecision,
        RateLimitRequest,
        RecoveryAction,
        SecurityEvent,
    )

PROJECT = "dbsbm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
PER_PLUGIN_HOOKS = frozenset({"dbsbm_health_check"})
"""The hooks the core calls one plugin at a time (:func:`core.hooks.acall` with ``only=``: the
health report asks each plugin on its own). A wrapper there would wrap only its own plugin's
implementations, not every plugin's as in pluggy, so none is accepted."""


class HookSpecs:
    """All hook specifications. Each method documents when the core calls it."""

    # --- decisions (firstresult) -----------------------------------------------------------

    @hookspec(firstresult=True)
    def dbsbm_command_check(self, info: InteractionInfo) -> Denial | None:
        """Decide whether an interaction may run at all (e.g. a plugin switched off for a guild).
        Return a :class:`~core.events.Denial` to refuse, ``None`` to let it pass."""

    @hookspec(firstresult=True)
    def dbsbm_rate_limit_check(self, request: RateLimitRequest) -> RateLimitDecision | None:
        """Decide allow / deny-with-retry-after for an interaction. The core's limiter answers
        with ``trylast``; a plugin may answer first to override it."""

    @hookspec(firstresult=True)
    def dbsbm_cache_lookup(self, namespace: str, key: str) -> Any | None:
        """Answer a cache miss for ``namespace``/``key`` (the value is then stored with the
        namespace's TTL), or return ``None`` to let the caller compute it."""

    @hookspec(firstresult=True)
    def dbsbm_error_recovery(
        self, error: BaseException, info: InteractionInfo | None, attempt: int
    ) -> RecoveryAction | None:
        """Turn an exception into a :class:`~core.events.RecoveryAction` (retry, reconnect the
        database, degrade, or fail with a message). ``attempt`` counts from 1."""

    # --- lifecycle and events (all listeners are called; results ignored) -------------------

    @hookspec
    def dbsbm_plugin_loaded(self, name: str, version: str) -> None:
        """A plugin finished loading."""

    @hookspec
    def dbsbm_plugin_unloaded(self, name: str) -> None:
        """A plugin was unloaded (its scope is already disposed)."""

    @hookspec
    def dbsbm_plugin_reloaded(
        self, name: str, ok: bool, duration: float, error: str | None
    ) -> None:
        """A reload of ``name`` finished; ``ok`` is false when it was rolled back."""

    @hookspec
    def dbsbm_command_completed(self, event: CommandEvent) -> None:
        """An interaction was handled (outcome ok, rejected, rate limited, denied, duplicate)."""

    @hookspec
    def dbsbm_command_failed(self, event: CommandEvent) -> None:
        """An interaction's handler raised; the member was shown ``event.error_id``."""

    @hookspec
    def dbsbm_security_event(self, event: SecurityEvent) -> None:
        """A security-relevant event: rate-limit blocks, refusals, rejected input."""

    @hookspec
    def dbsbm_action(self, event: ActionEvent) -> None:
        """A plugin reported a domain action (see :class:`~core.events.ActionEvent`)."""

    @hookspec
    def dbsbm_health_check(self) -> HealthResult | Sequence[HealthResult] | None:
        """Report the health of the plugin's own components (may be async). Called one plugin
        at a time (:data:`PER_PLUGIN_HOOKS`): no wrapper."""
