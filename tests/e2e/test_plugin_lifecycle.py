"""Loading and unloading: every registration goes through the plugin's scope and is undone;
a plugin that fails to load is reported and skipped, with its dependents, and the rest load."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from e2e_support import E2E_PLUGINS

from core.app import App
from core.plugin_manager import PluginState
from core.testing import LocalDiscord

lifecycle_app = pytest.mark.dbsbm(
    plugins=["probe", "broken", "needs_broken"], local_plugins=E2E_PLUGINS
)


@lifecycle_app
async def test_failed_plugin_and_its_dependents_are_skipped(dbsbm: App) -> None:
    records = dbsbm.plugins.records
    assert records["probe"].state is PluginState.LOADED
    assert records["broken"].state is PluginState.FAILED
    assert records["broken"].error == (
        "plugin 'broken' failed to load: RuntimeError: the broken plugin cannot start"
    )
    assert records["needs_broken"].state is PluginState.FAILED
    assert records["needs_broken"].error == "its dependency 'broken' failed to load"
    # the failed plugin left nothing behind
    assert dbsbm.pm.get_plugin("broken") is None


def live_registrations(app: App) -> dict[str, int]:
    """Count what of the probe plugin is live in the App, looking at the App, not the scope."""
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith("probe:") and not t.done()]
    return {
        "command": int("probe" in app.bot.all_slash_commands),
        "hookimpl": int(app.pm.get_plugin("probe") is not None),
        "route": sum(owner == "probe" for owner, _ in app.web.routes.values()),
        "component": int("probe" in app.pipeline.component_prefixes()),
        "listener": sum(
            getattr(f, "__module__", "") == "e2e_plugins.probe"
            for fs in app.bot.extra_events.values()
            for f in fs
        ),
        "task": len(tasks),
    }


@lifecycle_app
async def test_unload_undoes_every_registration(dbsbm: App, local_discord: LocalDiscord) -> None:
    scope = dbsbm.plugins.records["probe"].ctx.scope  # type: ignore[union-attr]
    assert dict(scope.counts()) == {
        "hookimpl": 1,
        "command": 1,
        "route": 1,
        "component": 1,
        "listener": 1,
        "task": 1,
        "cache": 1,
    }
    before = live_registrations(dbsbm)
    assert before == {
        "command": 1,
        "hookimpl": 1,
        "route": 1,
        "component": 1,
        "listener": 1,
        "task": 1,
    }
    url = f"http://127.0.0.1:{dbsbm.web.port}/probe"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200

    assert await dbsbm.plugins.unload("probe") == []

    assert live_registrations(dbsbm) == dict.fromkeys(before, 0)
    assert dbsbm.plugins.records["probe"].state is PluginState.UNLOADED
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 404


@lifecycle_app
async def test_background_tasks_start_in_a_fresh_context(dbsbm: App) -> None:
    from core.logging import current_interaction

    async def seen() -> int | None:
        return current_interaction.get()

    ctx = dbsbm.plugins.records["probe"].ctx
    assert ctx is not None
    token = current_interaction.set(1234)
    try:
        task = ctx.create_task(seen(), name="context-probe")
    finally:
        current_interaction.reset(token)
    assert await task is None


@pytest.mark.dbsbm(plugins=["probe", "squatter"], local_plugins=E2E_PLUGINS)
async def test_a_route_another_plugin_serves_fails_the_load_and_mounts_none(
    dbsbm: App, local_discord: LocalDiscord
) -> None:
    """``ctx.add_routes`` checks every route before mounting any: the squatter's own route is
    not left behind, nor its command, and the probe keeps its route."""
    record = dbsbm.plugins.records["squatter"]
    assert record.state is PluginState.FAILED
    assert "GET /probe is already served by probe" in (record.error or ""), record.error
    assert "squat" not in dbsbm.bot.all_slash_commands
    assert not any(owner == "squatter" for owner, _ in dbsbm.web.routes.values())
    base = f"http://127.0.0.1:{dbsbm.web.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/squatter") as resp:
            assert resp.status == 404
        async with http.get(f"{base}/probe") as resp:
            assert resp.status == 200 and await resp.json() == {"probe": True}
