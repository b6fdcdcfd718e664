"""Every plugin's models and its migration files agree: aerich finds nothing to migrate."""

from __future__ import annotations

import pytest

from core.app import App
from core.migrations import migration_files, pending_changes
from core.settings import Settings

app = App(Settings(plugins={"hello": {"enabled": True}}))
SPECS = {spec.label: spec for spec in app.app_specs(app.prepare_enabled())}


def test_every_plugin_with_models_is_checked() -> None:
    assert sorted(SPECS) == ["admin", "audit", "betting", "hello"]


@pytest.mark.parametrize("label", sorted(SPECS))
async def test_models_and_migrations_in_sync(label: str) -> None:
    spec = SPECS[label]
    assert migration_files(spec), f"{label} has no migration: run dbsbm makemigrations {label}"
    assert not await pending_changes(spec), (
        f"{label}'s models changed without a migration: run dbsbm makemigrations {label}"
    )
