""".env.example: every DBSBM_* variable is a real setting, the other variables are exactly the ones
docker-compose.yml interpolates, and the bot reads a .env shared with docker compose."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import SecretStr

from core.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z_][A-Z0-9_]*)=(.*)$", re.MULTILINE)


def compose_validator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compose_validate", ROOT / "deploy/compose/validate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def filled_env() -> str:
    """.env.example with every variable, commented-out ones included, given a plausible value."""
    samples = {"OWNER_IDS": "[1]", "SHARD_COUNT": "2", "SHARD_IDS": "[0]"}
    lines = []
    for _, name, value in ASSIGNMENT.findall(ENV_EXAMPLE):
        sample = next((v for k, v in samples.items() if name.endswith(k)), None)
        lines.append(f"{name}={sample or value or 'secret-value'}")
    return "\n".join(lines) + "\n"


def test_every_dbsbm_variable_is_a_setting_and_the_others_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(filled_env())
    (tmp_path / "config.toml").write_text((ROOT / "config.toml").read_text())
    monkeypatch.chdir(tmp_path)
    for name in [n for _, n, _ in ASSIGNMENT.findall(ENV_EXAMPLE)]:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.discord.token == SecretStr("secret-value")
    assert settings.discord.owner_ids == [1] and settings.discord.shard_ids == [0]
    assert settings.web.token is not None and settings.web.token.get_secret_value()
    assert settings.plugins["weather"]["api_key"] == "secret-value"
    assert settings.plugins["betting"]["api_sports"]["key"] == "secret-value"


def test_a_misspelt_dbsbm_variable_in_dotenv_is_still_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=x\nDBSBM_DISCORD__TOKN=abc\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == (
        ".env: DBSBM_DISCORD__TOKN: unknown setting (did you mean DBSBM_DISCORD__TOKEN?)"
    )


def test_compose_variables_are_documented_and_documented_ones_are_used() -> None:
    validate = compose_validator()
    compose = (ROOT / "docker-compose.yml").read_text()
    used = validate.interpolated_variables(compose)
    documented = validate.documented_variables(ENV_EXAMPLE)
    assert used - documented == set()
    # besides the bot's DBSBM_* settings, only compose's own and the interpolated variables
    compose_own = {"COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME"}
    stale = {v for v in documented - used - compose_own if not v.startswith("DBSBM_")}
    assert stale == set(), f"documented in .env.example but used nowhere: {stale}"


def test_interpolation_parser_sees_defaults_and_required_but_not_escapes() -> None:
    validate = compose_validator()
    text = "a: ${A} b: ${B:-x} c: ${C:?set C} d: $${NOT_ME} e: ${E-y}"
    assert validate.interpolated_variables(text) == {"A", "B", "C", "E"}
