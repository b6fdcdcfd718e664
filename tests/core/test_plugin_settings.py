"""A plugin's own settings section is validated at load with a one-line reason."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.app import App
from core.plugin_manager import PluginState
from core.settings import ConfigError, load_settings

E2E = Path(__file__).resolve().parents[1] / "e2e"
E2E_PLUGINS = E2E / "e2e_plugins"  # probe: a plugin that takes no settings
if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))


def app_with(tmp_path: Path, text: str) -> App:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return App(load_settings(path), config_file=path)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("greeting = 5", "[plugins.hello] greeting: Input should be a valid string (got 5)"),
        ("greetng = 'hi'", "[plugins.hello] greetng: unknown key"),
    ],
)
async def test_bad_plugin_setting_names_file_and_key(
    tmp_path: Path, section: str, expected: str
) -> None:
    app = app_with(tmp_path, f"[plugins.hello]\nenabled = true\n{section}\n")
    app.plugins.scan()
    with pytest.raises(ConfigError) as err:
        app.plugins.prepare("hello")
    assert str(err.value).startswith(f"{tmp_path / 'config.toml'}: {expected}")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "DBSBM_PLUGINS__WEATHER__ATTEMPTS",
            "many",
            "environment variable DBSBM_PLUGINS__WEATHER__ATTEMPTS: Input should be a valid "
            "integer, unable to parse string as an integer (got 'many')",
        ),
        (
            "DBSBM_PLUGINS__WEATHER__ATTEMTPS",
            "2",
            "environment variable DBSBM_PLUGINS__WEATHER__ATTEMTPS: unknown setting",
        ),
    ],
)
async def test_bad_plugin_setting_from_a_variable_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    app = app_with(tmp_path, "[plugins.weather]\nattempts = 3\n")
    app.plugins.scan()
    with pytest.raises(ConfigError) as err:
        app.plugins.prepare("weather")
    assert str(err.value) == expected


async def test_unknown_key_in_a_plugin_section_is_refused(tmp_path: Path) -> None:
    app = app_with(tmp_path, "[plugins.metrics]\nenabled = true\ncolour = 'red'\n")
    app.plugins.scan()
    with pytest.raises(ConfigError, match=r"\[plugins.metrics\] colour: unknown key"):
        app.plugins.prepare("metrics")


@pytest.mark.parametrize(
    ("name", "where"),
    [
        (None, "config.toml: [plugins.probe] colour"),
        ("DBSBM_PLUGINS__PROBE__COLOUR", "environment variable DBSBM_PLUGINS__PROBE__COLOUR"),
    ],
)
async def test_a_key_for_a_plugin_without_settings_names_where_it_was_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str | None, where: str
) -> None:
    text = "[plugins.probe]\nenabled = true\n"
    if name is None:
        text += "colour = 'red'\n"
    else:
        monkeypatch.setenv(name, "red")
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = App(load_settings(), local_plugins=E2E_PLUGINS)
    app.plugins.scan()
    with pytest.raises(ConfigError) as err:
        app.plugins.prepare("probe")
    assert str(err.value) == (
        f"{where}: unknown key (plugin 'probe' takes no settings besides 'enabled')"
    )


async def test_unknown_plugin_is_a_config_error(tmp_path: Path) -> None:
    app = app_with(tmp_path, "[plugins.betings]\nenabled = true\n")
    with pytest.raises(ConfigError) as err:
        app.plugins.scan()
    assert str(err.value) == (
        f"{tmp_path / 'config.toml'}: [plugins] betings: unknown plugin 'betings' "
        "(installed: admin, audit, betting, dashboard, hello, metrics, weather)"
    )


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("DBSBM_PLUGINS__BOGUS__ENABLED", "environment variable DBSBM_PLUGINS__BOGUS__ENABLED"),
        ("DBSBM_PLUGINS__BOGUS", "environment variable DBSBM_PLUGINS__BOGUS"),
    ],
)
async def test_unknown_plugin_from_a_variable_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, where: str
) -> None:
    monkeypatch.setenv(name, "true" if name.endswith("ENABLED") else '{"enabled": true}')
    app = app_with(tmp_path, "[plugins.weather]\nattempts = 3\n")
    with pytest.raises(ConfigError) as err:
        app.plugins.scan()
    assert str(err.value).startswith(f"{where}: unknown plugin 'bogus' (installed: admin, ")


async def test_disabled_and_entry_point_defaults(tmp_path: Path) -> None:
    app = app_with(tmp_path, "[plugins.weather]\nenabled = false\n")
    app.plugins.scan()
    states = {n: r.state for n, r in app.plugins.records.items()}
    assert states["weather"] is PluginState.DISABLED
    assert states["betting"] is PluginState.AVAILABLE
    assert states["hello"] is PluginState.DISABLED  # installed packages are opt-in


async def test_a_rescan_records_every_plugin_afresh(tmp_path: Path) -> None:
    app = app_with(tmp_path, "")
    app.plugins.scan()
    app.plugins.fail("betting", "it broke")
    app.plugins.disable("weather")
    app.plugins.rescan()
    assert app.plugins.records["betting"].state is PluginState.AVAILABLE
    assert app.plugins.records["betting"].error is None
    assert app.plugins.records["weather"].state is PluginState.AVAILABLE
