"""``dbsbm backup`` and ``dbsbm restore FILE`` on the command line (SQLite)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

OTHERS = ("audit", "betting", "metrics", "weather", "hello")


def dbsbm(config: Path, *args: str) -> tuple[int, str]:
    """Run ``dbsbm --config CONFIG ARGS`` as a real process; its exit code and output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSBM_")}
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "--config", str(config), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    sections = "\n".join(f"[plugins.{name}]\nenabled = false\n" for name in OTHERS)
    config.write_text(
        f'data_dir = "{tmp_path}"\n[database]\nurl = "sqlite://{{data_dir}}/bot.sqlite3"\n'
        f"[web]\nenabled = false\n[plugins.admin]\nenabled = true\n{sections}"
    )
    return config


def test_backup_then_restore(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert dbsbm(config, "migrate")[0] == 0
    database = tmp_path / "bot.sqlite3"
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO admin_guild_plugin_switch (guild_id, plugin, changed_by, changed_at)"
            " VALUES (1, 'betting', 2, '2026-01-01 00:00:00')"
        )

    code, out = dbsbm(config, "backup")
    assert code == 0, out
    path = Path(out.split("Backup written to ", 1)[1].split(" (", 1)[0])
    assert path.parent == tmp_path / "backups"
    assert "Migrations: admin 0_" in out

    with sqlite3.connect(database) as conn:
        conn.execute("DELETE FROM admin_guild_plugin_switch")
    code, out = dbsbm(config, "restore", str(path))
    assert code == 0, out
    assert f"Restored {path.name} (sqlite" in out
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT guild_id, plugin FROM admin_guild_plugin_switch").fetchall()
    assert rows == [(1, "betting")]


def test_restore_of_a_non_backup_fails_with_a_reason(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    code, out = dbsbm(config, "restore", str(bogus))
    assert code == 1
    assert "is not a DBSBM backup" in out
