"""Model changes: applied with their migration, refused without one, rolled back on failure."""

from __future__ import annotations

import sys
from pathlib import Path

from core.database import AppSpec
from core.migrations import make_migrations
from tests.reload.conftest import Bench, Starter
from tests.reload.test_reload_messages import documented

STORE_INIT = """
import sys
from pathlib import Path

from disnake.ext import commands

from core.plugin import Plugin

from . import models


async def setup(ctx):
    @commands.slash_command(name="count", description="Store a note and count them")
    async def count(inter):
        await models.Note.create(text="hi")
        await inter.response.send_message(f"{await models.Note.all().count()} notes")

    ctx.add_command(count)


plugin = Plugin(
    name="store",
    version="1.0.0",
    models=(f"{__name__}.models",),
    migrations=Path(__file__).parent / "migrations",
    setup=setup,
)
"""

MODELS_V1 = """
from tortoise import fields
from tortoise.models import Model


class Note(Model):
    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=100)

    class Meta:
        table = "store_note"
"""

MODELS_V2 = MODELS_V1.replace(
    "text = fields.CharField(max_length=100)",
    "text = fields.CharField(max_length=100)\n    stars = fields.IntField(default=0)",
)


async def _make(spec: AppSpec, name: str) -> Path | None:
    """``dbsbm makemigrations`` as a developer runs it: on the models files as they are now."""
    running = {k: sys.modules.pop(k) for k in spec.models if k in sys.modules}
    try:
        return await make_migrations(spec, name)
    finally:
        sys.modules.update(running)
        for key, module in running.items():  # importing also set the package's attribute
            parent, _, child = key.rpartition(".")
            setattr(sys.modules[parent], child, module)


async def _store(plugin_package: Path, start_bench: Starter) -> tuple[Bench, AppSpec]:
    folder = plugin_package / "store"
    folder.mkdir()
    (folder / "__init__.py").write_text(STORE_INIT.lstrip())
    (folder / "models.py").write_text(MODELS_V1.lstrip())
    spec = AppSpec("store", [f"{plugin_package.name}.store.models"], folder / "migrations")
    assert await make_migrations(spec, "init") is not None
    bench = await start_bench()
    assert await bench.ask("count") == "1 notes"
    return bench, spec


async def test_model_change_with_its_migration_is_applied(
    start_bench: Starter, plugin_package: Path
) -> None:
    bench, spec = await _store(plugin_package, start_bench)
    (plugin_package / "store/models.py").write_text(MODELS_V2.lstrip())
    assert await _make(spec, "stars") is not None
    init = plugin_package / "store/__init__.py"
    init.write_text(init.read_text().replace('create(text="hi")', 'create(text="hi", stars=5)'))

    [result] = await bench.app.reloader.reload(["store"])

    assert result.ok, result.error
    assert len(result.migrations) == 1 and "stars" in result.migrations[0]
    assert await bench.ask("count") == "2 notes"
    _, rows = await bench.app.db.connection.execute_query("SELECT stars FROM store_note")
    assert sorted(r["stars"] for r in rows) == [0, 5]  # the new model class writes the new column


async def test_model_change_without_a_migration_is_refused(
    start_bench: Starter, plugin_package: Path
) -> None:
    bench, _ = await _store(plugin_package, start_bench)
    (plugin_package / "store/models.py").write_text(MODELS_V2.lstrip())

    [result] = await bench.app.reloader.reload(["store"])

    assert not result.ok and result.error is not None
    assert "run `dbsbm makemigrations store`" in result.error
    assert await bench.ask("count") == "2 notes"


async def test_failing_migration_keeps_the_old_version_and_schema(
    start_bench: Starter, plugin_package: Path
) -> None:
    bench, spec = await _store(plugin_package, start_bench)
    (plugin_package / "store/models.py").write_text(MODELS_V2.lstrip())
    path = await _make(spec, "stars")
    assert path is not None
    # a migration whose second statement fails: the first one must be rolled back with it
    path.write_text(
        path.read_text().replace(
            "'sqlite': {\n        'upgrade': [",
            "'sqlite': {\n        'upgrade': [\n            'CREATE TABLE store_extra (id INT)',"
            "\n            'ALTER TABLE no_such_table ADD x INT',",
        )
    )

    [result] = await bench.app.reloader.reload(["store"])

    assert not result.ok and result.error is not None
    assert "migration" in result.error and "no_such_table" in result.error
    assert documented("migration of").fullmatch(result.error), result.error  # as the docs say
    assert await bench.ask("count") == "2 notes"  # the old models, on the old schema
    conn = bench.app.db.connection
    _, rows = await conn.execute_query(
        "SELECT name FROM sqlite_master WHERE name IN ('store_extra')"
    )
    assert rows == []
    _, columns = await conn.execute_query("PRAGMA table_info(store_note)")
    assert "stars" not in {c["name"] for c in columns}
    _, versions = await conn.execute_query("SELECT version FROM aerich WHERE app = 'store'")
    assert len(versions) == 1
