"""docs/LOCAL_DISCORD.md works: the plain discord.py bot it shows is ``examples/discordpy_bot/``,
verbatim, and that example's own tests pass when run as a project of its own would run them
(its ``pytest.ini``, DBSBM's pytest plugin through its entry point)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "discordpy_bot"


@pytest.mark.parametrize("name", ["greeter.py", "test_greeter.py", "pytest.ini"])
def test_the_page_shows_the_example_verbatim(name: str) -> None:
    page = (ROOT / "docs" / "LOCAL_DISCORD.md").read_text(encoding="utf-8")
    text = (EXAMPLE / name).read_text(encoding="utf-8")
    assert f"\n# examples/discordpy_bot/{name}\n{text}```\n" in page


def test_the_examples_tests_pass() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    command = [sys.executable, "-m", "pytest", str(EXAMPLE), "-q", "-p", "no:cacheprovider"]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
