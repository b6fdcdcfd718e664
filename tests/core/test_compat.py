"""Private internals of disnake, aiohttp, tortoise, aerich and aiosqlite are reached only in
core/compat, whose modules name the versions they were checked against; another version stops
start-up."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import AsyncIterator, Callable
from importlib import metadata
from pathlib import Path
from types import ModuleType

import aiosqlite
import disnake
import pytest
from disnake.ext import commands
from disnake.utils import get_signature_parameters
from tortoise.context import TortoiseContext
from tortoise.exceptions import ConfigurationError

from core import cli, compat
from core.app import App
from core.compat.aiosqlite import is_closed_connection_error
from core.compat.disnake import resolve_signatures, wait_for_command_sync
from core.compat.tortoise import (
    active,
    add_app,
    column_names,
    has_db_defaults,
    prepared_insert,
    remove_app,
)
from core.recovery import is_connection_error
from core.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
INTERNALS = re.compile(
    r"_sync_application_commands|_call_relevant_autocompleter|\._cs_response|\._cs_followup"
    r"|\binter\._state|\binter\._session|\bsite\._server|_current_context|EXECUTOR_CACHE"
    r"|\._filters\b|_global_context|from aerich\.migrate import|\._execute\(|\._conn\b"
    r"|_sync_queued|_init_relations|_enable_global_fallback|\bapps\.apps\b"
    r"|no active connection|\.regular_columns\b|\.insert_query\b|fields_db_projection"
    r"|db_default_db_columns"
)
RECORD_CHANGES = re.compile(
    r"\.records\.(clear|pop|popitem|update|setdefault)\(|\.records\[[^\]]*\]\s*=[^=]"
    r"|\bdel\s+\S*\.records\["
)
"""A plugin's record changed in place, not through a PluginManager method."""


def lines_matching(pattern: re.Pattern[str], skip: Callable[[Path], bool]) -> list[str]:
    """``path:number: line`` of each line of core/ and plugins/ matching ``pattern``."""
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("core", "plugins")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not skip(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]


def test_no_module_outside_compat_reaches_the_internals() -> None:
    assert lines_matching(INTERNALS, lambda path: "compat" in path.parts) == []


def test_plugin_records_change_only_through_the_plugin_manager() -> None:
    manager = Path("core/plugin_manager.py")
    assert lines_matching(RECORD_CHANGES, lambda path: path == manager) == []


def test_the_installed_versions_are_the_checked_ones() -> None:
    assert compat.mismatches() == []
    compat.check_versions()


def pretend_installed(monkeypatch: pytest.MonkeyPatch, package: str, version: str) -> None:
    real = metadata.version
    monkeypatch.setattr(
        metadata, "version", lambda name: version if name == package else real(name)
    )


@pytest.fixture
def newer_disnake(monkeypatch: pytest.MonkeyPatch) -> None:
    pretend_installed(monkeypatch, "disnake", "99.0.1")


@pytest.fixture
def newer_aerich(monkeypatch: pytest.MonkeyPatch) -> None:
    pretend_installed(monkeypatch, "aerich", "0.11.0")


@pytest.mark.usefixtures("newer_disnake")
def test_another_version_is_refused_with_what_to_do() -> None:
    with pytest.raises(compat.CompatError) as refused:
        compat.check_versions()
    message = str(refused.value)
    assert "disnake 99.0.1 is installed" in message
    assert "core/compat/disnake.py was checked against 2.12" in message
    assert "uv sync --locked" in message


@pytest.mark.usefixtures("newer_disnake")
async def test_the_app_refuses_to_start_before_touching_the_database(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[web]\nenabled = false\n')
    app = App(load_settings(config), config_file=config)
    try:
        with pytest.raises(compat.CompatError, match=r"disnake 99\.0\.1"):
            await app.start()
    finally:
        await app.close()
    assert not (tmp_path / "data").exists()


def app_in(tmp_path: Path) -> App:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[web]\nenabled = false\n')
    return App(load_settings(config), config_file=config)


@pytest.mark.usefixtures("newer_aerich")
@pytest.mark.parametrize(
    ("command", "args"),
    [
        (cli.cmd_migrate, {}),
        (cli.cmd_makemigrations, {"plugin": "betting", "name": "update"}),
        (cli.cmd_plugin_new, {"name": "notes"}),
    ],
)
async def test_the_commands_running_aerich_refuse_another_version_before_anything(
    tmp_path: Path, command: cli.Handler, args: dict[str, str]
) -> None:
    app = app_in(tmp_path)
    try:
        with pytest.raises(compat.CompatError, match=r"aerich 0\.11\.0 is installed"):
            await command(app, argparse.Namespace(path=tmp_path, **args))
    finally:
        await app.close()
    assert not (tmp_path / "data").exists()  # no database
    assert not (tmp_path / "dbsbm-notes").exists()  # no plugin written


async def test_a_closed_aiosqlite_connection_is_a_lost_connection(tmp_path: Path) -> None:
    connection = await aiosqlite.connect(tmp_path / "closed.sqlite3")
    await connection.close()
    with pytest.raises(ValueError) as closed:
        await connection.execute("SELECT 1")
    assert is_closed_connection_error(closed.value)
    assert is_connection_error(closed.value)
    assert not is_closed_connection_error(ValueError("no such table"))
    assert not is_closed_connection_error(RuntimeError("no active connection"))


async def test_waiting_for_the_command_sync_waits_for_disnakes_lock() -> None:
    bot = commands.InteractionBot()
    lock = bot._sync_queued
    await lock.acquire()
    waiting = asyncio.create_task(wait_for_command_sync(bot))
    await asyncio.sleep(0)  # the task runs until it waits for the lock
    assert not waiting.done()
    lock.release()
    await asyncio.wait_for(waiting, timeout=5)
    await wait_for_command_sync(disnake.Client())  # no app commands: nothing to wait for


MODELS = {
    "compat_parents": """
from tortoise import fields
from tortoise.models import Model

class Parent(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=20, source_field="title")

class Counted(Model):
    id = fields.IntField(primary_key=True)
    count = fields.IntField(db_default=0)
""",
    "compat_children": """
from tortoise import fields
from tortoise.models import Model

class Child(Model):
    id = fields.IntField(primary_key=True)
    parent = fields.ForeignKeyField("parents.Parent", related_name="children")
""",
    "compat_orphans": """
from tortoise import fields
from tortoise.models import Model

class Orphan(Model):
    id = fields.IntField(primary_key=True)
    parent = fields.ForeignKeyField("parents.Nobody", related_name="orphans")
""",
}


@pytest.fixture
async def orm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TortoiseContext]:
    """A context with the app ``parents`` on SQLite in memory; the other models importable."""
    for name, source in MODELS.items():
        module = ModuleType(name)
        exec(source, module.__dict__)  # nosec B102 # the test's own models
        monkeypatch.setitem(sys.modules, name, module)
    ctx = TortoiseContext()
    with active(ctx):
        await ctx.init(db_url="sqlite://:memory:", modules={"parents": ["compat_parents"]})
        try:
            yield ctx
        finally:
            await ctx.close_connections()


def test_an_app_is_added_with_its_relations_and_removed_with_them(
    orm: TortoiseContext,
) -> None:
    apps = orm.apps
    assert apps is not None
    parent = apps["parents"]["Parent"]
    models = add_app(apps, "children", [sys.modules["compat_children"]])
    assert list(models) == ["Child"]
    assert "children" in parent._meta.fields_map
    remove_app(apps, "children")
    assert "children" not in apps
    assert "children" not in parent._meta.fields_map
    assert not hasattr(parent, "children")
    with pytest.raises(ConfigurationError, match="Nobody"):
        add_app(apps, "orphans", [sys.modules["compat_orphans"]])
    assert list(apps) == ["parents"]


def test_the_insert_tortoise_prepared_and_the_columns_of_a_model(orm: TortoiseContext) -> None:
    apps = orm.apps
    assert apps is not None
    parent, counted = apps["parents"]["Parent"], apps["parents"]["Counted"]
    fields, insert = prepared_insert(parent, orm.connections.get("default"))
    assert (list(fields), insert) == (["name"], 'INSERT INTO "parent" ("title") VALUES (?)')
    assert dict(column_names(parent)) == {"id": "id", "name": "title"}
    assert not has_db_defaults(parent)
    assert has_db_defaults(counted)


def test_command_signatures_are_evaluated_once_and_local_annotations_keep_disnakes_way() -> None:
    class Local:  # not reachable from the module's globals: eval_str cannot resolve it
        pass

    @commands.slash_command(name="group")
    async def group(inter: disnake.ApplicationCommandInteraction) -> None:
        pass

    @group.sub_command(name="plain")
    async def plain(inter: disnake.ApplicationCommandInteraction, **options: str) -> None:
        pass

    async def local(inter: disnake.ApplicationCommandInteraction, thing: Local) -> None:
        pass

    resolve_signatures(group)
    params = plain.callback.__signature__.parameters
    assert params["inter"].annotation is disnake.ApplicationCommandInteraction
    assert params["options"].annotation is str
    assert get_signature_parameters(plain.callback)["inter"].annotation is (
        disnake.ApplicationCommandInteraction
    )
    assert "__signature__" in vars(group.callback)

    holder = type("Holder", (), {"callback": local, "children": {}})()
    resolve_signatures(holder)  # type: ignore[arg-type]
    assert "__signature__" not in vars(local)
