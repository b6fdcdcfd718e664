"""Finding plugins without importing them (core.discovery): local folders, entry points, and the
declaration read from the source text or, when that is not literal, from the imported plugin."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.discovery import (
    LOCAL_DIR,
    Declaration,
    DeclarationError,
    PluginSource,
    discover,
    read_declaration,
    refuse_unknown,
)
from core.settings import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_discover_finds_the_local_packages_and_skips_private_folders_and_loose_files(
    tmp_path: Path,
) -> None:
    local = tmp_path / "myplugins"
    write(local / "quotes" / "__init__.py", "")
    write(local / "_shared" / "__init__.py", "")
    write(local / "notes" / "readme.txt", "no package")
    write(local / "loose.py", "")
    found = discover(local)
    assert found["quotes"] == PluginSource("quotes", "myplugins.quotes", folder=local / "quotes")
    assert "_shared" not in found and "notes" not in found and "loose" not in found


def test_discover_lists_entry_points_and_a_local_plugin_of_the_same_name_wins() -> None:
    installed = discover(None)
    assert installed["hello"].origin.startswith("entry point dbsbm-hello ")
    assert installed["hello"].folder is None
    with_local = discover(LOCAL_DIR)
    assert with_local["betting"].origin == "local"
    assert with_local["hello"] == installed["hello"]


def test_discover_ignores_a_missing_local_folder(tmp_path: Path) -> None:
    assert discover(tmp_path / "absent") == discover(None)


def test_refuse_unknown_names_the_section_where_it_was_set(tmp_path: Path) -> None:
    sources = {"betting": PluginSource("betting", "plugins.betting")}
    refuse_unknown(["betting"], sources, tmp_path / "config.toml")
    with pytest.raises(ConfigError) as raised:
        refuse_unknown(["zeta", "bogus", "betting"], sources, tmp_path / "config.toml")
    assert str(raised.value) == (
        f"{tmp_path / 'config.toml'}: [plugins] bogus: unknown plugin 'bogus' (installed: betting)"
    )
    with pytest.raises(ConfigError, match=r"\(installed: none\)"):
        refuse_unknown(["bogus"], {}, tmp_path / "config.toml")


def test_a_literal_declaration_is_read_without_importing_the_package(tmp_path: Path) -> None:
    folder = tmp_path / "quotes"
    write(
        folder / "__init__.py",
        """
        raise RuntimeError("importing the package is not needed to list it")
        helper = object()
        other = Plugin(name="other", version="9")
        plugin = Plugin(
            name="quotes",
            version="1.2",
            description=helper,
            depends_on=["betting"],
            optional_depends_on=("metrics",),
        )
        """,
    )
    source = PluginSource("quotes", "quotes", folder=folder)
    assert read_declaration(source) == Declaration("quotes", "1.2", ("betting",), ("metrics",))


def test_a_declaration_that_is_not_literal_is_read_from_the_imported_plugin(
    importable: Path,
) -> None:
    write(
        importable / "computed_plugin" / "__init__.py",
        """
        from core.plugin import Plugin

        VERSION = "2." + "0"
        plugin = Plugin(name="computed", version=VERSION, depends_on=("betting",))
        """,
    )
    source = PluginSource("computed", "computed_plugin", folder=importable / "computed_plugin")
    assert read_declaration(source) == Declaration("computed", "2.0", ("betting",), ())


def test_a_single_module_plugin_is_read_from_its_file_found_without_importing(
    importable: Path,
) -> None:
    write(
        importable / "single_plugin.py",
        """
        raise RuntimeError("not imported")
        entry = Plugin(name="single", version="3")
        """,
    )
    source = PluginSource("single", "single_plugin", attr="entry", origin="entry point")
    assert read_declaration(source) == Declaration("single", "3")


def test_a_plugin_module_inside_a_package_is_imported_to_read_it(importable: Path) -> None:
    write(importable / "outer_pkg" / "__init__.py", "")
    write(
        importable / "outer_pkg" / "inner.py",
        """
        from core.plugin import Plugin

        plugin = Plugin(name="inner", version="4")
        """,
    )
    source = PluginSource("inner", "outer_pkg.inner", origin="entry point")
    assert read_declaration(source) == Declaration("inner", "4")


def test_a_module_without_a_plugin_call_or_with_positional_arguments_is_imported(
    importable: Path,
) -> None:
    write(
        importable / "positional_plugin.py",
        """
        from core.plugin import Plugin

        def make(name: str) -> Plugin:
            return Plugin(name=name, version="5")

        plugin = make("positional")
        """,
    )
    source = PluginSource("positional", "positional_plugin")
    assert read_declaration(source) == Declaration("positional", "5")


def test_a_plugin_that_fails_to_import_is_a_declaration_error(importable: Path) -> None:
    write(importable / "broken_plugin.py", "plugin = Plugin(name=NAME, version='1')\n")
    with pytest.raises(DeclarationError, match=r"^failed to import: NameError: name 'Plugin'"):
        read_declaration(PluginSource("broken", "broken_plugin"))


def test_an_attribute_that_is_no_plugin_is_a_declaration_error(importable: Path) -> None:
    write(importable / "notaplugin.py", "plugin = {'name': 'x', 'version': '1'}\n")
    with pytest.raises(
        DeclarationError, match=r"^notaplugin\.plugin is not a core\.plugin\.Plugin"
    ):
        read_declaration(PluginSource("x", "notaplugin"))


def test_a_module_that_cannot_be_found_is_a_declaration_error() -> None:
    with pytest.raises(DeclarationError, match="ModuleNotFoundError"):
        read_declaration(PluginSource("ghost", "no_such_plugin_module_anywhere"))


def test_a_declaration_whose_name_comes_from_unpacked_keywords_is_imported(
    importable: Path,
) -> None:
    write(
        importable / "spread_plugin.py",
        """
        from core.plugin import Plugin

        fields = {"name": "spread"}
        plugin = Plugin(version="6", **fields)
        """,
    )
    assert read_declaration(PluginSource("spread", "spread_plugin")) == Declaration("spread", "6")
