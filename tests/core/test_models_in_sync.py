"""Every plugin's models and its migration files agree: aerich finds nothing to migrate."""

from __future__ import annotations

import pytest

from core.app import App
from core.database import AppSpec
from core.migrations import migration_files, pending_changes
from core.settings import Settings

PLUGINS_WITH_MODELS = ["admin", "audit", "betting", "dashboard", "hello"]


async def specs() -> dict[str, AppSpec]:
    app = App(Settings(plugins={"hello": {"enabled": True}}))  # the bot needs a running loop
    return {spec.label: spec for spec in app.app_specs(app.prepare_enabled())}


async def test_every_plugin_with_models_is_checked() -> None:
    assert sorted(await specs()) == PLUGINS_WITH_MODELS


@pytest.mark.parametrize("label", PLUGINS_WITH_MODELS)
async def test_models_and_migrations_in_sync(label: str) -> None:
    spec = (await specs())[label]
    assert migration_files(spec), f"{label} has no migration: run dbsbm makemigrations {label}"
    assert not await pending_changes(spec), (
        f"{label}'s models changed without a migration: run dbsbm makemigrations {label}"
    )
