"""docs/DEPLOYMENT_GUIDE.md covers what the issue asks, and its troubleshooting section lists every
error the bot can print at start-up: the messages of the configuration, plugin, database and rate
limit errors raised in the start-up modules, read from the code, and the CLI's own texts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.cli import NO_TOKEN, TOKEN_REFUSED

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "DEPLOYMENT_GUIDE.md").read_text(encoding="utf-8")
TROUBLESHOOTING = GUIDE[GUIDE.index("## 10. Troubleshooting") : GUIDE.index("## 11.")]

START_UP_MODULES = ["core/settings.py", "core/plugin_manager.py", "core/app.py", "core/database.py"]
START_UP_MODULES += ["core/ratelimit/limits.py"]
ERRORS = {"ConfigError", "PluginError", "DependencyError", "DatabaseError", "DatabaseUnavailable"}
ERRORS |= {"MigrationError", "LimitError"}
# Programming errors of the framework's own API, not something an operator can meet or fix.
INTERNAL = {
    "unknown plugin ",  # PluginManager.prepare of a name that was never discovered
    "two apps are named ",
    "the database is not connected: call Database.connect() first",
    "the database is already connected: close() it first",
    "another database context is live in this process: close it before connecting",
    "the ORM has no app registry",
}


def start_up_messages() -> list[tuple[str, str]]:
    """(where, longest literal part) of every operator-facing error raised at start-up."""
    out = []
    for module in START_UP_MODULES:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            if getattr(node.exc.func, "id", None) not in ERRORS:
                continue
            parts = [
                n.value
                for arg in node.exc.args
                for n in ast.walk(arg)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            longest = max(parts, key=len, default="")
            if len(longest.strip(" :,.")) >= 8 and not INTERNAL & set(parts):
                out.append((f"{module}:{node.lineno}", longest))
    return out


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip(" :,.;'")


def test_the_code_has_start_up_errors_to_document() -> None:
    assert len(start_up_messages()) >= 15


@pytest.mark.parametrize(("where", "message"), start_up_messages())
def test_every_start_up_error_is_in_troubleshooting(where: str, message: str) -> None:
    assert normalise(message) in normalise(TROUBLESHOOTING), (
        f"{where}: the error text {message!r} is not in docs/DEPLOYMENT_GUIDE.md's troubleshooting"
    )


def test_cli_and_discord_start_up_texts_are_in_troubleshooting() -> None:
    for text in (
        NO_TOKEN.splitlines()[0],
        TOKEN_REFUSED,
        "[web] port: cannot listen on",
        "choose a free port, or set [web] enabled = false",
    ):
        assert normalise(text) in normalise(TROUBLESHOOTING), text


@pytest.mark.parametrize(
    "topic",
    [
        "## 1. Environment",
        "## 2. The Discord application and token",
        "## 3. The database and migrations",
        "## 4. Deploying with Docker Compose",
        "## 5. Deploying with systemd",
        "## 6. Sharding over several processes",
        "## 7. Monitoring",
        "## 8. Backups and restore",
        "## 9. Upgrading",
        "## 10. Troubleshooting",
        "## 11. Security considerations",
    ],
)
def test_the_guide_covers(topic: str) -> None:
    assert f"\n{topic}\n" in GUIDE


def test_files_the_guide_names_exist() -> None:
    named = set(
        re.findall(
            r"`((?:deploy|docs)/[\w./-]+|Dockerfile|docker-compose.yml|\.env\.example)`", GUIDE
        )
    )
    assert "deploy/systemd/" in named or any(n.startswith("deploy/") for n in named)
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert missing == [], f"docs/DEPLOYMENT_GUIDE.md names files that do not exist: {missing}"
