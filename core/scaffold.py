"""``dbsbm plugin new NAME``: a ready third-party plugin package, tested before it is handed over.

The package holds what a plugin needs — a ``pyproject.toml`` with the ``dbsbm.plugins`` entry
point and DBSBM as a dependency (from this checkout, as an editable path source), the plugin
object, settings, a model with its first migration (made here, offline, as ``dbsbm
makemigrations`` makes it), one slash command group and an end-to-end test against the local
Discord — so ``uv run pytest`` inside it passes from the first minute.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from string import Template

from core.conventions import settings_class
from core.database import AppSpec
from core.migrations import make_migrations
from core.plugin import PluginError

NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
FRAMEWORK = Path(__file__).resolve().parents[1]
"""The checkout the package depends on (``[tool.uv.sources]``)."""

_FILES: dict[str, str] = {
    "pyproject.toml": """[project]
name = "dbsbm-$dash"
version = "0.1.0"
description = "$title: a DBSBM plugin"
requires-python = ">=3.11"
dependencies = ["dbsbm"]

[project.entry-points."dbsbm.plugins"]
$name = "dbsbm_$name:plugin"

[tool.uv.sources]
# The framework this package was made with. Point it at another checkout, or remove this table
# to take dbsbm from your package index.
dbsbm = { path = "$framework", editable = true }

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/dbsbm_$name"]

[tool.pytest.ini_options]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
asyncio_default_test_loop_scope = "function"
""",
    "README.md": """# dbsbm-$dash

$title: a DBSBM plugin, made with `dbsbm plugin new $name`.

- `/$name add text` saves a line (at most `max_length` characters, set in config.toml; 5 a minute
  per member, declared with `@rate_limit` in `commands.py`);
- `/$name count` says how many lines you saved in this server.

## Develop

```bash
uv run pytest                         # the end-to-end test against the local Discord
uv run dbsbm makemigrations $name     # after every change of src/dbsbm_$name/models.py
```

## Install into a bot

In the bot's environment: `uv pip install -e path/to/dbsbm-$dash` (or add it as a dependency), then
enable it in the bot's config.toml — installed plugins stay off until enabled:

```toml
[plugins.$name]
enabled = true
max_length = 200
```

The bot applies the plugin's migrations at start-up (`[database] migrate_on_start`) or with
`dbsbm migrate`.
""",
    "src/dbsbm_$name/__init__.py": '''"""$title: a DBSBM plugin."""

from __future__ import annotations

from core.plugin import Plugin, PluginContext

from dbsbm_$name.commands import build_commands


async def setup(ctx: PluginContext) -> None:
    """Register the plugin's commands (everything registered here leaves on unload)."""
    for command in build_commands(ctx):
        ctx.add_command(command)


plugin = Plugin(
    name="$name",
    version="0.1.0",
    description="$title",
)
''',
    "src/dbsbm_$name/settings.py": '''"""``[plugins.$name]`` of the bot's config.toml."""

from pydantic import BaseModel, ConfigDict, Field


class ${settings}(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_length: int = Field(default=200, ge=1, le=1000)
''',
    "src/dbsbm_$name/models.py": '''"""The plugin's table (app ``$name``)."""

from tortoise import fields
from tortoise.models import Model


class Entry(Model):
    """A line a member saved with ``/$name add``."""

    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField(db_index=True)
    user_id = fields.BigIntField(db_index=True)
    text = fields.CharField(max_length=1000)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "${name}_entry"
''',
    "src/dbsbm_$name/commands.py": '''"""``/$name add`` and ``/$name count``."""

from __future__ import annotations

from typing import Any

import disnake
from core.plugin import PluginContext
from core.ratelimit.limits import rate_limit
from core.validation import free_text
from disnake.ext import commands

from dbsbm_$name.models import Entry
from dbsbm_$name.settings import ${settings}


def build_commands(ctx: PluginContext) -> list[Any]:
    settings = ctx.settings if isinstance(ctx.settings, ${settings}) else ${settings}()

    @commands.slash_command(name="$name", contexts=disnake.InteractionContextTypes(guild=True))
    async def group(inter: disnake.ApplicationCommandInteraction) -> None:
        """$title."""

    @rate_limit("5/1m")  # per member; [ratelimit.commands] in config.toml may change it
    @group.sub_command()
    async def add(
        inter: disnake.ApplicationCommandInteraction, text: str = commands.Param(max_length=1000)
    ) -> None:
        """Save a line.

        Parameters
        ----------
        text: What to save
        """
        line = free_text(text, max_length=settings.max_length, field="text")
        entry = await Entry.create(guild_id=inter.guild_id, user_id=inter.author.id, text=line)
        await ctx.action("entry.added", user_id=inter.author.id, guild_id=inter.guild_id)
        await inter.send(f"Saved #{entry.id}.", ephemeral=True)

    @group.sub_command()
    async def count(inter: disnake.ApplicationCommandInteraction) -> None:
        """How many lines you saved in this server."""
        saved = await Entry.filter(guild_id=inter.guild_id, user_id=inter.author.id).count()
        await inter.send(f"You saved {saved} line(s) here.", ephemeral=True)

    return [group]
''',
    "tests/test_$name.py": '''"""/$name end to end: the bot, the local Discord, a fresh database."""

import pytest
from core.app import App
from core.testing import Actor

from dbsbm_$name.models import Entry

pytestmark = pytest.mark.dbsbm(
    plugins=["$name"], settings={"plugins": {"$name": {"max_length": 20}}}
)


async def test_add_then_count(dbsbm: App, alice: Actor, bob: Actor) -> None:
    saved = await (await alice.slash("$name", "add", text="Fade the public")).wait_reply()
    assert saved.ephemeral and saved.message is not None
    assert saved.message.content == "Saved #1."

    counted = await (await alice.slash("$name", "count")).wait_reply()
    assert counted.message is not None and counted.message.content == "You saved 1 line(s) here."
    other = await (await bob.slash("$name", "count")).wait_reply()
    assert other.message is not None and other.message.content == "You saved 0 line(s) here."


async def test_add_is_limited_to_five_a_minute_per_member(dbsbm: App, alice: Actor) -> None:
    for number in range(1, 6):
        saved = await (await alice.slash("$name", "add", text=f"line {number}")).wait_reply()
        assert saved.message is not None and saved.message.content == f"Saved #{number}."
    refused = await (await alice.slash("$name", "add", text="one more")).wait_reply()
    assert refused.message is not None
    assert refused.message.content.startswith("You're doing that too often.")
    assert await Entry.all().count() == 5


async def test_a_line_past_max_length_is_refused_and_nothing_stored(
    dbsbm: App, alice: Actor
) -> None:
    refused = await (await alice.slash("$name", "add", text="x" * 21)).wait_reply()
    assert refused.ephemeral and refused.message is not None
    assert "text: must be at most 20 characters" in refused.message.content
    assert await Entry.all().count() == 0
''',
}


def new_plugin(name: str, parent: Path) -> Path:
    """Write the package ``dbsbm-<name>`` into ``parent`` with its first migration; return its
    folder. Raises :class:`PluginError` for a bad name or a folder that exists already."""
    if not NAME.match(name):
        raise PluginError(
            f"plugin name {name!r}: use 1 to 32 lowercase letters, digits and underscores, "
            "starting with a letter (it names the slash command, the module and the table)"
        )
    dash = name.replace("_", "-")
    root = parent / f"dbsbm-{dash}"
    if root.exists():
        raise PluginError(f"{root} exists already: choose another name or --path")
    values = {
        "name": name,
        "dash": dash,
        "settings": settings_class(name),
        "title": name.replace("_", " ").capitalize(),
        "framework": FRAMEWORK.as_posix(),
    }
    for path, text in _FILES.items():
        target = root / Template(path).substitute(values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(text).substitute(values), encoding="utf-8")
    return root


async def first_migration(root: Path, name: str) -> Path:
    """Make the package's first migration from its models, offline (no database)."""
    source = str(root / "src")
    sys.path.insert(0, source)
    try:
        importlib.invalidate_caches()
        package = root / "src" / f"dbsbm_{name}"
        spec = AppSpec(name, [f"dbsbm_{name}.models"], package / "migrations")
        made = await make_migrations(spec, "init")
    finally:
        sys.path.remove(source)
        for module in [m for m in sys.modules if m.split(".")[0] == f"dbsbm_{name}"]:
            del sys.modules[module]
    assert made is not None, "a new package always has a model to migrate"  # nosec B101 # narrowing
    return made
