"""Settings: config.toml, environment overrides, and one-line errors for each kind of bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import (
    ConfigError,
    load_settings,
    settings_summary,
    source_of,
    unknown_variables,
)


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
    # docker compose's variables share the file: they are not the bot's settings
    (tmp_path / ".env").write_text(
        "POSTGRES_PASSWORD=pw\nDBSBM_CACHE__DEFAULT_TTL=42\n", encoding="utf-8"
    )
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


# --- where a bad value came from --------------------------------------------------------------


@pytest.fixture
def own_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own folder (no .env but the test's), without the caller's DBSBM_* variables."""
    for name in [n for n in os.environ if n.upper().startswith("DBSBM_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config_error(**variables: str) -> str:
    """The message of the ConfigError that load_settings raises with these variables set."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        with pytest.raises(ConfigError) as err:
            load_settings()
    return str(err.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "DBSBM_DATABASE__POOL_SIZE",
            "abc",
            "environment variable DBSBM_DATABASE__POOL_SIZE: Input should be a valid integer",
        ),
        (
            "dbsbm_web__port",  # matched whatever the case, named as spelt
            "70000",
            "environment variable dbsbm_web__port: Input should be less than or equal to 65535 "
            "(got '70000')",
        ),
        (
            "DBSBM_DATABASE__POOLSIZE",
            "5",
            "environment variable DBSBM_DATABASE__POOLSIZE: unknown setting "
            "(did you mean DBSBM_DATABASE__POOL_SIZE?)",
        ),
        (
            "DBSBM_DISCORD__OWNER_IDS",
            "123,456",
            "environment variable DBSBM_DISCORD__OWNER_IDS: Input should be a valid list, "
            "written in JSON such as [1, 2] (got '123,456')",
        ),
        (
            "DBSBM_DISCORD__OWNER_IDS",
            '[1, "me"]',
            "environment variable DBSBM_DISCORD__OWNER_IDS: [1]: Input should be a valid integer",
        ),
        (
            "DBSBM_DATABASE",
            '{"pool_size": 0}',
            "environment variable DBSBM_DATABASE: pool_size: Input should be greater than or "
            "equal to 1",
        ),
    ],
)
def test_a_bad_variable_is_named_not_the_config_file(
    own_dir: Path, name: str, value: str, expected: str
) -> None:
    write(own_dir, "[database]\npool_size = 5\n[web]\nport = 8080\n")
    message = config_error(**{name: value})
    assert message.startswith(expected), message
    assert "config.toml" not in message.replace("config.toml's documented keys", "")
    assert "\n" not in message


def test_a_bad_dotenv_entry_is_named_with_the_file(own_dir: Path) -> None:
    (own_dir / ".env").write_text("DBSBM_DATABASE__POOL_SIZE=abc\n", encoding="utf-8")
    assert config_error().startswith(".env: DBSBM_DATABASE__POOL_SIZE: Input should be a valid")


def test_the_source_that_won_is_named(own_dir: Path) -> None:
    (own_dir / ".env").write_text("DBSBM_WEB__PORT=70001\n", encoding="utf-8")
    write(own_dir, "[web]\nport = 70002\n")
    # the environment overrides .env, which overrides config.toml
    assert config_error(DBSBM_WEB__PORT="70000").startswith("environment variable DBSBM_WEB__PORT:")
    assert config_error().startswith(".env: DBSBM_WEB__PORT:")
    (own_dir / ".env").unlink()
    assert config_error().startswith("config.toml: [web] port:")
    # a variable setting the section as JSON, without the bad key, is not blamed for it
    assert config_error(DBSBM_WEB='{"host": "0.0.0.0"}').startswith("config.toml: [web] port:")
    # nor is one that the settings ignore (it names no setting)
    write(own_dir, "[databse]\nurl = 'sqlite://x'\n")
    assert config_error(DBSBM_DATABSE__URL="sqlite://y").startswith("config.toml: databse:")


def test_source_of_a_section_names_a_variable_inside_it(
    own_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert source_of(("plugins", "bogus"), "config.toml") == "config.toml: [plugins] bogus"
    monkeypatch.setenv("DBSBM_PLUGINS__BOGUS__ENABLED", "true")
    assert source_of(("plugins", "bogus"), "config.toml") == (
        "environment variable DBSBM_PLUGINS__BOGUS__ENABLED"
    )


# --- variables that name no setting ------------------------------------------------------------


def test_variables_naming_no_setting_are_reported_with_the_likely_name(
    own_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (own_dir / ".env").write_text("DBSBM_FOO=1\nPOSTGRES_PASSWORD=pw\n", encoding="utf-8")
    monkeypatch.setenv("DBSBM_DATABSE__URL", "postgres://db/bot")
    monkeypatch.setenv("DBSBM_DISCORD_TOKEN", "t")
    monkeypatch.setenv("DBSBM_PLUGIN__WEATHER__API_KEY", "k")
    load_settings()  # ignored by the settings, not an error
    assert sorted(unknown_variables()) == [
        ".env: DBSBM_FOO matches no setting and is ignored",
        "environment variable DBSBM_DATABSE__URL matches no setting and is ignored "
        "(did you mean DBSBM_DATABASE__URL?)",
        "environment variable DBSBM_DISCORD_TOKEN matches no setting and is ignored "
        "(did you mean DBSBM_DISCORD__TOKEN?)",
        "environment variable DBSBM_PLUGIN__WEATHER__API_KEY matches no setting and is ignored "
        "(did you mean DBSBM_PLUGINS__WEATHER__API_KEY?)",
    ]
    # a misspelt key inside a known section is refused, as in config.toml
    (own_dir / ".env").write_text("DBSBM_CACHE__BACKNED=redis\n", encoding="utf-8")
    assert config_error() == (
        ".env: DBSBM_CACHE__BACKNED: unknown setting (did you mean DBSBM_CACHE__BACKEND?)"
    )


def test_settings_and_the_projects_own_variables_are_not_reported(
    own_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "DBSBM_DATA_DIR": str(own_dir),
        "DBSBM_DATABASE__URL": "sqlite://x.sqlite3",
        "DBSBM_RATELIMIT__GLOBAL": "100/1s",  # a key with an alias
        "DBSBM_CACHE__TTL": '{"betting": 60}',
        "DBSBM_PLUGINS__WEATHER__API_KEY": "k",
        "DBSBM_CONFIG": "config.toml",
        "DBSBM_DISCORD_SPEC": "openapi.json",
        "DBSBM_TEST_POSTGRES_URL": "postgres://db/test",
        "DBSBM_BENCH_PROFILE": "bot.prof",
    }.items():
        monkeypatch.setenv(name, value)
    (own_dir / ".env").write_text("DBSBM_TEST_REDIS_URL=redis://r\n", encoding="utf-8")
    load_settings()
    assert unknown_variables() == []
