"""Finding plugins without importing them: where each comes from, and what it declares.

Importing a plugin imports disnake, Tortoise and everything it uses; ``dbsbm plugins list`` and
the command line's start do not need that. :func:`discover` finds the local ``plugins/``
folder's packages and the ``dbsbm.plugins`` entry points; :func:`read_declaration` reads the
name, version and dependencies from the ``plugin = Plugin(...)`` call in the package's source
text. A declaration whose values are not plain literals is read by importing the package.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings

ENTRY_POINT_GROUP = "dbsbm.plugins"
LOCAL_DIR = Path(__file__).resolve().parents[1] / "plugins"
"""The first-party plugins' folder of this checkout (the App's default ``local_plugins``)."""
_FIELDS = ("name", "version", "depends_on", "optional_depends_on")


@dataclass
class PluginSource:
    """Where a plugin comes from."""

    name: str
    module: str
    attr: str = "plugin"
    origin: str = "local"  # "local" or "entry point <distribution> <version>"
    folder: Path | None = None  # the package folder, watched by the hot reloader


@dataclass(frozen=True)
class Declaration:
    """What a plugin object says about itself, for listing it."""

    name: str
    version: str
    depends_on: tuple[str, ...] = ()
    optional_depends_on: tuple[str, ...] = ()


class DeclarationError(Exception):
    """The plugin's declaration could not be read (it failed to import, or is no Plugin)."""


def discover(local_dir: Path | None) -> dict[str, PluginSource]:
    """Find installed and local plugins; a name found twice keeps the local one."""
    found: dict[str, PluginSource] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        module, _, attr = ep.value.partition(":")
        dist = ep.dist
        origin = f"entry point {dist.name} {dist.version}" if dist else "entry point"
        found[ep.name] = PluginSource(ep.name, module, attr or "plugin", origin)
    if local_dir is not None and local_dir.is_dir():
        package = local_dir.name
        for child in sorted(local_dir.iterdir()):
            if (child / "__init__.py").exists() and not child.name.startswith("_"):
                found[child.name] = PluginSource(
                    child.name, f"{package}.{child.name}", folder=child
                )
    return found


def refuse_unknown(
    sections: Iterable[str], sources: dict[str, PluginSource], config_file: Path
) -> None:
    """Raise :class:`~core.settings.ConfigError` for the first plugin section naming no plugin
    of ``sources``, against where the section was set (config file or variable)."""
    from core.settings import ConfigError, source_of

    unknown = sorted(set(sections) - set(sources))
    if unknown:
        where = source_of(("plugins", unknown[0]), config_file)
        raise ConfigError(
            f"{where}: unknown plugin {unknown[0]!r} "
            f"(installed: {', '.join(sorted(sources)) or 'none'})"
        )


def is_enabled(settings: Settings, source: PluginSource) -> bool:
    """Whether the settings enable the plugin: local plugins are on unless turned off, installed
    (entry-point) plugins are off until ``[plugins.<name>] enabled = true``."""
    return settings.plugin_enabled(source.name, default=source.origin == "local")


def read_declaration(source: PluginSource) -> Declaration:
    """The plugin's declaration, from its source text when its values are literals, else
    from the imported plugin object; :class:`DeclarationError` says why neither worked."""
    file = _source_file(source)
    if file is not None:
        found = _literal_declaration(file.read_text(encoding="utf-8"), source.attr)
        if found is not None:
            return found
    return _imported_declaration(source)


def _source_file(source: PluginSource) -> Path | None:
    """The file defining the plugin's module, found without running it (``None`` when the
    module sits inside a package, which finding would import)."""
    if source.folder is not None:
        return source.folder / "__init__.py"
    if "." in source.module:
        return None
    spec = importlib.util.find_spec(source.module)
    origin = spec.origin if spec is not None else None
    return Path(origin) if origin and origin.endswith(".py") else None


def _literal_declaration(text: str, attr: str) -> Declaration | None:
    """``attr = Plugin(...)`` at the module's top level, if its fields here are literals."""
    for node in ast.parse(text).body:
        if not (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == attr for t in node.targets)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "Plugin"
            and not node.value.args
        ):
            continue
        values: dict[str, Any] = {}
        for keyword in node.value.keywords:
            if keyword.arg in _FIELDS:
                try:
                    values[keyword.arg] = ast.literal_eval(keyword.value)
                except ValueError:
                    return None
        if not isinstance(values.get("name"), str) or not isinstance(values.get("version"), str):
            return None
        return Declaration(
            values["name"],
            values["version"],
            tuple(values.get("depends_on", ())),
            tuple(values.get("optional_depends_on", ())),
        )
    return None


def _imported_declaration(source: PluginSource) -> Declaration:
    from core.plugin import Plugin

    try:
        module = importlib.import_module(source.module)
    except Exception as exc:
        raise DeclarationError(f"failed to import: {type(exc).__name__}: {exc}") from exc
    plugin = getattr(module, source.attr, None)
    if not isinstance(plugin, Plugin):
        raise DeclarationError(f"{source.module}.{source.attr} is not a core.plugin.Plugin")
    return Declaration(plugin.name, plugin.version, plugin.depends_on, plugin.optional_depends_on)
