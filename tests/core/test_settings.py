"""Settings: config.toml, environment overrides, and one-line errors for each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import ConfigError, load_settings, settings_summary


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite://data/dbsbm.sqlite3"
    assert settings.cache.backend == "memory"
    assert settings.reload.watch is False


def test_file_values_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[database]\npool_size = 5\n[plugins.weather]\napi_key = "from-file"\n')
    monkeypatch.setenv("DBSBM_DATABASE__URL", "postgres://bot:pw@db:5432/bot")
    monkeypatch.setenv("DBSBM_PLUGINS__WEATHER__API_KEY", "from-env")
    settings = load_settings(path)
    assert settings.database.pool_size == 5
    assert settings.database.url == "postgres://bot:pw@db:5432/bot"
    assert settings.plugin_section("weather") == {"api_key": "from-env"}


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DBSBM_CACHE__DEFAULT_TTL=42\n", encoding="utf-8")
    assert load_settings().cache.default_ttl == 42


def test_summary_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[plugins.weather]\napi_key = "abc123"\n')
    monkeypatch.setenv("DBSBM_DISCORD__TOKEN", "very-secret-token")
    monkeypatch.setenv("DBSBM_DATABASE__URL", "postgres://bot:hunter2@db/bot")
    text = repr(settings_summary(load_settings(path)))
    for secret in ("very-secret-token", "abc123", "hunter2"):
        assert secret not in text
    assert "postgres://bot:********@db/bot" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[database\nurl = 1", "not valid TOML"),
        ("[database]\npool_size = 'many'", "[database] pool_size: Input should be a valid integer"),
        (
            "[database]\npool_size = 0",
            "[database] pool_size: Input should be greater than or equal to 1",
        ),
        (
            "[database]\nurl = 'oracle://x'",
            "[database] url: Value error, must start with sqlite://",
        ),
        ("[cache]\nbackend = 'memcached'", "[cache] backend: Input should be 'memory' or 'redis'"),
        ("[databse]\nurl = 'sqlite://x'", "databse: unknown key"),
        ("[web]\nport = 70000", "[web] port: Input should be less than or equal to 65535"),
    ],
)
def test_bad_config_gives_one_line_naming_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "nope.toml")
