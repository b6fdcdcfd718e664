"""DASHBOARD.md's example test runs as written, and its tables name what the code has."""

from __future__ import annotations

import re
from pathlib import Path

from plugins.dashboard.api import CODES
from plugins.dashboard.settings import DashboardSettings

DOC = (Path(__file__).parents[2] / "docs" / "DASHBOARD.md").read_text(encoding="utf-8")
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


async def test_the_example_test_passes(tmp_path: Path) -> None:
    (example,) = PYTHON_BLOCK.findall(DOC)
    namespace: dict[str, object] = {}
    exec(compile(example, "DASHBOARD.md example", "exec"), namespace)
    await namespace["test_a_member_reads_the_leaderboard"](tmp_path)  # type: ignore[operator]


def test_every_setting_is_in_the_table() -> None:
    for key in DashboardSettings.model_fields:
        assert f"| `{key}` |" in DOC, f"[plugins.dashboard] {key} is not documented"


def test_every_error_code_is_named() -> None:
    for code in CODES.values():
        assert f"`{code}`" in DOC, f"the error code {code} is not documented"
