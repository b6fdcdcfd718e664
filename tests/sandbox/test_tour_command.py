"""``dbsbm sandbox --script examples/tour.txt`` as a new user runs it: a fresh directory with
only config.toml and the script, no data dir, no .env and no DBSBM_* variables."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DBSBM = Path(sys.executable).with_name("dbsbm")  # the entry point `uv run dbsbm` runs


def test_the_tour_prints_a_readable_transcript_and_exits_0(tmp_path: Path) -> None:
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    (tmp_path / "examples").mkdir()
    shutil.copy(REPO / "examples" / "tour.txt", tmp_path / "examples" / "tour.txt")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSBM_")}

    done = subprocess.run(
        [str(DBSBM), "sandbox", "--script", "examples/tour.txt"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert done.stderr == ""
    assert out.startswith("DBSBM sandbox: a local Discord at http://127.0.0.1:")
    assert "Running examples/tour.txt" in out
    assert "Database: sqlite://data/dbsbm.sqlite3; log: data/sandbox/sandbox.log" in out
    assert (tmp_path / "data" / "dbsbm.sqlite3").is_file()
    for expected in (
        "Owner> /setup picks_channel:picks",
        "Alice> /bet straight league:NFL",
        "  bot in #picks:\n    ╭─ Pick #1 · Straight",
        "       1) NFL",
        'bot opened a form "Moneyline · New York Jets @ Buffalo Bills"',
        "[1 Place pick] [2 Cancel]",
        "Pick #2 placed: risk 1.00u to win 1.35u. Posted in #picks.",
        "Status: WON (+1.82u)",
        "Status: LOST (-1.00u)",
        "image: units.png (saved: data/sandbox/",
        "The weather service is not set up yet",
    ):
        assert expected in out
    assert out.rstrip().endswith("Every line ran.")
    assert " ! " not in out
    assert len(list((tmp_path / "data" / "sandbox").glob("*-units.png"))) == 1
