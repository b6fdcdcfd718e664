"""``dbsbm plugin new``: a package that installs on its own and passes its own test, as its
README says, with code that passes the project's linter."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.plugin import PluginError
from core.scaffold import new_plugin

ROOT = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    """The environment of someone who just opened a terminal: no bot settings, no venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSBM_")}
    env.pop("VIRTUAL_ENV", None)
    return env


def test_a_new_package_installs_alone_and_passes_its_own_test(tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "core.cli", "plugin", "new", "karma", "--path", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    package = tmp_path / "dbsbm-karma"
    assert f"Next: cd {package} && uv run pytest" in made.stdout
    migrations = list((package / "src/dbsbm_karma/migrations/karma").glob("0_*_init.py"))
    assert len(migrations) == 1 and "karma_entry" in migrations[0].read_text()

    linted = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"), "."],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert linted.returncode == 0, linted.stdout

    uv = shutil.which("uv")
    assert uv is not None, "uv is not on PATH: the package's README needs it"
    tested = subprocess.run(
        [uv, "run", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert re.search(r"\b3 passed\b", tested.stdout), tested.stdout[-2000:]


@pytest.mark.parametrize("name", ["Karma", "9lives", "karma-points", "", "k" * 33])
def test_a_name_that_cannot_be_a_command_module_and_table_is_refused(
    name: str, tmp_path: Path
) -> None:
    with pytest.raises(PluginError, match="lowercase letters, digits and underscores"):
        new_plugin(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "dbsbm-karma").mkdir()
    with pytest.raises(PluginError, match="exists already"):
        new_plugin("karma", tmp_path)
