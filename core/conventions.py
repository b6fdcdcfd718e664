"""What a plugin declaration may leave out: the parts its package holds under the usual names.

:func:`completed` fills each field a ``Plugin(...)`` leaves at its default from the module
making that call (also when another module re-exports the plugin); a field given explicitly is
kept.

==================  =========================================================================
``hooks``           the plugin's module
``setup``           the module's ``setup`` function
``teardown``        the module's ``teardown`` function
``models``          ``("<package>.models",)`` when the package has a ``models`` module
``settings_model``  the ``<Name>Settings`` class of the package's ``settings`` module, where
                    ``<Name>`` is the plugin's name in CamelCase (``my_plugin``:
                    ``MyPluginSettings``)
``cli``             the ``register`` function of the package's ``cli`` module
==================  =========================================================================

The last three apply to a plugin defined in a package's ``__init__``, not in a single module.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from typing import Any

from pydantic import BaseModel

from core.plugin import Plugin


def settings_class(name: str) -> str:
    """The name of plugin ``name``'s settings class by convention (``my_plugin``:
    ``MyPluginSettings``)."""
    return "".join(part.title() for part in name.split("_")) + "Settings"


def completed(plugin: Plugin) -> Plugin:
    """``plugin`` with the fields it leaves out taken from the module declaring it
    (``plugin.declared_in``; imports the package's ``settings`` and ``cli`` modules when they are
    looked for)."""
    module = importlib.import_module(plugin.declared_in)
    found: dict[str, Any] = {}
    if plugin.hooks is None:
        found["hooks"] = module
    for field in ("setup", "teardown"):
        function = getattr(module, field, None)
        if getattr(plugin, field) is None and callable(function):
            found[field] = function
    package = module.__name__ if hasattr(module, "__path__") else None
    if package is None:
        return dataclasses.replace(plugin, **found)
    if not plugin.models and importlib.util.find_spec(f"{package}.models") is not None:
        found["models"] = (f"{package}.models",)
    if plugin.settings_model is None:
        settings = _submodule_attr(package, "settings", settings_class(plugin.name))
        if isinstance(settings, type) and issubclass(settings, BaseModel):
            found["settings_model"] = settings
    if plugin.cli is None:
        register = _submodule_attr(package, "cli", "register")
        if callable(register):
            found["cli"] = register
    return dataclasses.replace(plugin, **found)


def _submodule_attr(package: str, submodule: str, attr: str) -> object:
    """``package.submodule.attr``, or ``None`` when the package has no such module or it no
    such attribute."""
    if importlib.util.find_spec(f"{package}.{submodule}") is None:
        return None
    return getattr(importlib.import_module(f"{package}.{submodule}"), attr, None)
