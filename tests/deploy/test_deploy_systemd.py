"""The systemd units: systemd's own parser accepts them (where ``systemd-analyze`` is installed),
and they run the bot the way the deployment guide says."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
VENV_BIN = "/opt/dbsbm/.venv/bin/dbsbm"


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / name).read_text())
    return parser


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    names = {"dbsbm.service": "dbsbm.service", "dbsbm-migrate.service": "dbsbm-migrate.service"}
    names["dbsbm@.service"] = "dbsbm@0.service"
    for source, target in names.items():
        # the bot is not installed in /opt here: point ExecStart at an executable that exists
        text = (UNITS / source).read_text().replace(VENV_BIN, sys.executable)
        (tmp_path / target).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / t) for t in names.values())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        ln
        for ln in result.stderr.splitlines()
        if any(t.split(".")[0] in ln for t in names.values())
    ]
    assert problems == [], result.stderr


def test_units_run_the_bot_as_a_service_user_with_secrets_from_an_environment_file() -> None:
    main = unit("dbsbm.service")["Service"]
    assert main["ExecStart"] == f"{VENV_BIN} run"
    assert main["User"] == "dbsbm" and main["EnvironmentFile"] == "/etc/dbsbm/dbsbm.env"
    assert main["WorkingDirectory"] == "/var/lib/dbsbm"  # no .env of the checkout is read
    assert main["NoNewPrivileges"] == "true" and main["ProtectSystem"] == "strict"
    shard = unit("dbsbm@.service")
    assert "dbsbm-migrate.service" in shard["Unit"]["Requires"]
    assert "DBSBM_DATABASE__MIGRATE_ON_START=false" in (UNITS / "dbsbm@.service").read_text()
    assert unit("dbsbm-migrate.service")["Service"]["ExecStart"] == f"{VENV_BIN} migrate"
