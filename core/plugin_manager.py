"""Discovery, ordering, loading and unloading of plugins.

Plugins come from the local ``plugins/`` folder and from the ``dbsbm.plugins`` entry-point group.
``config.toml`` enables them (``[plugins.<name>] enabled = false`` turns one off; plugins are on by
default); ``depends_on`` orders loading. Loading is split in two so the hot reloader can validate
a new version before swapping: :meth:`PluginManager.prepare` imports and validates,
:meth:`PluginManager.activate` registers everything in the plugin's scope.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from disnake.ext import commands
from loguru import logger
from pluggy import PluginValidationError
from pydantic import BaseModel, ValidationError

from core.bytecode import CodeCache
from core.compat.disnake import resolve_signatures
from core.conventions import completed
from core.discovery import (
    LOCAL_DIR,
    Declaration,
    DeclarationError,
    PluginSource,
    discover,
    is_enabled,
    read_declaration,
    refuse_unknown,
)
from core.hooks import emit, validated_hooks
from core.logging import hide_secrets, redact
from core.plugin import (
    CommandError,
    DependencyError,
    HookValidationError,
    Plugin,
    PluginContext,
    PluginError,
    Services,
)
from core.settings import ConfigError, describe_validation_error, source_of

if TYPE_CHECKING:
    from disnake.ext.commands import InvokableApplicationCommand

    from core.app import App
    from core.reloader import ReloadResult

REPO_MIGRATIONS = LOCAL_DIR.parent / "migrations"
_APP_COMMANDS = (
    commands.InvokableSlashCommand,
    commands.InvokableUserCommand,
    commands.InvokableMessageCommand,
)


class PluginState(StrEnum):
    AVAILABLE = "available"  # discovered, enabled, not loaded yet
    DISABLED = "disabled"
    LOADED = "loaded"
    FAILED = "failed"
    UNLOADED = "unloaded"


@dataclass
class Prepared:
    """An imported, validated plugin version, not yet registered anywhere."""

    source: PluginSource
    plugin: Plugin
    module: ModuleType
    settings: BaseModel | None
    copy: Path | None = None
    """The folder of the cluster's copy of this version it was read from, holding ``<name>/``
    and ``migrations/<name>/`` (:mod:`core.cluster_code`); ``None``: the plugin's own files."""

    @property
    def migrations(self) -> Path:
        """The folder holding ``<name>/`` migrations for this version."""
        return self.own_migrations if self.copy is None else self.copy / "migrations"

    @property
    def own_migrations(self) -> Path:
        """The plugin's own folder holding ``<name>/`` migrations (the copy's aside)."""
        if self.plugin.migrations is not None:
            return self.plugin.migrations
        if self.source.origin == "local":
            return REPO_MIGRATIONS
        return Path(self.module.__file__ or ".").parent / "migrations"


@dataclass
class PluginRecord:
    """The manager's knowledge of one plugin."""

    source: PluginSource
    state: PluginState
    plugin: Plugin | None = None
    prepared: Prepared | None = None
    ctx: PluginContext | None = None
    error: str | None = None
    """Why the plugin is not loaded (its failure, or the dependency it waits for); ``None`` while
    it is."""
    loaded_at: float | None = None
    """Wall-clock time (``time.time()``) of the last successful load or reload."""
    last_reload: dict[str, Any] | None = None
    commands: list[str] = field(default_factory=list)
    copy: Path | None = None
    """The cluster's copy of a version its next :meth:`PluginManager.prepare` reads instead of
    the plugin's own files (:meth:`PluginManager.pin`)."""


class PluginManager:
    """Owns every plugin's lifecycle within one :class:`~core.app.App`."""

    def __init__(self, app: App, local_dir: Path | None = LOCAL_DIR):
        self.app = app
        self.local_dir = local_dir
        self.records: dict[str, PluginRecord] = {}
        self.services = Services()
        self.codes = CodeCache()

    # --- discovery and ordering ----------------------------------------------------------

    def discover(self) -> dict[str, PluginSource]:
        """Find local and installed plugins; a name found twice keeps the local one."""
        return discover(self.local_dir)

    def scan(self) -> None:
        """Discover plugins and record each as available or disabled per the settings."""
        sources = self.discover()
        self.refuse_unknown(self.app.settings.plugins, sources)
        for name, source in sources.items():
            if name in self.records:
                self.records[name].source = source
                continue
            state = PluginState.AVAILABLE if self.enabled(name, source) else PluginState.DISABLED
            self.records[name] = PluginRecord(source=source, state=state)

    def rescan(self) -> None:
        """Forget every plugin's record and :meth:`scan` again, as a new manager would."""
        self.records.clear()
        self.scan()

    def refuse_unknown(self, sections: Iterable[str], sources: dict[str, PluginSource]) -> None:
        """Raise :class:`ConfigError` for the first plugin section naming no plugin of
        ``sources``, against where the section was set (config file or variable)."""
        refuse_unknown(sections, sources, self.app.config_file)

    def enabled(self, name: str, source: PluginSource | None = None) -> bool:
        """Whether config enables ``name``: local plugins are on unless turned off, installed
        (entry-point) plugins are off until ``[plugins.<name>] enabled = true``."""
        return is_enabled(self.app.settings, source or self.records[name].source)

    def enabled_names(self) -> list[str]:
        return [n for n, r in self.records.items() if self.enabled(n, r.source)]

    @staticmethod
    def order(plugins: Mapping[str, Plugin | Declaration], *, partial: bool = False) -> list[str]:
        """Topological load order (dependencies first; ties by name).

        Raises :class:`DependencyError` naming a missing dependency or the plugins in a cycle.
        Optional dependencies order loading only when both plugins are present.

        ``partial`` (the hot reloader's plugins): ``plugins`` need not hold every dependency,
        nor is a cycle refused; the plugins of a cycle and those after them come last, by name,
        for the reload's dependency check to say what each misses.
        """
        deps: dict[str, set[str]] = {}
        for name, plugin in plugins.items():
            missing = [d for d in plugin.depends_on if d not in plugins]
            if missing and not partial:
                raise DependencyError(
                    f"plugin {name!r} depends on {', '.join(map(repr, missing))}, which "
                    f"{'is' if len(missing) == 1 else 'are'} not installed or not enabled",
                    [name],
                )
            deps[name] = {
                d for d in (*plugin.depends_on, *plugin.optional_depends_on) if d in plugins
            }
        ordered: list[str] = []
        ready = sorted(n for n, d in deps.items() if not d)
        while ready:
            name = ready.pop(0)
            ordered.append(name)
            for other, d in sorted(deps.items()):
                if name in d:
                    d.discard(name)
                    if not d and other not in ordered and other not in ready:
                        ready.append(other)
            ready.sort()
        cycle = sorted(set(deps) - set(ordered))
        if cycle and not partial:
            raise DependencyError(f"plugin dependency cycle between: {', '.join(cycle)}", cycle)
        return ordered + cycle

    # --- preparing (import and validate, no side effects) --------------------------------

    def prepare(self, name: str) -> Prepared:
        """Import ``name``'s module and validate its plugin object and settings."""
        record = self.records.get(name)
        if record is None:
            raise PluginError(f"unknown plugin {name!r}")
        source, copy, record.copy = record.source, record.copy, None
        try:
            with self.codes.importing(source.module, None if copy is None else copy / name):
                module = importlib.import_module(source.module)
                declared = getattr(module, source.attr, None)
                plugin = completed(declared) if isinstance(declared, Plugin) else None
        except Exception as exc:
            raise PluginError(
                f"plugin {name!r} failed to import: {type(exc).__name__}: {exc}"
            ) from exc
        if plugin is None:
            raise PluginError(
                f"plugin {name!r}: {source.module}.{source.attr} is not a core.plugin.Plugin"
            )
        if plugin.name != name:
            raise PluginError(f"plugin {name!r} declares the name {plugin.name!r}")
        try:
            validated_hooks(plugin.hooks, name)
        except PluginValidationError as exc:
            raise HookValidationError(name, str(exc)) from None
        return Prepared(source, plugin, module, self.validate_settings(plugin), copy)

    def pin(self, name: str, copy: Path) -> None:
        """Read the cluster's copy at ``copy`` at the next :meth:`prepare` of ``name`` (once:
        the prepares after it read the plugin's own files again)."""
        self.records[name].copy = copy

    def own_migrations(self, name: str) -> Path | None:
        """The plugin's own ``<name>/`` migrations folder: its prepared version's (the copy's
        aside), else a local plugin's default; ``None`` for an installed plugin not prepared
        yet (its migrations sit in its package)."""
        record = self.records[name]
        if record.prepared is not None:
            return record.prepared.own_migrations / name
        return REPO_MIGRATIONS / name if record.source.origin == "local" else None

    def validate_settings(
        self, plugin: Plugin, section: dict[str, Any] | None = None
    ) -> BaseModel | None:
        """Validate the plugin's ``[plugins.<name>]`` section with its settings model; from
        then on the model's secrets are redacted from the logs (:func:`~core.logging.hide_secrets`).
        """
        if section is None:
            section = self.app.settings.plugin_section(plugin.name)
        if plugin.settings_model is None:
            if section:
                key = next(iter(section))
                where = source_of(("plugins", plugin.name, key), self.app.config_file)
                raise ConfigError(
                    f"{where}: unknown key "
                    f"(plugin {plugin.name!r} takes no settings besides 'enabled')"
                )
            return None
        try:
            settings = plugin.settings_model.model_validate(section)
        except ValidationError as exc:
            raise ConfigError(
                describe_validation_error(exc, self.app.config_file, ("plugins", plugin.name))
            ) from None
        hide_secrets(settings)  # catches SecretStr fields whatever their names
        return settings

    # --- activation and unloading ----------------------------------------------------------

    async def activate(self, prepared: Prepared) -> PluginContext:
        """Register the prepared plugin's hooks, then run its setup (which adds its commands,
        routes, components, listeners and tasks through ``ctx``).

        On any failure every registration made so far is undone and :class:`PluginError`
        is raised; the plugin is then not loaded.
        """
        plugin = prepared.plugin
        record = self.records[plugin.name]
        ctx = PluginContext(self.app, plugin, prepared.settings, prepared.module)
        pm = self.app.pm
        try:
            pm.register(plugin.hooks, name=plugin.name)
            ctx.scope.add("hookimpl", plugin.name, lambda: pm.unregister(name=plugin.name))
            if plugin.setup is not None:
                await plugin.setup(ctx)
            if plugin.teardown is not None:
                ctx.scope.add("teardown", plugin.name, lambda: plugin.teardown(ctx))  # type: ignore[misc]
        except Exception as exc:
            await ctx.scope.dispose()
            if isinstance(exc, PluginError | ConfigError):
                raise
            raise PluginError(
                f"plugin {plugin.name!r} failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        record.plugin, record.prepared, record.ctx = plugin, prepared, ctx
        record.state, record.error, record.loaded_at = PluginState.LOADED, None, time.time()
        record.commands = ctx.scope.labels("command")
        await emit(pm.hook.dbsbm_plugin_loaded, name=plugin.name, version=plugin.version)
        logger.info("plugin {} {} loaded ({})", plugin.name, plugin.version, record.source.origin)
        return ctx

    def add_command(self, ctx: PluginContext, command: InvokableApplicationCommand) -> None:
        """Register ``command`` for ``ctx``'s plugin (see :meth:`PluginContext.add_command`)."""
        if not isinstance(command, _APP_COMMANDS):
            raise CommandError(f"plugin {ctx.name!r}: {command!r} is not an application command")
        owner = self.app.pipeline.command_owner(command.name)
        if owner == ctx.name:
            raise CommandError(f"plugin {ctx.name!r} registers /{command.name} twice")
        if owner is not None:
            raise CommandError(
                f"plugin {ctx.name!r} registers /{command.name}, which plugin {owner!r} "
                "already registered"
            )
        resolve_signatures(command)
        bot = self.app.bot
        remove: Callable[[str], object]
        if isinstance(command, commands.InvokableSlashCommand):
            bot.add_slash_command(command)
            remove = bot.remove_slash_command
        elif isinstance(command, commands.InvokableUserCommand):
            bot.add_user_command(command)
            remove = bot.remove_user_command
        else:
            bot.add_message_command(command)
            remove = bot.remove_message_command
        self.app.pipeline.set_command_owner(command.name, ctx.name)
        name = command.name

        def undo() -> None:
            remove(name)
            self.app.pipeline.set_command_owner(name, None)

        ctx.scope.add("command", name, undo)

    async def load(self, name: str) -> PluginContext:
        """Prepare and activate one plugin (its database app must already be registered)."""
        return await self.activate(self.prepare(name))

    async def unload(self, name: str) -> list[str]:
        """Dispose the plugin's scope; return errors from undo steps (normally empty)."""
        record = self.records[name]
        if record.ctx is None:
            return []
        errors = await record.ctx.scope.dispose()
        record.ctx, record.state = None, PluginState.UNLOADED
        await emit(self.app.pm.hook.dbsbm_plugin_unloaded, name=name)
        logger.info("plugin {} unloaded", name)
        return errors

    def disable(self, name: str) -> None:
        """Mark an unloaded plugin as disabled in config.toml (it stays out until enabled)."""
        self.records[name].state = PluginState.DISABLED

    def hold(self, name: str, reason: str) -> None:
        """Note why an unloaded plugin waits (its dependency was disabled); it loads with it."""
        self.records[name].error = reason

    def make_available(self, name: str) -> None:
        """A disabled plugin was enabled again: it may load."""
        record = self.records[name]
        if record.state is PluginState.DISABLED:
            record.state = PluginState.AVAILABLE

    def note_reload(self, result: ReloadResult) -> None:
        """Remember the outcome of the plugin's last reload (shown by ``/plugins``): ``ok``,
        ``at`` (``time.time()``), ``stage`` (the step that failed), ``error`` and ``duration``."""
        self.records[result.name].last_reload = {
            "ok": result.ok,
            "at": time.time(),
            "stage": result.stage,
            "error": result.error,
            "duration": result.duration,
        }

    def use_sections(self, sections: dict[str, Any]) -> None:
        """Run with these ``[plugins.*]`` sections from now on (a re-read config.toml)."""
        self.app.settings.plugins = sections

    def keep_section(self, name: str, section: dict[str, Any]) -> None:
        """Keep running ``name`` with ``section`` (a new section it could not load with)."""
        self.app.settings.plugins[name] = {"enabled": True, **section}

    def fail(self, name: str, error: str) -> None:
        """Record that ``name`` could not be loaded (the others still load). The reason is kept
        with known secrets redacted, as every place that shows it (health, sandbox, admin) may
        be read by others."""
        record = self.records[name]
        record.state, record.error = PluginState.FAILED, redact(error)
        logger.error("plugin {} not loaded: {}", name, error)

    def is_loaded(self, name: str) -> bool:
        record = self.records.get(name)
        return record is not None and record.state is PluginState.LOADED

    def loaded(self) -> list[str]:
        return [n for n, r in self.records.items() if r.state is PluginState.LOADED]

    def declared(self, name: str) -> Plugin | Declaration:
        """What orders loading ``name`` (:meth:`order`): its running plugin when loaded, else
        the declaration in its files; one that cannot be read declares no dependency (its
        import then fails)."""
        record = self.records[name]
        if record.plugin is not None and record.state is PluginState.LOADED:
            return record.plugin
        try:
            return read_declaration(record.source)
        except (DeclarationError, SyntaxError, ValueError, OSError):
            return Declaration(name, "?")

    def dependents(self, name: str) -> list[str]:
        """Loaded plugins that depend on ``name`` (directly or not), in load order."""
        out: list[str] = []
        changed = True
        targets = {name}
        while changed:
            changed = False
            for other in self.loaded():
                plugin = self.records[other].plugin
                if plugin and other not in out and targets & set(plugin.depends_on):
                    out.append(other)
                    targets.add(other)
                    changed = True
        return out

    # --- module versions (hot reload) ------------------------------------------------------

    def modules_of(self, name: str) -> dict[str, ModuleType]:
        """The plugin's modules now in ``sys.modules``: its package and every submodule."""
        prefix = self.records[name].source.module
        return {
            key: module
            for key, module in list(sys.modules.items())
            if key == prefix or key.startswith(f"{prefix}.")
        }

    def detach_modules(self, name: str) -> dict[str, ModuleType]:
        """Take all of the plugin's modules out of ``sys.modules`` and return them.

        The next :meth:`prepare` then imports a new version of every module (helpers too, not
        just ``__init__``) beside the old objects, which stay alive for :meth:`attach_modules`.
        """
        modules = self.modules_of(name)
        for key in modules:
            del sys.modules[key]
        prefix = self.records[name].source.module
        parent, _, child = prefix.rpartition(".")
        package = sys.modules.get(parent)
        if prefix in modules and getattr(package, child, None) is modules[prefix]:
            delattr(package, child)  # or the parent package keeps the old version alive
        importlib.invalidate_caches()
        return modules

    def attach_modules(self, name: str, modules: dict[str, ModuleType]) -> None:
        """Put a detached set of modules back (rollback), dropping whatever was imported since."""
        self.detach_modules(name)
        sys.modules.update(modules)
        prefix = self.records[name].source.module
        parent, _, child = prefix.rpartition(".")
        if parent in sys.modules and prefix in modules:
            setattr(sys.modules[parent], child, modules[prefix])
