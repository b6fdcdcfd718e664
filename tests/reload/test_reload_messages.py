"""docs/HOT_RELOAD.md's failure messages are what a reload really says: each documented line
(``...`` standing for any text) matches the error of the failure it describes, provoked here."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.reload.conftest import Bench, Starter, write_echo

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "HOT_RELOAD.md").read_text(encoding="utf-8")
SECTION = DOC[DOC.index("## Failure messages") : DOC.index("## Guarantees")]
DOCUMENTED = re.findall(r"^- `([^`]+)`", SECTION, re.MULTILINE)


def documented(start: str) -> re.Pattern[str]:
    """The documented message that starts with ``start``, as a pattern (``...`` is any text)."""
    (line,) = [d for d in DOCUMENTED if d.startswith(start)]
    parts = [re.escape(p) for p in line.split("...")]
    return re.compile(".*".join(parts), re.DOTALL)


def edit(bench: Bench, relative: str, old: str, new: str) -> None:
    path = bench.package / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def syntax_error(bench: Bench) -> None:
    edit(bench, "echo/helpers.py", 'return "v1"', 'return "v2" +')


async def setup_error(bench: Bench) -> None:
    edit(
        bench,
        "echo/helpers.py",
        "def check_setup():\n    pass",
        "def check_setup():\n    raise RuntimeError('no API key')",
    )


async def bad_settings(bench: Bench) -> None:
    bench.app.plugins.use_sections({"echo": {"suffix": "!"}})  # echo takes no settings


async def removed_hook(bench: Bench) -> None:
    old_hook = (
        "from core.hookspecs import hookimpl\n\n\n@hookimpl\ndef dbsbm_commands(ctx):\n"
        "    return []\n"
    )
    edit(bench, "echo/__init__.py", "async def setup(ctx):", f"{old_hook}\n\nasync def setup(ctx):")


async def twice(bench: Bench) -> None:
    again = "    ctx.add_command(build_commands(ctx)[0])\n"
    edit(
        bench,
        "echo/__init__.py",
        "    helpers.check_setup()\n",
        f"{again}    helpers.check_setup()\n",
    )


CASES: dict[str, Callable[[Bench], Awaitable[None]]] = {
    "import: plugin 'echo' failed to import": syntax_error,
    "setup: plugin 'echo' failed to load": setup_error,
    "settings validation of": bad_settings,
    "hook validation of": removed_hook,
    "command validation of": twice,
}


NEEDS_GHOST = """
from core.plugin import Plugin

plugin = Plugin(name="weather", version="1.0.0", depends_on=("betting",))
"""


async def test_the_documented_dependency_message_is_the_real_one(
    start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    (plugin_package / "weather").mkdir()
    (plugin_package / "weather" / "__init__.py").write_text(NEEDS_GHOST)
    bench = await start_bench()
    [result] = await bench.app.reloader.reload(["weather"])
    start = "dependency check of"
    assert not result.ok and documented(start).fullmatch(result.error or ""), result.error


def test_every_documented_failure_is_provoked_here() -> None:
    covered = set(CASES) | {"migration of", "dependency check of"}  # the two tests beside
    assert {d for d in DOCUMENTED if not any(d.startswith(c) for c in covered)} == set()


@pytest.mark.parametrize("start", sorted(CASES))
async def test_the_documented_message_is_the_real_one(
    start: str, start_bench: Starter, plugin_package: Path
) -> None:
    write_echo(plugin_package)
    bench = await start_bench()
    await CASES[start](bench)
    [result] = await bench.app.reloader.reload(["echo"])
    assert not result.ok
    assert documented(start).fullmatch(result.error or ""), (documented(start), result.error)
