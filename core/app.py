"""The application: one bot process with its settings, services, plugins and web server.

:class:`App` is what the command line's ``run``, the sandbox and the test fixtures start. Start-up
order: discover and validate plugins → connect the database (with retries) and apply migrations →
activate plugins in dependency order → start the web server. A plugin that fails is reported and
skipped, and plugins that depend on it are skipped with it; the others still load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loguru import logger

from core.bot import make_bot
from core.cache import Cache
from core.cluster import Cluster
from core.cluster_reload import ClusterReload
from core.compat import check_versions
from core.database import AppSpec, Database
from core.events import RateLimitDecision, RateLimitRequest
from core.hooks import emit, new_plugin_manager
from core.logging import hide_secrets
from core.migrations import upgrade
from core.pipeline import Pipeline
from core.plugin import DependencyError, PluginError
from core.plugin_manager import PluginManager, Prepared
from core.ratelimit.hooks import RateLimitHooks, block_event
from core.ratelimit.limiter import configured_limiter
from core.recovery import RecoveryHooks
from core.reloader import Reloader
from core.settings import ConfigError, Settings, config_path
from core.web import WebServer


class App:
    """Everything one bot process runs. Use :meth:`start` / :meth:`close`, or ``async with``."""

    def __init__(
        self,
        settings: Settings,
        *,
        config_file: Path | str | None = None,
        local_plugins: Path | bool | None = True,
        bot_kwargs: dict[str, Any] | None = None,
    ):
        hide_secrets(settings)  # every App's logs, whoever starts it (CLI, sandbox, tests)
        self.settings = settings
        self.config_file = config_path(config_file)
        self.pm = new_plugin_manager()
        self.pipeline = Pipeline(self)
        if local_plugins is True:
            self.plugins = PluginManager(self)
        else:
            self.plugins = PluginManager(self, local_dir=local_plugins or None)
        self.bot = make_bot(self, **(bot_kwargs or {}))
        self.db = Database.from_settings(settings)
        self.cache = Cache(settings.cache, self.pm)
        self.limiter = configured_limiter(settings.ratelimit, self.config_file, self._blocked)
        self.web = WebServer(self)
        self.reloader = Reloader(self)
        self.cluster = Cluster(self)
        self.cluster_reload = (
            ClusterReload(self, self.reloader.run_round) if self.cluster.shared else None
        )
        self.pm.register(RateLimitHooks(self.limiter), name="core.ratelimit")
        self.pm.register(self.cluster, name="core.cluster")
        self.pm.register(RecoveryHooks(), name="core.recovery")
        self.started = False

    # --- helpers used by the pipeline and plugins ---------------------------------------

    def is_owner(self, user_id: int) -> bool:
        bot = self.bot
        return (
            user_id in self.settings.discord.owner_ids
            or user_id in (bot.owner_ids or ())
            or user_id == bot.owner_id
        )

    async def claim_interaction(self, interaction_id: int) -> bool:
        """True the first time any process sees ``interaction_id`` (shared through the cache).

        With the memory backend no other process shares the claim and the pipeline's own
        de-duplication has already decided: ``True`` without touching the cache."""
        if self.cache.backend == "memory":
            return True
        return await self.cache.claim(f"interaction:{interaction_id}", ttl=900)

    async def _blocked(self, request: RateLimitRequest, decision: RateLimitDecision) -> None:
        await emit(self.pm.hook.dbsbm_security_event, event=block_event(request, decision))

    async def reconnect_database(self, within: float | None = None) -> bool:
        """Whether the database answers again within ``within`` seconds (error recovery)."""
        return await self.db.recover(within)

    def app_specs(self, prepared: list[Prepared]) -> list[AppSpec]:
        return [
            AppSpec(p.plugin.name, list(p.plugin.models), p.migrations)
            for p in prepared
            if p.plugin.models
        ]

    # --- lifecycle ------------------------------------------------------------------------

    def prepare_enabled(self) -> list[Prepared]:
        """Import and validate every enabled plugin, in load order; failures are recorded.

        Raises :class:`ConfigError` for invalid plugin settings (start-up must stop then).
        """
        self.plugins.scan()
        prepared: dict[str, Prepared] = {}
        for name in self.plugins.enabled_names():
            try:
                prepared[name] = self.plugins.prepare(name)
            except PluginError as exc:
                self.plugins.fail(name, str(exc))
        while True:
            try:
                order = self.plugins.order({n: p.plugin for n, p in prepared.items()})
                break
            except DependencyError as exc:
                for name in exc.names:
                    self.plugins.fail(name, str(exc))
                    del prepared[name]
        return [prepared[n] for n in order]

    async def start(self, *, migrate: bool | None = None) -> None:
        """Check the libraries' versions (:mod:`core.compat`), join the cluster
        (:mod:`core.cluster`), validate plugins, connect and migrate the database, load
        plugins, start the web; then this process is ready in the cluster's view."""
        check_versions()
        await self.cluster.start()
        if self.cluster_reload is not None:
            self.plugins.scan()
            await self.cluster_reload.load_cluster_versions()
        prepared = self.prepare_enabled()
        specs = self.app_specs(prepared)
        await self.db.connect(specs)
        if migrate if migrate is not None else self.settings.database.migrate_on_start:
            await upgrade(None, specs, progress=_log_progress)
        failed: set[str] = set()
        for item in prepared:
            name = item.plugin.name
            broken = failed & set(item.plugin.depends_on)
            if broken:
                self.plugins.fail(name, f"its dependency {sorted(broken)[0]!r} failed to load")
                failed.add(name)
                continue
            try:
                await self.plugins.activate(item)
            except (PluginError, ConfigError) as exc:
                self.plugins.fail(name, str(exc))
                failed.add(name)
        if self.settings.web.enabled:
            await self.web.start()
        await self.reloader.start()
        if self.cluster_reload is not None:
            await self.cluster_reload.start()
            await self.cluster_reload.keep_code(self.plugins.loaded())
        await self.cluster.ready()
        self.started = True

    async def close(self) -> None:
        """Stop the web server, unload plugins (reverse order), close the bot and connections.

        The web server stops first: no request arrives while plugins unload, and the security
        events of its closing rate-limit windows still reach the plugins' listeners (audit)."""
        await self.reloader.stop()
        if self.cluster_reload is not None:
            await self.cluster_reload.close()
        await self.cluster.close()
        await self.web.stop()
        for name in reversed(self.plugins.loaded()):
            await self.plugins.unload(name)
        if not self.bot.is_closed():
            await self.bot.close()
        await self.cache.close()
        await self.limiter.close()
        await self.db.close()

    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _log_progress(app: str, version: str) -> None:
    logger.info("migrating {}: applied {}", app, version)
