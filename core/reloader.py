"""The hot reloader: plugin code, schema and ``config.toml`` changes applied to a running bot.

A reload works on a **unit**: the plugins asked for plus every loaded plugin that depends on
them, in load order. It runs in two phases, and each working set has a name:

* ``old`` — the running version of each plugin in the unit: its :class:`Prepared` object, its
  module objects (detached from ``sys.modules`` during the reload) and its file fingerprint.
* ``new`` — phase 1 imports a new version of each plugin beside the old one and validates it
  without registering anything: import errors, settings, hook specifications, and a model
  change without a migration file (refused: run ``dbsbm makemigrations <plugin>``). The modules
  whose source changed and the modules importing them are executed again, the others kept
  (:mod:`core.module_graph`; every module when no module's source changed, e.g. a reload asked
  for by hand or a new file); imports run without garbage collection.
* **swap** — phase 2 runs behind :meth:`core.pipeline.Pipeline.paused`: interactions already
  running finish on the old code, new ones wait. The old versions are unloaded (scope disposal:
  tasks cancelled and awaited, listeners, commands, hook impls removed), the new migrations are
  applied in a transaction (:func:`core.migrations.migration_transaction`), the models are
  re-registered with the live ORM (:meth:`core.database.Database.replace_app`) and the new
  versions are activated (setup runs inside the transaction; a command that is no app command,
  or whose name another plugin holds, fails here at ``ctx.add_command``).
* **rollback** — if anything in phase 2 fails, what was activated is unloaded, the migration
  transaction is rolled back, the old modules and models are put back and the old versions
  activated again. The reason is logged and returned in :class:`ReloadResult`.

App commands are re-synced with Discord only when a payload changed. After each plugin's reload
the ``dbsbm_plugin_reloaded`` hook is emitted.

Usage (what ``/reload`` does)::

    results = await app.reloader.reload(["betting"])   # or None: every changed plugin
    for r in results:
        print(r.name, "ok" if r.ok else r.error, f"{r.duration * 1000:.0f} ms")

With ``[reload] watch = true`` the reloader watches the local plugin folders, their migration
folders and ``config.toml`` with watchfiles and reloads by itself.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import importlib.util
import os
import sys
import time
from collections import deque
from collections.abc import Coroutine, Iterable, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from loguru import logger

from core.cluster_code import copy_folders
from core.compat import disnake as compat_disnake
from core.compat.tortoise import reused_field_comments
from core.hooks import emit
from core.migrations import MigrationError, migration_transaction, pending_changes
from core.module_graph import ImportGraph
from core.plugin import CommandError, HookValidationError, PluginError
from core.plugin_manager import PluginState, Prepared
from core.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from core.app import App
    from core.cluster_reload import Gate
    from core.database import AppSpec

HISTORY = 100
lifecycle = logger.bind(lifecycle=True)
"""The logger of what happens to plugins (loaded, reloaded, unloaded, failed, rejected edits):
the sandbox shows these records as notices, in the log's own words."""
_SKIP_DIRS = {"__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
CONFIG = "config"
"""The unit of a round that applies ``config.toml`` (every other unit is plugin names), and the
name of its result."""


class ReloadStage(StrEnum):
    """The step of a reload that failed (its value starts the error message)."""

    IMPORT = "import"
    SETTINGS = "settings validation"
    HOOKS = "hook validation"
    DEPENDENCIES = "dependency check"
    COMMANDS = "command validation"
    SCHEMA = "schema check"
    MIGRATION = "migration"
    SETUP = "setup"
    CONFIG = "config.toml check"
    CLUSTER = "cluster vote"
    """The cluster's vote refused it for no one process's failure (the processes' files differ,
    one did not vote); a process's failure refuses it everywhere at that process's stage."""
    LOOKUP = "plugin lookup"
    """No installed plugin has the name asked for."""
    ENABLED = "enabled check"
    """config.toml disables the plugin asked for."""
    UNLOAD = "unload"
    """An undo step of the plugin's scope failed as it was unloaded (disabled in config.toml);
    it is unloaded all the same."""


Failure = tuple[ReloadStage, str]
"""The stage that failed and the error (which starts with it, or with the cluster vote that
refused it here)."""


class ReloadAction(StrEnum):
    """What a reload did to a plugin (or, ``REJECTED``, to a config.toml edit)."""

    RELOADED = "reloaded"
    LOADED = "loaded"  # a first load, e.g. enabled in config.toml
    UNLOADED = "unloaded"  # disabled in config.toml
    REJECTED = "rejected"  # an invalid config.toml edit


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """The outcome of reloading (or loading, or unloading) one plugin.

    ``ok`` is false when the change was refused or rolled back; ``stage`` then names the step
    that failed (here or, refused by the cluster's vote, in the process that could not) and
    ``error`` says why (starting with the stage, or with the cluster vote). ``duration`` is in
    seconds.
    ``commands_changed`` tells whether app commands were re-synced with Discord.
    ``action`` is ``"reloaded"``, ``"loaded"`` (first load, e.g. enabled in config.toml) or
    ``"unloaded"`` (disabled in config.toml). ``migrations`` lists migration files applied.
    """

    name: str
    ok: bool
    duration: float
    error: str | None = None
    commands_changed: bool = False
    action: ReloadAction = ReloadAction.RELOADED
    migrations: tuple[str, ...] = ()
    stage: ReloadStage | None = None
    process: str | None = None
    """The cluster process that reports it (a cluster's reload, :mod:`core.cluster_reload`)."""


class ReloadError(PluginError):
    """A reload step failed; ``stage`` names it."""

    def __init__(self, stage: ReloadStage, name: str, reason: str):
        super().__init__(f"{stage} of {name!r} failed: {reason}")
        self.stage = stage


@dataclass
class _Version:
    """One plugin's running version, kept to restore it."""

    prepared: Prepared | None
    modules: dict[str, ModuleType] = field(default_factory=dict)


def fingerprint(folders: Iterable[Path]) -> dict[str, str]:
    """``{file path: sha1 of its bytes}`` for every file under ``folders`` (caches skipped)."""
    out: dict[str, str] = {}
    for folder in folders:
        for top, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
            for name in files:
                path = os.path.join(top, name)
                skipped = name.startswith(".") or name.endswith((".pyc", ".pyo"))
                if not skipped and os.path.isfile(path):
                    with open(path, "rb") as f:
                        out[path] = hashlib.sha1(f.read(), usedforsecurity=False).hexdigest()
    return out


class Reloader:
    """Reloads plugins of one :class:`~core.app.App` safely; see the module docstring."""

    def __init__(self, app: App):
        self.app = app
        self.history: deque[ReloadResult] = deque(maxlen=HISTORY)
        self._lock = asyncio.Lock()
        self._fingerprints: dict[str, dict[str, str]] = {}
        self._graph = ImportGraph()
        self._config_text: str | None = None
        self._file_settings: Settings | None = None  # config.toml as last read
        self._held: set[str] = set()  # unloaded because a dependency was disabled
        self._watchers: list[asyncio.Task[None]] = []
        self._stop: asyncio.Event | None = None

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Remember what is loaded now; start watching when ``[reload] watch`` is on."""
        for name, record in self.app.plugins.records.items():
            if record.state is not PluginState.DISABLED:
                self._fingerprints[name] = self._running_prints(name)
        self._config_text = self._read_config()
        try:
            self._file_settings = load_settings(self.app.config_file)
        except ConfigError:  # the App runs on settings given in code (tests, the sandbox)
            self._file_settings = None
        if self.app.settings.reload.watch:
            self._stop = asyncio.Event()
            roots = self._plugin_roots()
            self._watchers = [
                asyncio.create_task(self._watch_plugins(roots), name="reloader:plugins"),
                asyncio.create_task(self._watch_config(), name="reloader:config"),
            ]
            logger.info(
                "hot reload: watching {} and {}",
                ", ".join(str(root) for root in roots) or "no plugin folder",
                self.app.config_file,
            )

    async def stop(self) -> None:
        """Stop watching (a reload in progress finishes first)."""
        if self._stop is not None:
            self._stop.set()
        for task in self._watchers:
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        self._watchers = []
        async with self._lock:
            pass

    # --- what changed ----------------------------------------------------------------------

    def changed(self, among: Iterable[str] | None = None) -> list[str]:
        """Plugins (loaded, or failed to load; of ``among`` when given) whose files differ from
        the running version."""
        records = self.app.plugins.records
        out = []
        for name in records if among is None else among:
            record = records[name]
            if (
                record.state in (PluginState.LOADED, PluginState.FAILED)
                and name in self._fingerprints
            ):
                if fingerprint(self._folders(name)) != self._fingerprints[name]:
                    out.append(name)
        return out

    def version(self, name: str) -> str:
        """The plugin's running version named by content: ``<version>+<12 hex digits>``, a
        digest of its package's and migrations' files by their paths inside those folders (the
        same files give the same name in every process and on every machine)."""
        return self._named(name, self._fingerprints.get(name) or fingerprint(self._folders(name)))

    def running_folders(self, name: str) -> list[Path]:
        """The folders of the running version's files: the plugin's own, or the cluster's copy
        it was loaded from (:mod:`core.cluster_code`)."""
        prepared = self.app.plugins.records[name].prepared
        if prepared is None or prepared.copy is None:
            return self._folders(name)
        return copy_folders(prepared.copy, name)

    def _running_prints(self, name: str) -> dict[str, str]:
        """The running version's fingerprint, by the paths of the plugin's own folders (a copy's
        files under the names they have there, so that comparing with the folders tells what a
        reload changes)."""
        own, running = self._folders(name), self.running_folders(name)
        prints = fingerprint(running)
        if own == running:
            return prints
        out = {}
        for path, sha in prints.items():
            i = next(i for i, f in enumerate(running) if Path(path).is_relative_to(f))
            out[str(own[i] / Path(path).relative_to(running[i]))] = sha
        return out

    def version_in(self, name: str, folders: list[Path]) -> str:
        """The name of the version of plugin ``name`` whose files are in ``folders`` (in the
        order of :meth:`_folders`)."""
        return self._named(name, fingerprint(folders), folders)

    def _named(self, name: str, prints: dict[str, str], folders: list[Path] | None = None) -> str:
        """The name of the version of plugin ``name`` whose files are ``prints`` (found in
        ``folders``; default the plugin's own)."""
        record = self.app.plugins.records[name]
        folders = self._folders(name) if folders is None else folders
        digest = hashlib.sha256()
        for path, sha in sorted(prints.items()):
            file = Path(path)
            inside = [
                f"{i}/{file.relative_to(f)}" for i, f in enumerate(folders) if f in file.parents
            ]
            digest.update(f"{inside[0] if inside else path}\0{sha}\n".encode())
        declared = record.plugin.version if record.plugin is not None else "0"
        return f"{declared}+{digest.hexdigest()[:12]}"

    def _folders(self, name: str) -> list[Path]:
        """The plugin's own package folder and migrations folder (both watched)."""
        record = self.app.plugins.records[name]
        folders = []
        folder = record.source.folder
        if folder is None:
            spec = importlib.util.find_spec(record.source.module)
            if spec is not None and spec.submodule_search_locations:
                folder = Path(next(iter(spec.submodule_search_locations)))
        if folder is not None:
            folders.append(folder)
        migrations = self.app.plugins.own_migrations(name)
        if migrations is not None and (folder is None or not migrations.is_relative_to(folder)):
            folders.append(migrations)
        return folders

    # --- reloading -------------------------------------------------------------------------

    async def reload(self, names: list[str] | None = None) -> list[ReloadResult]:
        """Reload ``names`` (``None``: every changed plugin) and the plugins that depend on them.

        A plugin that is enabled but not loaded (it failed before) is loaded. Unknown or
        disabled names give a failed result saying so. Never raises for plugin faults: the old
        version keeps serving and the result carries the reason.
        """
        wanted = self.changed() if names is None else list(names)
        rounds = self.app.cluster_reload
        if rounds is not None and wanted:
            try:
                return await rounds.request(wanted, self.disk_versions(wanted))
            except rounds.down as exc:
                logger.warning("cluster: Redis does not answer ({}); reloading here alone", exc)
        return await self.run_round(wanted, None)

    async def run_round(self, names: list[str], gate: Gate | None) -> list[ReloadResult]:
        """Reload ``names`` here (``[CONFIG]``: apply ``config.toml``); ``gate`` (a cluster's
        round) decides between the phases."""
        async with self._lock:
            if names == [CONFIG]:
                return await self._apply_config(gate)
            return await self._reload(names, gate)

    def disk_versions(self, names: list[str]) -> dict[str, str]:
        """The versions the plugins' own files give (of ``names``, those known)."""
        known = [n for n in names if n in self.app.plugins.records]
        return {n: self._named(n, fingerprint(self._folders(n))) for n in known}

    async def _reload(self, names: list[str], gate: Gate | None = None) -> list[ReloadResult]:
        results: list[ReloadResult] = []
        wanted: list[str] = []
        for name in dict.fromkeys(names):
            record = self.app.plugins.records.get(name)
            if record is None:
                known = ", ".join(sorted(self.app.plugins.records))
                results.append(
                    ReloadResult(
                        name,
                        False,
                        0.0,
                        f"unknown plugin (known: {known})",
                        stage=ReloadStage.LOOKUP,
                    )
                )
            elif not self.app.plugins.enabled(name):
                results.append(
                    ReloadResult(
                        name,
                        False,
                        0.0,
                        f"plugin {name!r} is disabled: enable it in config.toml [plugins.{name}]",
                        stage=ReloadStage.ENABLED,
                    )
                )
            else:
                wanted.append(name)
        for unit in self._units(wanted):
            results.extend(await self._reload_unit(unit, gate))
        return results

    def _units(self, names: list[str]) -> list[list[str]]:
        """Group ``names`` with their dependents; overlapping groups merge. The units and the
        plugins inside each in load order (:meth:`PluginManager.order`, optional dependencies
        too), among the loaded plugins and those loaded now."""
        plugins = self.app.plugins
        units: list[set[str]] = []
        for name in names:
            group = {name, *plugins.dependents(name)} if plugins.is_loaded(name) else {name}
            for other in [u for u in units if u & group]:
                units.remove(other)
                group |= other
            units.append(group)
        among = {*plugins.loaded(), *names}
        order = plugins.order({n: plugins.declared(n) for n in among}, partial=True)
        rank = {n: i for i, n in enumerate(order)}
        ordered = [sorted(u, key=rank.__getitem__) for u in units]
        return sorted(ordered, key=lambda u: rank[u[0]])

    async def _reload_unit(self, unit: list[str], gate: Gate | None) -> list[ReloadResult]:
        started = time.perf_counter()
        plugins = self.app.plugins
        old = {
            n: _Version(plugins.records[n].prepared if plugins.is_loaded(n) else None) for n in unit
        }
        prints = {n: fingerprint(self._folders(n)) for n in unit}
        kept: dict[str, ModuleType] = {}
        for name in unit:
            running = self._fingerprints.get(name, {})
            _drop_stale_bytecode(running, prints[name])
            old[name].modules = plugins.detach_modules(name)
            if old[name].prepared is not None:
                kept |= self._kept(unit, name, old[name].modules, running, prints[name], kept)
        sys.modules.update(kept)
        new: dict[str, Prepared] = {}
        try:
            for name in unit:
                new[name] = await self._prepare(name, new, prints[name])
            _bind_to_parents(kept)
        except Exception as exc:
            for name in unit:
                plugins.attach_modules(name, old[name].modules)
            failure = _failure(exc, ReloadStage.IMPORT)
            if gate is not None:
                await gate.prepared(unit, {}, failure)
            return await self._finish(unit, started, old, failure)
        if gate is not None:
            refused = await gate.prepared(unit, {n: self._named(n, prints[n]) for n in unit}, None)
            if refused is not None:
                for name in unit:
                    plugins.attach_modules(name, old[name].modules)
                return await self._finish(unit, started, old, refused)
        before = self._payloads(unit)
        applied: dict[str, list[str]] = {}
        swap_failure: Failure | None = None
        async with self.app.pipeline.paused(set(unit)):
            for name in reversed(unit):
                if old[name].prepared is not None:
                    await plugins.unload(name)
            try:
                first = {n for n in unit if old[n].prepared is None}
                await self._activate(unit, new, prints, first, applied, kept)
            except Exception as exc:
                await self._restore(unit, old, kept)
                swap_failure = _failure(exc, ReloadStage.SETUP)
        if gate is not None:  # the others' swaps, voted on with the new version serving
            refused = await gate.swapped(unit, swap_failure)
            if refused is not None and swap_failure is None:
                async with self.app.pipeline.paused(set(unit)):
                    for name in reversed(unit):
                        await plugins.unload(name)
                    await self._restore(unit, old, kept)
                swap_failure = refused
        if swap_failure is not None:
            return await self._finish(unit, started, old, swap_failure)
        for name in unit:
            self._fingerprints[name] = prints[name]
            self._held.discard(name)
        changed = self._payloads(unit) != before
        if changed and self.app.bot.is_ready():
            await compat_disnake.sync_application_commands(self.app.bot)
        return await self._finish(unit, started, old, None, changed, applied)

    def _kept(
        self,
        unit: list[str],
        name: str,
        modules: dict[str, ModuleType],
        before: dict[str, str],
        now: dict[str, str],
        kept: Mapping[str, ModuleType],
    ) -> dict[str, ModuleType]:
        """The running modules of ``name`` that its new version keeps (see
        :mod:`core.module_graph`); ``kept`` are those the unit's plugins before it keep (any
        other module of the unit's plugins is executed again)."""
        records = self.app.plugins.records
        roots = [records[n].source.module for n in unit if n != name]

        def replaced(module: str) -> bool:
            inside = any(module == r or module.startswith(f"{r}.") for r in roots)
            return inside and module not in kept

        stale = self._graph.stale(records[name].source.module, modules, before, now, replaced)
        return {n: m for n, m in modules.items() if n not in stale}

    async def _prepare(
        self, name: str, ready: dict[str, Prepared], prints: dict[str, str]
    ) -> Prepared:
        """Phase 1 for one plugin: import its new version and validate it (nothing registered)."""
        plugins = self.app.plugins
        try:
            with _importing():
                prepared = plugins.prepare(name)
        except ConfigError as exc:
            raise ReloadError(ReloadStage.SETTINGS, name, str(exc)) from exc
        except HookValidationError as exc:
            raise ReloadError(ReloadStage.HOOKS, name, exc.reason) from exc
        plugin = prepared.plugin
        missing = [d for d in plugin.depends_on if d not in ready and not plugins.is_loaded(d)]
        if missing:
            raise ReloadError(
                ReloadStage.DEPENDENCIES,
                name,
                f"it depends on {', '.join(missing)}, which is not loaded",
            )
        for spec in self.app.app_specs([prepared]):
            if self._models_changed(spec, prints) and await pending_changes(spec):
                raise ReloadError(
                    ReloadStage.SCHEMA,
                    name,
                    f"its models changed but no migration describes the change: run "
                    f"`dbsbm makemigrations {name}`, then reload",
                )
        return prepared

    def _models_changed(self, spec: AppSpec, prints: dict[str, str]) -> bool:
        """Whether a file holding the app's models differs from the running version."""
        before = self._fingerprints.get(spec.label, {})
        changed = {
            Path(p)
            for p in set(prints) ^ set(before)
            | {p for p in prints if p in before and prints[p] != before[p]}
        }
        for module in spec.models:
            found = importlib.util.find_spec(module)
            if found is None or found.origin is None:
                return True
            origin = Path(found.origin)
            root = origin.parent if origin.name == "__init__.py" else origin
            if any(p == root or p.is_relative_to(root) for p in changed):
                return True
        return False

    async def _activate(
        self,
        unit: list[str],
        new: dict[str, Prepared],
        prints: dict[str, dict[str, str]],
        first: set[str],
        applied: dict[str, list[str]],
        kept: Mapping[str, ModuleType],
    ) -> None:
        """Phase 2: migrate, re-register models and activate every new version, or raise.

        A plugin with new migration files is migrated and set up inside one migration
        transaction, so a failing setup rolls its migration back too. Models from kept modules
        are the registered ones already.
        """
        plugins = self.app.plugins
        activated: list[str] = []
        try:
            for name in unit:
                async with AsyncExitStack() as stack:
                    for spec in self.app.app_specs([new[name]]):
                        if self._new_migrations(spec, prints[name], name in first):
                            try:
                                applied[name] = await stack.enter_async_context(
                                    migration_transaction(spec)
                                )
                            except Exception as exc:
                                raise ReloadError(
                                    ReloadStage.MIGRATION, name, _reason(exc)
                                ) from exc
                        if not kept.keys() >= set(spec.models):
                            self.app.db.replace_app(spec)
                    try:
                        await plugins.activate(new[name])
                    except CommandError as exc:
                        raise ReloadError(ReloadStage.COMMANDS, name, str(exc)) from exc
                    activated.append(name)
        except BaseException:
            for name in reversed(activated):
                await plugins.unload(name)
            raise

    def _new_migrations(self, spec: AppSpec, prints: dict[str, str], first: bool) -> bool:
        """Whether migration files appeared since the running version (or it is a first load)."""
        if first or spec.label not in self._fingerprints:
            return True
        before = self._fingerprints[spec.label]
        folder = spec.migrations_dir.resolve()
        return any(p not in before and Path(p).resolve().parent == folder for p in prints)

    async def _restore(
        self, unit: list[str], old: dict[str, _Version], kept: Mapping[str, ModuleType]
    ) -> None:
        """Rollback: put the old modules and models back and activate the old versions
        (models from kept modules were never replaced)."""
        plugins = self.app.plugins
        for name in unit:
            plugins.attach_modules(name, old[name].modules)
        for name in unit:
            prepared = old[name].prepared
            if prepared is None:
                if self.app.db.connected:
                    self.app.db.unregister_app(name)
                plugins.detach_modules(name)
                continue
            try:
                for spec in self.app.app_specs([prepared]):
                    if not kept.keys() >= set(spec.models):
                        self.app.db.replace_app(spec)
                await plugins.activate(prepared)
            except Exception as exc:
                plugins.fail(name, f"the old version could not be restored either: {exc}")
                logger.opt(exception=True).critical("plugin {} could not be restored", name)

    async def _finish(
        self,
        unit: list[str],
        started: float,
        old: dict[str, _Version],
        failure: Failure | None,
        commands_changed: bool = False,
        applied: dict[str, list[str]] | None = None,
    ) -> list[ReloadResult]:
        duration = time.perf_counter() - started
        stage, error = failure if failure is not None else (None, None)
        results = []
        for name in unit:
            action = (
                ReloadAction.RELOADED if old[name].prepared is not None else ReloadAction.LOADED
            )
            result = ReloadResult(
                name,
                error is None,
                duration,
                error,
                commands_changed,
                action,
                tuple((applied or {}).get(name, ())),
                stage,
            )
            results.append(result)
            self.history.append(result)
            self.app.plugins.note_reload(result)
            if error is None:
                migrations = f" (migrations applied: {', '.join(result.migrations)})"
                lifecycle.info(
                    "plugin {} {} in {:.0f} ms{}",
                    name,
                    action,
                    duration * 1000,
                    migrations if result.migrations else "",
                )
            else:
                lifecycle.error(
                    "plugin {} not {}: {} (the running version stays)", name, action, error
                )
            await emit(
                self.app.pm.hook.dbsbm_plugin_reloaded,
                name=name,
                ok=result.ok,
                duration=duration,
                error=error,
            )
        return results

    def _payloads(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The payloads of the app commands that ``names`` registered now."""
        bot = self.app.bot
        tables: tuple[dict[str, Any], ...] = (
            bot.all_slash_commands,
            bot.all_user_commands,
            bot.all_message_commands,
        )
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            ctx = self.app.plugins.records[name].ctx
            for label in ctx.scope.labels("command") if ctx is not None else ():
                for kind, table in enumerate(tables):
                    command = table.get(label)
                    if command is not None:
                        out[f"{kind}:{label}"] = command.body.to_dict()
        return out

    # --- config.toml -------------------------------------------------------------------------

    async def apply_config(self) -> list[ReloadResult]:
        """Re-read ``config.toml``: enable, disable and reconfigure plugins without a restart.

        An invalid edit is rejected as a whole (logged, and returned as a failed result named
        ``config``); the running configuration stays. In a cluster the edit is a round
        (:mod:`core.cluster_reload`, unit :data:`CONFIG`): every process validates its file and
        votes, and all apply it or none does (the files must be the same everywhere).
        """
        rounds = self.app.cluster_reload
        if rounds is not None:
            try:
                return await rounds.request([CONFIG], {CONFIG: _text_version(self._read_config())})
            except rounds.down as exc:
                logger.warning("cluster: Redis does not answer ({}); applying here alone", exc)
        return await self.run_round([CONFIG], None)

    async def _apply_config(self, gate: Gate | None) -> list[ReloadResult]:
        self._config_text = self._read_config()
        new: Settings | None = None
        failure: str | None = None
        stage = ReloadStage.CONFIG
        try:
            new = self._check_config(load_settings(self.app.config_file))
        except ConfigError as exc:
            failure = str(exc)
        if gate is not None:
            version = {CONFIG: _text_version(self._config_text)}
            own = None if failure is None else (stage, failure)
            refused = await gate.prepared([CONFIG], version, own)
            if refused is not None and failure is None:
                stage, failure = refused
        if new is None or failure is not None:
            lifecycle.error(
                "config.toml edit rejected, the running configuration stays: {}", failure
            )
            return [
                ReloadResult(CONFIG, False, 0.0, failure, action=ReloadAction.REJECTED, stage=stage)
            ]
        self._warn_restart_sections(new)
        self._file_settings = new
        return await self._apply_plugins(new)

    def _check_config(self, new: Settings) -> Settings:
        """Validate the plugin sections of ``new`` against the installed plugins."""
        plugins = self.app.plugins
        plugins.refuse_unknown(new.plugins, plugins.discover())
        for name in plugins.loaded():
            plugin = plugins.records[name].plugin
            if plugin is not None and new.plugin_enabled(name, default=True):
                plugins.validate_settings(plugin, new.plugin_section(name))
        return new

    def _warn_restart_sections(self, new: Settings) -> None:
        """Log every section besides ``[plugins]`` that changed: those need a restart."""
        before = self._file_settings
        if before is not None:  # compared with the file: the App may run with overrides
            for section in type(before).model_fields:
                if section != "plugins" and getattr(new, section) != getattr(before, section):
                    lifecycle.warning(
                        "config.toml: [{}] changed; it takes effect after a restart", section
                    )

    async def _apply_plugins(self, new: Settings) -> list[ReloadResult]:
        plugins = self.app.plugins
        old_sections = {n: self.app.settings.plugin_section(n) for n in plugins.records}
        plugins.use_sections(new.plugins)
        plugins.scan()
        results: list[ReloadResult] = []
        off = [n for n in plugins.loaded() if not plugins.enabled(n)]
        for name in off:
            results.extend(await self._disable(name))
        reconfigured = [
            n
            for n in plugins.loaded()
            if self.app.settings.plugin_section(n) != old_sections.get(n)
        ]
        for result in await self._reload(reconfigured):
            if not result.ok and result.name in old_sections:  # it runs with the old settings
                plugins.keep_section(result.name, old_sections[result.name])
            results.append(result)
        results.extend(await self._enable_pending())
        return results

    async def _disable(self, name: str) -> list[ReloadResult]:
        """Unload ``name`` and the plugins that depend on it (they load again with it)."""
        plugins = self.app.plugins
        results = []
        unloaded = [*reversed(plugins.dependents(name)), name]
        before = self._payloads(unloaded)
        for other in unloaded:
            started = time.perf_counter()
            errors = await plugins.unload(other)
            plugins.detach_modules(other)
            if other == name:
                plugins.disable(other)
            else:
                self._held.add(other)
                plugins.hold(other, f"its dependency {name!r} was disabled")
            result = ReloadResult(
                other,
                not errors,
                time.perf_counter() - started,
                f"{ReloadStage.UNLOAD}: {'; '.join(errors)}" if errors else None,
                action=ReloadAction.UNLOADED,
                stage=ReloadStage.UNLOAD if errors else None,
            )
            lifecycle.info(
                "plugin {} unloaded ({})",
                other,
                "disabled in config.toml"
                if other == name
                else f"its dependency {name} was disabled",
            )
            self.history.append(result)
            results.append(result)
        if before != self._payloads(unloaded) and self.app.bot.is_ready():
            await compat_disnake.sync_application_commands(self.app.bot)
        return results

    async def _enable_pending(self) -> list[ReloadResult]:
        """Load plugins enabled now and not loaded (newly enabled, or held for a dependency), in
        load order; one whose dependency is not loaded waits on (no result)."""
        plugins = self.app.plugins
        results: list[ReloadResult] = []
        pending = [
            n
            for n, r in plugins.records.items()
            if plugins.enabled(n)
            and (r.state in (PluginState.DISABLED, PluginState.AVAILABLE) or n in self._held)
        ]
        for name in pending:
            plugins.make_available(name)
        for unit in self._units(pending):
            batch = await self._reload_unit(unit, None)
            if batch[0].stage is not ReloadStage.DEPENDENCIES:  # else it waits on
                results.extend(batch)
        return results

    def _read_config(self) -> str | None:
        try:
            return self.app.config_file.read_text(encoding="utf-8")
        except OSError:
            return None

    # --- watching ------------------------------------------------------------------------------

    def _watch_args(self) -> dict[str, Any]:
        from watchfiles import DefaultFilter

        quiet = self.app.settings.reload.debounce_ms
        return {
            "debounce": quiet * 8,  # the longest a burst of saves is grouped
            "step": quiet,  # a burst ends after this long without a change
            "stop_event": self._stop,
            "watch_filter": DefaultFilter(),
        }

    def _plugin_roots(self) -> list[Path]:
        """The folders watched for plugin changes: the local plugins' folder and every
        entry-point plugin's package, without folders inside others."""
        local = self.app.plugins.local_dir
        folders: set[Path] = {local} if local is not None else set()
        for name in self.app.plugins.records:
            folders.update(f for f in self._folders(name) if f.is_dir())
        return sorted(
            f for f in folders if not any(f != o and f.is_relative_to(o) for o in folders)
        )

    async def _watch_plugins(self, roots: list[Path]) -> None:
        from watchfiles import awatch

        if not roots:
            return
        async for changes in awatch(*roots, **self._watch_args()):
            touched = {Path(path) for _, path in changes}
            near = [
                n
                for n in self.app.plugins.records
                if any(p.is_relative_to(f) for p in touched for f in self._folders(n))
            ]
            names = self.changed(near)
            if names:
                await self._guarded(self.reload(names))

    async def _watch_config(self) -> None:
        from watchfiles import awatch

        config = self.app.config_file.resolve()
        if not config.parent.is_dir():
            return
        async for changes in awatch(config.parent, recursive=False, **self._watch_args()):
            if any(Path(path).name == config.name for _, path in changes):
                if self._read_config() != self._config_text:
                    await self._guarded(self.apply_config())

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, list[ReloadResult]]) -> None:
        """Run a watcher-triggered reload; a bug in it is logged and watching goes on."""
        try:
            await work
        except Exception:
            logger.opt(exception=True).error("hot reload failed unexpectedly")


def _reason(exc: BaseException) -> str:
    """The one-line reason of a failed step (our own errors say what they are)."""
    if isinstance(exc, PluginError | ConfigError | MigrationError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _failure(exc: BaseException, stage: ReloadStage) -> Failure:
    """The stage and message of a failed step (``stage`` unless a :class:`ReloadError` says)."""
    if isinstance(exc, ReloadError):
        return exc.stage, str(exc)
    return stage, f"{stage}: {_reason(exc)}"


def _bind_to_parents(kept: Mapping[str, ModuleType]) -> None:
    """Make each kept module an attribute of its re-imported parent package, as importing it
    there would have (``import package.module`` then ``package.module`` finds it)."""
    for name, module in kept.items():
        parent, _, child = name.rpartition(".")
        package = sys.modules.get(parent)
        if parent not in kept and package is not None and not hasattr(package, child):
            setattr(package, child, module)


@contextmanager
def _importing() -> Iterator[None]:
    """The import of a new version: no garbage collection while its modules execute (the
    objects they create would be scanned again and again; the next collection runs after) and
    the field comments of unchanged model classes reused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with reused_field_comments():
            yield
    finally:
        if enabled:
            gc.enable()


def _drop_stale_bytecode(before: dict[str, str], now: dict[str, str]) -> None:
    """Delete the cached bytecode of changed sources.

    Python trusts a ``.pyc`` whose recorded mtime (whole seconds) and size match the source, so
    an edit within the same second that keeps the size would otherwise load the old code.
    """
    for path, digest in now.items():
        if path.endswith(".py") and before.get(path) != digest:
            Path(importlib.util.cache_from_source(path)).unlink(missing_ok=True)


def _text_version(text: str | None) -> str:
    """The name of a file's text in a cluster's round: the same text, the same name."""
    return hashlib.sha256((text or "").encode()).hexdigest()[:12]
