"""docs/API_REFERENCE.md documents every hook specification (arguments, return, an example
implementation) and every slash command of every first-party plugin (options, permissions), and
its Python examples compile."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from command_reference import first_party, slash_commands

from core.app import App
from core.hookspecs import HookSpecs

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "docs" / "API_REFERENCE.md").read_text(encoding="utf-8")
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def section(heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = REFERENCE.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        return ""
    out = []
    for line in lines[start + 1 :]:
        marks = len(line) - len(line.lstrip("#"))
        if line.startswith("#") and marks <= level and line[marks : marks + 1] == " ":
            break
        out.append(line)
    return "\n".join(out)


HOOKS = sorted(
    n for n, _ in inspect.getmembers(HookSpecs, inspect.isfunction) if n.startswith("dbsbm_")
)


def test_the_hook_list_is_the_real_one() -> None:
    assert "dbsbm_rate_limit_check" in HOOKS and "dbsbm_health_check" in HOOKS and len(HOOKS) >= 12


def test_every_hook_section_is_a_real_hook() -> None:
    """No section is left for a hook that was removed (``dbsbm_commands``, ...)."""
    documented = re.findall(r"^### `(dbsbm_\w+)`$", REFERENCE, re.MULTILINE)
    assert sorted(documented) == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_specification_is_documented(hook: str) -> None:
    text = section(f"### `{hook}`")
    assert text, f"docs/API_REFERENCE.md has no section '### `{hook}`'"
    arguments = [a for a in inspect.signature(getattr(HookSpecs, hook)).parameters if a != "self"]
    signature = text.strip().split("\n\n", 1)[0]  # the first paragraph
    for argument in arguments:
        assert f"`{argument}`" in text, f"{hook}: argument {argument!r} is not described"
        assert f"{argument}:" in signature, f"{hook}: the signature line lacks {argument!r}"
    assert "- Returns:" in text, f"{hook}: the return value is not described"
    examples = PYTHON_BLOCK.findall(text)
    assert any("@hookimpl" in e and re.search(rf"def {hook}\(", e) for e in examples), (
        f"{hook}: no example implementation (a ```python block with @hookimpl def {hook}(...))"
    )


def test_every_python_example_compiles() -> None:
    blocks = PYTHON_BLOCK.findall(REFERENCE)
    assert len(blocks) >= len(HOOKS)
    for number, block in enumerate(blocks, 1):
        compile(block, f"API_REFERENCE.md python block {number}", "exec")


def test_validation_example_is_true() -> None:
    (example,) = [b for b in PYTHON_BLOCK.findall(REFERENCE) if 'units("1.005")' in b]
    exec(compile(example, "API_REFERENCE.md validation example", "exec"), {})


@pytest.mark.dbsbm(plugins=["admin", "audit", "betting", "dashboard", "metrics", "weather"])
async def test_every_first_party_slash_command_is_documented(dbsbm: App) -> None:
    plugins = first_party(dbsbm)
    failed = {n: r.error for n, r in dbsbm.plugins.records.items() if n in plugins and r.error}
    assert not failed, f"first-party plugins failed to load: {failed}"
    assert set(dbsbm.plugins.loaded()) == set(plugins), "a first-party plugin is not enabled here"
    commands = slash_commands(dbsbm, plugins)
    assert commands
    missing: list[str] = []
    for command in commands:
        text = section(command.heading)
        if not text:
            missing.append(f"{command.heading} (plugin {command.plugin}): no section")
            continue
        if "Permissions:" not in text:
            missing.append(f"{command.heading}: no 'Permissions:' line")
        if f"Plugin: `{command.plugin}`" not in text:
            missing.append(f"{command.heading}: does not name its plugin `{command.plugin}`")
        for option in command.options:
            if f"| `{option.name}` |" not in text:
                missing.append(f"{command.heading}: option `{option.name}` is not in its table")
    documented = set(re.findall(r"^#### `/([^`]+)`$", REFERENCE, re.MULTILINE))
    stale = documented - {c.qualified_name for c in commands}
    hint = "\nPrint a command's section with: uv run python tests/docs/command_reference.py PLUGIN"
    assert not missing, "docs/API_REFERENCE.md is missing:\n  " + "\n  ".join(missing) + hint
    assert not stale, (
        f"docs/API_REFERENCE.md documents commands that no longer exist: {sorted(stale)}"
    )


# The testing kit's example is a real test: collected from the page and run here.
_KIT_EXAMPLE = next(b for b in PYTHON_BLOCK.findall(REFERENCE) if "async def test_" in b)
exec(compile(_KIT_EXAMPLE, "API_REFERENCE.md testing kit example", "exec"), globals())
