"""docs/WRITING_PLUGINS.md works: its files, extracted from the page, make a plugin package that
DBSBM discovers through its entry point, whose migration ``dbsbm makemigrations`` creates, and
whose own end-to-end test passes.

The package is installed the way the tutorial says, without touching the project's environment:
``uv run --with-editable`` (an overlay on the project's environment, the lock untouched).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "WRITING_PLUGINS.md"
# the bot's own settings come from the operator folder below; the test kit's variables stay
KEEP = ("DBSBM_TEST_", "DBSBM_DISCORD_SPEC")
# ```python path=dbsbm-quotes/src/dbsbm_quotes/models.py
FENCE = re.compile(r"^```(\w+) path=(\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def tutorial_files() -> dict[str, str]:
    """The files the tutorial writes: fenced blocks tagged ``path=...``, by path."""
    files = {path: body for _, path, body in FENCE.findall(TUTORIAL.read_text(encoding="utf-8"))}
    assert files, "no ```lang path=... blocks in the tutorial"
    return files


def test_tutorial_builds_a_complete_package() -> None:
    files = tutorial_files()
    assert set(files) == {
        "dbsbm-quotes/pyproject.toml",
        "dbsbm-quotes/src/dbsbm_quotes/__init__.py",
        "dbsbm-quotes/src/dbsbm_quotes/settings.py",
        "dbsbm-quotes/src/dbsbm_quotes/models.py",
        "dbsbm-quotes/src/dbsbm_quotes/commands.py",
        "dbsbm-quotes/tests/test_quotes.py",
    }
    for path, body in files.items():
        if path.endswith(".py"):
            compile(body, path, "exec")  # a syntax error names the file


def uv_run(
    package: Path, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not on PATH: the tutorial's steps need it")
    command = [
        uv,
        "run",
        "--project",
        str(ROOT),
        "--no-sync",
        "--with-editable",
        str(package),
        *args,
    ]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_following_the_tutorial_gives_a_plugin_that_loads_migrates_and_passes_its_test(
    tmp_path: Path,
) -> None:
    for path, body in tutorial_files().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    package = tmp_path / "dbsbm-quotes"
    operator = tmp_path / "operator"  # the bot's working folder: its own config.toml and data
    operator.mkdir()
    (operator / "config.toml").write_text("[plugins.quotes]\nenabled = true\nmax_length = 200\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSBM_") or k.startswith(KEEP)}
    env |= {"DBSBM_CONFIG": str(operator / "config.toml"), "DBSBM_DATA_DIR": str(operator / "data")}
    env.pop("VIRTUAL_ENV", None)

    listed = uv_run(package, "dbsbm", "plugins", "list", cwd=operator, env=env)
    assert listed.returncode == 0, listed.stderr
    (row,) = [ln for ln in listed.stdout.splitlines() if ln.startswith("quotes ")]
    assert "entry point dbsbm-quotes 1.0.0" in row and "ready" in row

    made = uv_run(
        package, "dbsbm", "makemigrations", "quotes", "--name", "init", cwd=operator, env=env
    )
    assert made.returncode == 0, made.stderr
    migrations = list((package / "src/dbsbm_quotes/migrations/quotes").glob("0_*_init.py"))
    assert len(migrations) == 1, made.stdout
    sql = migrations[0].read_text()
    assert "quotes_quote" in sql and "'postgres'" in sql and "'mysql'" in sql and "'sqlite'" in sql

    again = uv_run(package, "dbsbm", "makemigrations", "quotes", cwd=operator, env=env)
    assert again.returncode == 0 and "No changes in quotes's models." in again.stdout

    tested = uv_run(package, "pytest", "-q", "-p", "no:cacheprovider", cwd=package, env=env)
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert re.search(r"\b2 passed\b", tested.stdout), tested.stdout[-2000:]
