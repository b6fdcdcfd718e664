"""Rendering pages: one jinja2 environment over the ``templates/`` folder of every plugin.

A page's :class:`~core.pages.View` names a template of its own plugin's folder; the front renders
it as ``<plugin>/<template>`` inside ``layout.html`` of this plugin. Templates are read again when
their file changes, so a plugin's reload brings its new templates. Autoescaping is on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

HERE = Path(__file__).parent / "templates"


class PluginTemplates(jinja2.BaseLoader):
    """``<plugin>/<name>`` from that plugin's ``templates/`` folder; plain names from ours."""

    def __init__(self, folder_of: Callable[[str], Path | None]) -> None:
        self._folder_of = folder_of
        self._own = jinja2.FileSystemLoader(HERE)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        plugin, sep, rest = template.partition("/")
        folder = self._folder_of(plugin) if sep else None
        if folder is None:
            return self._own.get_source(environment, template)
        return jinja2.FileSystemLoader(folder / "templates").get_source(environment, rest)


def environment(folder_of: Callable[[str], Path | None]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=PluginTemplates(folder_of),
        autoescape=True,
        enable_async=True,
        auto_reload=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["units"] = _units
    return env


def _units(value: Any) -> str:
    """``+1.25u`` / ``-0.50u``: a signed amount of units."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:+.2f}u"
