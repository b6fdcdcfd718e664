"""The admin plugin on the dashboard and in the API.

``/admin/plugins`` (the bot owner): every plugin's state, version, last reload and error, with a
Reload button per plugin that runs what ``/reload`` runs and shows its result.
``/guilds/{guild_id}/plugins`` (Manage Server): the guild's plugin switches, changed as
``/admin plugins`` changes them. Under ``/api/v1`` the same: ``GET /admin/plugins``,
``POST /admin/reload``, ``GET /guilds/{guild_id}/plugins`` and
``PUT /guilds/{guild_id}/plugins/{plugin}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field, StringConstraints

from core.pages import Access, Endpoint, Page, Scope, View, WebError, WebRequest, bot_owner
from core.plugin import PluginContext
from core.recovery import UserError
from core.reloader import ReloadResult
from plugins.admin.commands.reload import NOTHING_CHANGED, reload_plugins
from plugins.admin.switches import Switches, switches_of

if TYPE_CHECKING:
    from core.plugin_manager import PluginRecord

PluginName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class LastReload(BaseModel):
    at: datetime
    ok: bool
    duration_ms: float
    stage: str | None = Field(description="the step that failed")
    error: str | None


class PluginStatus(BaseModel):
    """One plugin as ``/plugins`` shows it."""

    name: str
    version: str | None
    state: str = Field(description="available, disabled, loaded, failed or unloaded")
    commands: list[str]
    last_reload: LastReload | None
    error: str | None = Field(description="why the plugin is not loaded, if it is not")


class PluginStatusList(BaseModel):
    plugins: list[PluginStatus]


class ReloadRequest(BaseModel):
    plugins: list[PluginName] = Field(
        default_factory=list,
        max_length=50,
        description="the plugins to reload (with their dependents); none: every changed one",
    )


class ReloadOutcome(BaseModel):
    """The result of reloading one plugin (see ``core.reloader.ReloadResult``)."""

    name: str
    ok: bool
    action: str = Field(description="reloaded, loaded or unloaded")
    duration_ms: float
    commands_changed: bool
    migrations: list[str]
    stage: str | None = Field(description="the step that failed")
    error: str | None
    process: str | None = Field(
        default=None, description="the cluster process that reports it (with several processes)"
    )


class ReloadReport(BaseModel):
    results: list[ReloadOutcome] = Field(description="empty when no plugin's files changed")


class PluginSwitch(BaseModel):
    plugin: str
    enabled: bool


class GuildPlugins(BaseModel):
    """Which plugins' commands are on in a guild; ``always_on`` ones cannot be switched off."""

    plugins: list[PluginSwitch]
    always_on: list[str]


class SwitchChange(BaseModel):
    enabled: bool


class SwitchDone(BaseModel):
    plugin: str
    enabled: bool
    message: str = Field(description="what changed, as /admin plugins says it")


def status_of(record: PluginRecord) -> PluginStatus:
    last = record.last_reload
    return PluginStatus(
        name=record.source.name,
        version=record.plugin.version if record.plugin else None,
        state=str(record.state),
        commands=list(record.commands),
        last_reload=LastReload(
            at=datetime.fromtimestamp(float(last["at"]), UTC),
            ok=bool(last.get("ok")),
            duration_ms=round(float(last.get("duration") or 0) * 1000, 1),
            stage=last.get("stage"),
            error=last.get("error"),
        )
        if last
        else None,
        error=record.error,
    )


def outcome_of(result: ReloadResult) -> ReloadOutcome:
    return ReloadOutcome(
        name=result.name,
        ok=result.ok,
        action=str(result.action),
        duration_ms=round(result.duration * 1000, 1),
        commands_changed=result.commands_changed,
        migrations=list(result.migrations),
        stage=str(result.stage) if result.stage else None,
        error=result.error,
        process=result.process,
    )


class AdminWeb:
    """The pages and endpoints, over the admin plugin's context."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    def pages(self) -> list[Page]:
        form = ("GET", "POST")
        return [
            Page("/admin/plugins", "Plugins", self.status_page, Access.OWNER, "Bot plugins", form),
            Page(
                "/guilds/{guild_id}/plugins",
                "Plugins in this server",
                self.switches_page,
                Access.MANAGER,
                "Plugins",
                form,
                bot_owner,
            ),
        ]

    def endpoints(self) -> list[Endpoint]:
        guild = "/guilds/{guild_id}/plugins"
        return [
            Endpoint(
                "GET",
                "/admin/plugins",
                self.read_plugins,
                "Every plugin's state, version and last reload (the bot owner)",
                Access.OWNER,
                response=PluginStatusList,
            ),
            Endpoint(
                "POST",
                "/admin/reload",
                self.reload,
                "Reload plugins as /reload does (the bot owner)",
                Access.OWNER,
                Scope.MANAGE,
                response=ReloadReport,
                body=ReloadRequest,
            ),
            Endpoint(
                "GET",
                guild,
                self.read_switches,
                "Which plugins' commands are on in the guild (Manage Server)",
                Access.MANAGER,
                response=GuildPlugins,
                grants=bot_owner,
            ),
            Endpoint(
                "PUT",
                guild + "/{plugin}",
                self.put_switch,
                "Turn a plugin's commands on or off in the guild, as /admin plugins does",
                Access.MANAGER,
                Scope.MANAGE,
                response=SwitchDone,
                body=SwitchChange,
                grants=bot_owner,
            ),
        ]

    # --- the bot owner's plugin status and reloads -------------------------------------

    def statuses(self) -> list[PluginStatus]:
        return [status_of(r) for _, r in sorted(self.ctx.app.plugins.records.items())]

    async def _reload(self, req: WebRequest, names: list[str]) -> list[ReloadOutcome]:
        results = await reload_plugins(self.ctx, names, req.user.user_id, None)
        return [outcome_of(r) for r in results]

    async def status_page(self, req: WebRequest) -> View:
        """The plugins; a POST with ``reload`` (a name, or empty for every changed plugin)
        reloads and shows the results above them."""
        results: list[ReloadOutcome] | None = None
        if req.request.method == "POST":
            name = req.form.get("reload", "").strip().lower()
            results = await self._reload(req, [name] if name else [])
        return View(
            "plugins.html",
            {"plugins": self.statuses(), "results": results, "nothing": NOTHING_CHANGED},
        )

    async def read_plugins(self, req: WebRequest) -> PluginStatusList:
        return PluginStatusList(plugins=self.statuses())

    async def reload(self, req: WebRequest) -> ReloadReport:
        asked = req.body
        assert isinstance(asked, ReloadRequest)  # nosec B101 # type narrowing: the body model
        names = list(dict.fromkeys(n.strip().lower() for n in asked.plugins))
        return ReloadReport(results=await self._reload(req, names))

    # --- a guild's plugin switches -------------------------------------------------------

    def _switches(self) -> Switches:
        try:
            return switches_of(self.ctx)
        except UserError as exc:
            raise WebError(409, str(exc)) from None

    async def guild_plugins(self, guild_id: int) -> GuildPlugins:
        switches = self._switches()
        off = set(await switches.disabled(guild_id))
        loaded = set(self.ctx.app.plugins.loaded())
        return GuildPlugins(
            plugins=[PluginSwitch(plugin=n, enabled=n not in off) for n in switches.switchable()],
            always_on=sorted(switches.always_on & loaded),
        )

    async def _switch(self, req: WebRequest, plugin: str, enabled: bool) -> str:
        guild_id, by = req.int_param("guild_id"), req.user.user_id
        try:
            return await self._switches().switch(guild_id, plugin, enabled, by)
        except UserError as exc:
            raise WebError(400, str(exc).replace("`", "")) from None

    async def switches_page(self, req: WebRequest) -> View:
        """The switches; a POST with ``plugin`` and ``enabled`` (``on``/``off``) changes one."""
        said = ""
        if req.request.method == "POST":
            enabled = req.form.get("enabled", "")
            if enabled not in ("on", "off"):
                raise WebError(400, "Choose on or off.")
            said = await self._switch(req, req.form.get("plugin", ""), enabled == "on")
        state = await self.guild_plugins(req.int_param("guild_id"))
        return View("switches.html", {"state": state, "said": said})

    async def read_switches(self, req: WebRequest) -> GuildPlugins:
        return await self.guild_plugins(req.int_param("guild_id"))

    async def put_switch(self, req: WebRequest) -> SwitchDone:
        change = req.body
        assert isinstance(change, SwitchChange)  # nosec B101 # type narrowing: the body model
        plugin = req.params["plugin"]
        said = await self._switch(req, plugin, change.enabled)
        return SwitchDone(plugin=plugin, enabled=change.enabled, message=said)
